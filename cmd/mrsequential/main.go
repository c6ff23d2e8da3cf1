// Command mrsequential runs a MapReduce application in one process and
// writes the answer to mr-out-0: the reference the distributed run must
// match.
//
//	mrsequential APP.so INPUT...
package main

import (
	"errors"
	"flag"
	"fmt"
	"os"

	"6.5840/mr/cli"
	"6.5840/mr/jobfiles"
	"6.5840/mr/loader"
	"6.5840/mr/sequential"
)

const prog = "mrsequential"

func main() {
	flag.Usage = func() {
		fmt.Fprintf(flag.CommandLine.Output(), "usage: %s APP.so INPUT...\n", prog)
		flag.PrintDefaults()
	}
	flag.Parse()
	if flag.NArg() < 2 {
		flag.Usage()
		cli.Fatal(prog, cli.ExitUsage, errors.New("need a plugin and at least one input file"))
	}
	a, err := loader.Load(flag.Arg(0))
	if err != nil {
		cli.Fatal(prog, cli.ExitFailure, err)
	}
	if err := sequential.Run(a, flag.Args()[1:], jobfiles.Output(0)); err != nil {
		cli.Fatal(prog, cli.ExitFailure, err)
	}
	os.Exit(0)
}
