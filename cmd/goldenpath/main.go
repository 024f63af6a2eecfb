// Command goldenpath is the command line of goldenpath. See the README or
// `goldenpath --help`.
package main

import (
	"os"
	"runtime/debug"

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
	// SIGINT and SIGTERM cancel the command's context: reading, rendering
	// and registry requests stop, nothing more is printed on stdout, and
	// the command exits 130 (SIGINT) or 143 (SIGTERM); a command blocked
	// where no context reaches is ended after cli.Grace, a second signal
	// ends it at once (see cli.Main).
	os.Exit(cli.Main(cli.Streams{In: os.Stdin, Out: os.Stdout, Err: os.Stderr}, os.Args[1:]))
}
