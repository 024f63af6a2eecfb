// Command goldenpath is the command line of goldenpath. See the README or
// `goldenpath --help`.
package main

import (
	"context"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"

	"github.com/goldenpath-dev/goldenpath/internal/cli"
)

func main() {
	// goldenpath is short-lived and allocates many small objects per file:
	// collecting garbage less often saves a quarter of the CPU time of
	// validating thousands of contracts, for a few MB more memory.
	// GOGC in the environment still wins.
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(400)
	}
	// The first SIGINT or SIGTERM cancels the command's context: reading
	// and rendering stop at the next file and the command exits 130. The
	// handler is then removed, so that a second signal ends the process at
	// once even if it is blocked (writing to a full pipe, say).
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	go func() {
		<-ctx.Done()
		stop()
	}()
	code := cli.Run(ctx, cli.Streams{In: os.Stdin, Out: os.Stdout, Err: os.Stderr}, os.Args[1:])
	stop()
	os.Exit(code)
}
