package cli

import (
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/goldenpath-dev/goldenpath/goldenpath"
	"github.com/goldenpath-dev/goldenpath/goldenpath/output"
)

// versionOutput prints the version: text (one line: version, revision,
// toolchain) or json.
var versionOutput = output.Printers[goldenpath.VersionInfo]{
	output.Text: output.PrinterFunc[goldenpath.VersionInfo](func(w io.Writer, v goldenpath.VersionInfo) error {
		_, err := fmt.Fprintln(w, v.String())
		return err
	}),
	output.JSON: output.JSONPrinter[goldenpath.VersionInfo](),
}

func newVersionCommand(streams Streams) *cobra.Command {
	c := &cobra.Command{
		Use:   "version",
		Short: "Print goldenpath's version and the VCS revision it was built from",
		Long: `Print the module version of this goldenpath (a release, or the pseudo-version
Go stamps for a build in a checkout, +dirty with local changes), the VCS
revision and time of the checkout it was built in (when built with VCS
information, go build's default in a checkout), and the Go toolchain.
'goldenpath --version' prints the same line.`,
		Example: `  goldenpath version
  goldenpath version -o json`,
		Args: cobra.NoArgs,
	}
	out := addOutput(c, versionOutput, "")
	c.RunE = func(c *cobra.Command, args []string) error {
		pr, err := printer(out, versionOutput)
		if err != nil {
			return err
		}
		return pr.Print(streams.Out, goldenpath.Version())
	}
	return c
}
