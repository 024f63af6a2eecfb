// Command goldenpath is the command line of goldenpath. See the README or
// `goldenpath --help`.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/goldenpath-dev/goldenpath/internal/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Run(ctx, cli.Streams{In: os.Stdin, Out: os.Stdout, Err: os.Stderr}, os.Args[1:])
	stop()
	os.Exit(code)
}
