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

// softMemoryLimit is the Go heap size above which the collector works
// harder (runtime/debug.SetMemoryLimit); it is not a cap.
const softMemoryLimit = 384 << 20

func main() {
	// goldenpath is short-lived and allocates many small objects per file:
	// collecting garbage less often saves a quarter of the CPU time of
	// validating thousands of contracts, for a few MB more memory.
	// GOGC in the environment still wins.
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(400)
	}
	// With GOGC at 400 the heap may grow to five times what is live before
	// a collection; a soft limit keeps that trade from costing hundreds of
	// MB on large runs (render streams 50,000 contracts with well under
	// 100 MB live): near the limit the collector simply runs more often.
	// GOMEMLIMIT in the environment still wins.
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(softMemoryLimit)
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
