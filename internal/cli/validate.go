package cli

import (
	"github.com/spf13/cobra"

	"github.com/goldenpath-dev/goldenpath/goldenpath"
	"github.com/goldenpath-dev/goldenpath/goldenpath/output"
)

func newValidateCommand(streams Streams) *cobra.Command {
	var pf platformFlag
	c := &cobra.Command{
		Use:   "validate PATH...",
		Short: "Validate contracts (files, or folders of *.yaml/*.yml) against the schema and the platform's policy",
		Long: `Validate AppDeploymentRequest and Platform documents strictly: unknown and
duplicate keys, wrong types and every rule of the contract, plus the platform's
policy for each request's environment. Every problem is reported at once with
its file:line:col and field path.

Exit status 1 means a document is not valid.`,
		Example: `  goldenpath validate examples/contracts
  goldenpath validate -o github contracts/        # annotations in GitHub Actions
  goldenpath validate --platform platform.yaml -o json app.yaml`,
		Args: cobra.MinimumNArgs(1),
	}
	out := addOutput(c, output.Report, "")
	c.RunE = func(c *cobra.Command, args []string) error {
		pr, err := printer(out, output.Report)
		if err != nil {
			return err
		}
		popt, err := pf.option()
		if err != nil {
			return err
		}
		if err := checkPaths(args); err != nil {
			return err
		}
		report, err := goldenpath.ValidatePaths(c.Context(), args, popt)
		if err != nil {
			return usageErrorf("%v", err)
		}
		if err := pr.Print(streams.Out, report); err != nil {
			return err
		}
		if !report.Valid() {
			return failed
		}
		return nil
	}
	pf.add(c)
	return c
}
