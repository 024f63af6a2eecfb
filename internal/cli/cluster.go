package cli

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/spf13/cobra"
	"k8s.io/client-go/rest"

	"github.com/goldenpath-dev/goldenpath/goldenpath/cluster"
	"github.com/goldenpath-dev/goldenpath/goldenpath/fleet"
	"github.com/goldenpath-dev/goldenpath/goldenpath/output"
)

func newUpdateStacksCommand(streams Streams) *cobra.Command {
	var (
		pf         platformFlag
		rf         registryFlags
		kubeconfig string
		watch      time.Duration
		dryRun     bool
	)
	c := &cobra.Command{
		Use:   "update-stacks",
		Short: "Point the kpack ClusterStacks at the current digests of their build and run images",
		Long: `kpack does not watch the images of a ClusterStack: a patched run image pushed
under the same tag goes unnoticed until kpack's ten-hour resync. update-stacks
resolves each builder's stack images (the platform's tags) to digests and,
for every ClusterStack whose images differ in the cluster, applies the
ClusterStack 'goldenpath platform render' renders with the images pinned to
those digests (server-side apply, field manager "goldenpath"). kpack then
rebases every Image on a new run image and rebuilds every Image on a new
build image. It prints each change:

  ClusterStack default: run image REPO@sha256:OLD -> REPO@sha256:NEW

and nothing when every ClusterStack is current.

With --watch it checks again every interval until interrupted: run it so as
a Deployment (in a pod it uses its service account, which needs get and
patch on clusterstacks.kpack.io) or run it once from a CronJob or CI.

When the platform objects are applied by GitOps (Argo CD would undo a
change made in the cluster), commit 'goldenpath platform render
--pin-stacks' instead.

With --watch, SIGTERM or SIGINT ends the loop and the command exits 0.`,
		Example: `  goldenpath platform update-stacks --platform platform.yaml --kubeconfig ~/.kube/config
  goldenpath platform update-stacks --platform platform.yaml --watch 30s
  goldenpath platform update-stacks --platform platform.yaml --dry-run --kubeconfig - -o json`,
		Args: cobra.NoArgs,
	}
	out := addOutput(c, fleet.StackOutput, "json: one report per line with --watch")
	c.RunE = func(c *cobra.Command, args []string) error {
		pr, err := printer(out, fleet.StackOutput)
		if err != nil {
			return err
		}
		if kubeconfig == "-" && !dryRun {
			return usageErrorf("--kubeconfig - (no cluster) needs --dry-run")
		}
		opts, err := platformAndRegistry(&pf, &rf)
		if err != nil {
			return err
		}
		req := fleet.StackRequest{DryRun: dryRun}
		if kubeconfig != "-" {
			if req.Cluster, err = kubeConfig(kubeconfig); err != nil {
				return err
			}
		}
		u, err := fleet.NewStackUpdater(req, opts...)
		if err != nil {
			return err
		}
		print := func(rep *fleet.StackReport, err error) {
			if rep != nil {
				_ = pr.Print(streams.Out, rep)
			}
			if err != nil {
				fmt.Fprintf(streams.Err, "goldenpath: %s\n", output.PrintableLines(err.Error()))
			}
		}
		if watch > 0 {
			// A signal is how a watch ends: that is a success.
			if err := u.Watch(c.Context(), watch, print); !errors.Is(err, context.Canceled) {
				return err
			}
			return nil
		}
		rep, err := u.Update(c.Context())
		print(rep, nil)
		if err != nil {
			return &exitError{code: ExitFailure, err: err}
		}
		return nil
	}
	pf.add(c)
	rf.add(c)
	c.Flags().StringVar(&kubeconfig, "kubeconfig", "", "kubeconfig `FILE` of the cluster (default: in a pod its service account, else $KUBECONFIG or ~/.kube/config; - with --dry-run: no cluster)")
	c.Flags().DurationVar(&watch, "watch", 0, "check again every `INTERVAL` until interrupted (e.g. 30s)")
	c.Flags().BoolVar(&dryRun, "dry-run", false, "report what would change, change nothing")
	return c
}

func newPromoteCommand(streams Streams) *cobra.Command {
	var (
		pf         platformFlag
		gitops     string
		kubeconfig string
	)
	c := &cobra.Command{
		Use:   "promote --out GITOPS_DIR [--platform FILE] PATH...",
		Short: "Pin each app's GitOps folder to the image kpack last built for it",
		Long: `Read each contract's kpack Image in the cluster (status.latestImage, pinned by
digest) and re-render the application's GitOps folder (Deployment, Service,
..., Argo CD Application) pinned to it, writing only the files that changed.
Commit the tree and Argo CD rolls the new image out: this closes the loop
from a new commit (kpack builds) or a patched run image (kpack rebases) to
the running app. Prints one line per application:

  dev/sample-go  REPO@sha256:...  2 files changed
  dev/sample-go  REPO@sha256:...  unchanged
  dev/legacy     skipped: no kpack Image (dockerfile build)

Applications kpack has not built yet are reported and left as they are.`,
		Example: `  goldenpath promote --platform platform.yaml --out gitops/ contracts/ && git -C gitops commit -am promote`,
		Args:    cobra.MinimumNArgs(1),
	}
	out := addOutput(c, cluster.PromoteOutput, "")
	c.RunE = func(c *cobra.Command, args []string) error {
		pr, err := printer(out, cluster.PromoteOutput)
		if err != nil {
			return err
		}
		if gitops == "" {
			return usageErrorf("--out is required: the GitOps tree to update")
		}
		if err := checkPaths(args); err != nil {
			return err
		}
		popt, err := pf.option()
		if err != nil {
			return err
		}
		var cfg *rest.Config
		if cfg, err = kubeConfig(kubeconfig); err != nil {
			return err
		}
		proms, err := cluster.Promote(c.Context(), cluster.PromoteRequest{Paths: args, Out: gitops, Cluster: cfg}, popt)
		if err != nil {
			return problems(streams, err)
		}
		return pr.Print(streams.Out, proms)
	}
	pf.add(c)
	c.Flags().StringVar(&gitops, "out", "", "the GitOps tree `DIR` (as goldenpath render --out writes it)")
	c.Flags().StringVar(&kubeconfig, "kubeconfig", "", "kubeconfig `FILE` of the cluster kpack runs in (default: in a pod its service account, else $KUBECONFIG or ~/.kube/config)")
	return c
}
