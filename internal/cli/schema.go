package cli

import (
	"github.com/spf13/cobra"

	"github.com/goldenpath-dev/goldenpath/contract"
)

func newSchemaCommand(streams Streams) *cobra.Command {
	var kind string
	c := &cobra.Command{
		Use:   "schema",
		Short: "Print the JSON Schema (draft-07) of a document kind, for editors",
		Example: `  goldenpath schema > appdeploymentrequest.schema.json
  goldenpath schema --kind Platform`,
		RunE: func(c *cobra.Command, args []string) error {
			data, err := contract.Schema(kind)
			if err != nil {
				return usageErrorf("%v", err)
			}
			_, err = streams.Out.Write(data)
			return err
		},
	}
	c.Flags().StringVar(&kind, "kind", contract.KindAppDeploymentRequest, "document kind: AppDeploymentRequest or Platform")
	return c
}
