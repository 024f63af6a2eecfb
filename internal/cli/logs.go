package cli

import (
	"github.com/spf13/cobra"

	"github.com/goldenpath-dev/goldenpath/goldenpath/cluster"
)

func newLogsCommand(streams Streams) *cobra.Command {
	var (
		cf  clusterFlags
		req cluster.LogsRequest
	)
	c := &cobra.Command{
		Use:   "logs APP [--build N] [-f]",
		Short: "Print a kpack build's logs step by step, as kp build logs does",
		Long: `Print the logs of an application's kpack build (the latest, or --build N),
step by step in the order they run, each headed by "===> STEP" (PREPARE,
ANALYZE, DETECT, RESTORE, BUILD, EXPORT, COMPLETION; REBASE for a rebase).
With -f it waits for the build's pod and each step, and streams until the
build ends.

Exit status: 0 on success, 1 on failure, 2 on usage errors.`,
		Example: `  goldenpath logs --platform platform.yaml payments-api
  goldenpath logs --platform platform.yaml payments-api --build 7
  goldenpath logs --platform platform.yaml payments-api -f`,
		Args: cobra.ExactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			if req.Build < 0 {
				return usageErrorf("--build %d: build numbers start at 1", req.Build)
			}
			var err error
			if req.Platform, req.Kube, err = cf.load(); err != nil {
				return err
			}
			req.Application = args[0]
			return cluster.Logs(c.Context(), req, streams.Out)
		},
	}
	cf.add(c)
	f := c.Flags()
	f.Int64Var(&req.Build, "build", 0, "build number (default: the latest build)")
	f.BoolVarP(&req.Follow, "follow", "f", false, "wait for the build and stream its logs until it ends")
	f.StringVar(&req.Environment, "environment", "", "environment, when the application is built in several")
	return c
}
