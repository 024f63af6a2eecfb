package cli

import (
	"github.com/spf13/cobra"

	"github.com/goldenpath-dev/goldenpath/goldenpath"
)

type validateFlags struct {
	output   string
	platform string
}

func newValidateCommand(streams Streams) *cobra.Command {
	f := &validateFlags{}
	c := &cobra.Command{
		Use:   "validate PATH...",
		Short: "Validate contracts (files, or folders of *.yaml/*.yml) against the schema and the platform's policy",
		Long: `Validate AppDeploymentRequest and Platform documents strictly: unknown and
duplicate keys, wrong types and every rule of the contract, plus the platform's
policy for each request's environment. Every problem is reported at once with
its file:line:col and field path.

Exit status: 0 when every document is valid, 1 when any is not, 2 on usage errors.`,
		Example: `  goldenpath validate examples/contracts
  goldenpath validate -o github contracts/        # annotations in GitHub Actions
  goldenpath validate --platform platform.yaml -o json app.yaml`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			printer, err := goldenpath.NewPrinter(f.output)
			if err != nil {
				return usageErrorf("%v", err)
			}
			platform, err := goldenpath.LoadPlatformFile(f.platform)
			if err != nil {
				return &exitError{code: ExitUsage, err: err}
			}
			report, err := goldenpath.ValidatePaths(c.Context(), args, goldenpath.WithPlatform(platform))
			if err != nil {
				return usageErrorf("%v", err)
			}
			if err := printer.Print(streams.Out, report); err != nil {
				return err
			}
			if !report.Valid() {
				return failed
			}
			return nil
		},
	}
	c.Flags().StringVarP(&f.output, "output", "o", goldenpath.OutputText, "output format: text, json or github")
	c.Flags().StringVar(&f.platform, "platform", "", "Platform file whose policy applies (default: the embedded default platform)")
	return c
}
