package cli

import (
	"fmt"
	"maps"
	"slices"

	"github.com/spf13/cobra"

	"github.com/goldenpath-dev/goldenpath/goldenpath"
	"github.com/goldenpath-dev/goldenpath/render"
)

func newBackstageCommand(streams Streams) *cobra.Command {
	var (
		out  string
		tf   treeFlags
		opts render.BackstageOptions
	)
	c := &cobra.Command{
		Use:   "backstage --out DIR",
		Short: `Write the Backstage software template "Deploy Application" and its skeleton`,
		Long: `Write a scaffolder.backstage.io/v1beta3 Template whose form fields come from the
contract's JSON Schema, and the skeleton contract it fills in. Register
DIR/template.yaml in your Backstage catalogue.`,
		Example: `  goldenpath backstage --out backstage/deploy-application`,
		RunE: func(c *cobra.Command, args []string) error {
			if out == "" {
				return usageErrorf("--out is required")
			}
			files, err := goldenpath.BackstageTemplate(out, opts, tf.options()...)
			if err != nil {
				return err
			}
			for _, f := range slices.Sorted(maps.Keys(files)) {
				fmt.Fprintf(streams.Err, "wrote %s/%s\n", out, f)
			}
			return nil
		},
	}
	c.Flags().StringVar(&out, "out", "", "folder to write template.yaml and skeleton/ to (a goldenpath tree: files the template no longer has are removed)")
	tf.add(c)
	c.Flags().StringVar(&opts.Owner, "owner", "", "owner of the template in the catalogue (default group:platform-team)")
	c.Flags().StringVar(&opts.ContractsPath, "contracts-path", "", "folder of the contracts repository the pull request writes to (default contracts)")
	return c
}
