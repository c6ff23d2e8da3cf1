// Command mrsequential runs a MapReduce application in one process and
// writes the answer to mr-out-0: the reference the distributed run must
// match.
//
//	mrsequential [-output s3://BUCKET/PREFIX/] APP.so INPUT...
//	mrsequential -mapper CMD -reducer CMD [-combiner CMD] INPUT...
//
// Inputs may be in a bucket, as the coordinator takes them:
// s3://BUCKET/KEY, or s3://BUCKET/PREFIX/ for every object under it.
// With -output the answer goes to PREFIX/mr-out-0 in the bucket.
// Credentials and endpoint come from the environment (AWS_*).
//
// Like a plugin's Combine, a -combiner is checked but not run: the
// reference reduces every map output uncombined.
package main

import (
	"errors"
	"flag"
	"fmt"
	"os"

	"6.5840/mr/appflags"
	"6.5840/mr/cli"
	"6.5840/mr/s3job"
	"6.5840/mr/sequential"
)

const prog = "mrsequential"

func main() {
	appFlags := appflags.Register(flag.CommandLine)
	output := flag.String("output", "", "write mr-out-0 to this prefix in a bucket, s3://BUCKET/PREFIX/, instead of the working folder")
	flag.Usage = func() {
		fmt.Fprintf(flag.CommandLine.Output(), "usage: %s APP.so INPUT...\n       %s -mapper CMD -reducer CMD INPUT...\n", prog, prog)
		flag.PrintDefaults()
	}
	flag.Parse()
	args := flag.Args()
	plugin := ""
	if !appFlags.Streaming() {
		if len(args) < 2 {
			flag.Usage()
			cli.Fatal(prog, cli.ExitUsage, errors.New("need a plugin and at least one input file"))
		}
		plugin, args = args[0], args[1:]
	}
	if len(args) < 1 {
		flag.Usage()
		cli.Fatal(prog, cli.ExitUsage, errors.New("need at least one input file"))
	}
	logger, err := cli.NewLogger(os.Stderr, cli.FormatText, false)
	if err != nil {
		cli.Fatal(prog, cli.ExitUsage, err)
	}
	a, _, err := appFlags.Load(plugin, logger)
	switch {
	case errors.Is(err, appflags.ErrBadCommand):
		cli.Fatal(prog, cli.ExitUsage, err)
	case err != nil:
		cli.Fatal(prog, cli.ExitFailure, err)
	}
	if *output != "" {
		if _, err := s3job.ParseOutput(nil, *output); err != nil {
			cli.Fatal(prog, cli.ExitUsage, err)
		}
	}
	var b bucket
	inputs, err := b.expand(args)
	if err != nil {
		cli.Fatal(prog, cli.ExitUsage, err)
	}
	path, clean, err := localOutput(*output)
	if err != nil {
		cli.Fatal(prog, cli.ExitFailure, err)
	}
	err = sequential.RunWith(a, inputs, b.read, path)
	if err == nil && *output != "" {
		err = b.upload(*output, path)
	}
	clean()
	if err != nil {
		cli.Fatal(prog, cli.ExitFailure, err)
	}
	os.Exit(0)
}
