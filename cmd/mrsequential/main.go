// Command mrsequential runs a MapReduce application in one process and
// writes the answer to mr-out-0: the reference the distributed run must
// match.
//
//	mrsequential APP.so INPUT...
//	mrsequential -mapper CMD -reducer CMD [-combiner CMD] INPUT...
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
	"6.5840/mr/jobfiles"
	"6.5840/mr/sequential"
)

const prog = "mrsequential"

func main() {
	appFlags := appflags.Register(flag.CommandLine)
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
	if err := sequential.Run(a, args, jobfiles.Output(0)); err != nil {
		cli.Fatal(prog, cli.ExitFailure, err)
	}
	os.Exit(0)
}
