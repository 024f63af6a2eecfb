// Package cli is the goldenpath command line: flag parsing and printing
// around calls into the goldenpath package. Nothing here exits the process
// or touches os.Stdout; main passes the streams in and exits with the code
// Run returns.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/spf13/cobra"

	"github.com/goldenpath-dev/goldenpath/goldenpath"
	"github.com/goldenpath-dev/goldenpath/goldenpath/output"
)

// Exit codes, the same for every command (documented once, in the root
// command's help and the README).
const (
	ExitOK      = 0 // success; for validate: every document is valid
	ExitFailure = 1 // the command ran and found problems, or failed
	ExitUsage   = 2 // the command line was wrong: a flag, an argument, a file that is not there, an empty input
	// ExitSignal + the signal's number (130 for SIGINT, 143 for SIGTERM):
	// the command was interrupted by that signal (see Main).
	ExitSignal = 128
	// ExitInterrupted: the command was interrupted (SIGINT, or a context
	// Run is given that its caller cancelled) and stopped before finishing.
	ExitInterrupted = ExitSignal + 2
)

// exitCodes is the help's paragraph on exit codes.
const exitCodes = `Exit status, for every command:
  0    success
  1    the command ran and found problems (an invalid contract, an unsigned
       image, a failed build or rebase), or failed
  2    usage error: an unknown flag or format, a missing argument, a file
       that is not there, an empty input, a value the command refuses
  130  interrupted by SIGINT (143: SIGTERM); nothing more is printed on
       stdout after the signal`

// Streams are the standard streams a command uses.
type Streams struct {
	In  io.Reader
	Out io.Writer
	Err io.Writer
}

// exitError carries an exit code through cobra.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string {
	if e.err == nil {
		return ""
	}
	return e.err.Error()
}

func (e *exitError) Unwrap() error { return e.err }

func usageErrorf(format string, args ...any) error {
	return &exitError{code: ExitUsage, err: fmt.Errorf(format, args...)}
}

// failed is returned by a command that printed its own findings and only
// needs to set the exit code.
var failed = &exitError{code: ExitFailure}

// Run runs the goldenpath command line with args (without the program name)
// and returns the process exit code.
func Run(ctx context.Context, streams Streams, args []string) int {
	streams.Out = &stopWriter{ctx: ctx, w: streams.Out}
	root := NewRootCommand(streams)
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return ExitOK
	}
	if sig, ok := interruptedBy(ctx); ok {
		fmt.Fprintf(streams.Err, "goldenpath: interrupted (%s)\n", signalName(sig))
		return ExitSignal + int(sig)
	}
	if ctx.Err() != nil {
		fmt.Fprintf(streams.Err, "goldenpath: interrupted (%v)\n", context.Cause(ctx))
		return ExitInterrupted
	}
	var ee *exitError
	if errors.As(err, &ee) {
		if ee.err != nil {
			fmt.Fprintf(streams.Err, "goldenpath: %s\n", output.PrintableLines(ee.err.Error()))
		}
		return ee.code
	}
	fmt.Fprintf(streams.Err, "goldenpath: %s\n", output.PrintableLines(err.Error()))
	if strings.HasPrefix(err.Error(), "unknown command") {
		return ExitUsage
	}
	return ExitFailure
}

// NewRootCommand builds the command tree. Each call builds a fresh tree with
// no state shared between calls.
func NewRootCommand(streams Streams) *cobra.Command {
	root := &cobra.Command{
		Use:   "goldenpath",
		Short: "From an AppDeploymentRequest contract to a running, patched, signed image on Kubernetes",
		Long: `goldenpath turns an AppDeploymentRequest (apiVersion goldenpath.io/v1) into
what the cluster needs (kpack Image, Argo CD Application, Deployment, Service,
Ingress, service bindings) and runs the same build pipeline outside the cluster.

` + exitCodes,
		Version:       goldenpath.Version().String(),
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetVersionTemplate("{{.Version}}\n")
	root.SetIn(streams.In)
	root.SetOut(streams.Out)
	root.SetErr(streams.Err)
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return &exitError{code: ExitUsage, err: fmt.Errorf("%w\nsee '%s --help'", err, c.CommandPath())}
	})
	root.AddCommand(
		newValidateCommand(streams),
		newSchemaCommand(streams),
		newRenderCommand(streams),
		newPlatformCommand(streams),
		newBackstageCommand(streams),
		newBuildCommand(streams),
		newKeygenCommand(streams),
		newSignCommand(streams),
		newVerifyCommand(streams),
		newSBOMCommand(streams),
		newProvenanceCommand(streams),
		newRebaseCommand(streams),
		newPlanCommand(streams),
		newE2ECommand(streams),
		newPromoteCommand(streams),
		newControllerCommand(streams),
		newStatusCommand(streams),
		newLogsCommand(streams),
		newVersionCommand(streams),
	)
	for _, c := range allCommands(root) {
		if c.Args == nil {
			c.Args = cobra.NoArgs
		}
		args := c.Args
		c.Args = func(c *cobra.Command, a []string) error {
			if err := args(c, a); err != nil {
				return usageErrorf("%v\nsee '%s --help'", err, c.CommandPath())
			}
			return nil
		}
	}
	return root
}

func allCommands(c *cobra.Command) []*cobra.Command {
	var out []*cobra.Command
	for _, sub := range c.Commands() {
		out = append(out, sub)
		out = append(out, allCommands(sub)...)
	}
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
