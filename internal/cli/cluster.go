package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/goldenpath-dev/goldenpath/goldenpath"
	"github.com/goldenpath-dev/goldenpath/pipeline/fleet"
	"github.com/goldenpath-dev/goldenpath/pipeline/registry"
)

// registryFlags are the registry access flags of the commands that only
// read registries.
type registryFlags struct{ insecure []string }

func (f *registryFlags) add(c *cobra.Command) {
	c.Flags().StringArrayVar(&f.insecure, "insecure-registry", nil, "registry host[:port] spoken to over plain HTTP (repeatable; loopback registries always are)")
}

func (f *registryFlags) options() []registry.Option {
	return []registry.Option{registry.WithInsecureRegistries(f.insecure...)}
}

func newUpdateStacksCommand(streams Streams) *cobra.Command {
	var (
		pf         platformFlag
		rf         registryFlags
		kubeconfig string
		watch      time.Duration
		dryRun     bool
		output     string
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

Exit status: 0 when every ClusterStack is current or was updated, 1 on any
failure, 2 on usage errors.`,
		Example: `  goldenpath platform update-stacks --platform platform.yaml --kubeconfig ~/.kube/config
  goldenpath platform update-stacks --platform platform.yaml --watch 30s
  goldenpath platform update-stacks --platform platform.yaml --dry-run --kubeconfig - -o json`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, args []string) error {
			if output != "text" && output != "json" {
				return usageErrorf("unknown output format %q (use text or json)", output)
			}
			if kubeconfig == "-" && !dryRun {
				return usageErrorf("--kubeconfig - (no cluster) needs --dry-run")
			}
			popt, err := pf.option()
			if err != nil {
				return err
			}
			u, err := goldenpath.NewStackUpdater(kubeconfig, dryRun, rf.options(), popt)
			if err != nil {
				return err
			}
			print := func(rep *fleet.StackReport, err error) {
				if rep != nil {
					printStackReport(streams.Out, rep, output)
				}
				if err != nil {
					fmt.Fprintf(streams.Err, "goldenpath: %v\n", err)
				}
			}
			if watch > 0 {
				ctx, stop := signal.NotifyContext(c.Context(), syscall.SIGTERM, syscall.SIGINT)
				defer stop()
				if err := u.Watch(ctx, watch, print); err != context.Canceled {
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
		},
	}
	pf.add(c)
	rf.add(c)
	c.Flags().StringVar(&kubeconfig, "kubeconfig", "", "kubeconfig of the cluster (default: in a pod its service account, else $KUBECONFIG or ~/.kube/config; - with --dry-run: no cluster)")
	c.Flags().DurationVar(&watch, "watch", 0, "check again every interval until interrupted (e.g. 30s)")
	c.Flags().BoolVar(&dryRun, "dry-run", false, "report what would change, change nothing")
	c.Flags().StringVarP(&output, "output", "o", "text", "output format: text or json (one report per line with --watch)")
	return c
}

func printStackReport(w io.Writer, rep *fleet.StackReport, output string) {
	if output == "json" {
		data, _ := json.Marshal(rep)
		fmt.Fprintf(w, "%s\n", data)
		return
	}
	prefix := ""
	if rep.DryRun {
		prefix = "would update "
	}
	for _, ch := range rep.Changes {
		fmt.Fprintf(w, "%s%s\n", prefix, ch)
	}
}

func newPromoteCommand(streams Streams) *cobra.Command {
	var (
		pf  platformFlag
		req goldenpath.PromoteRequest
		out string
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

Applications kpack has not built yet are reported and left as they are.

Exit status: 0 on success, 1 on failure, 2 on usage errors.`,
		Example: `  goldenpath promote --platform platform.yaml --out gitops/ contracts/ && git -C gitops commit -am promote`,
		Args:    cobra.MinimumNArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			if out == "" {
				return usageErrorf("--out is required: the GitOps tree to update")
			}
			popt, err := pf.option()
			if err != nil {
				return err
			}
			req.Paths, req.Out = args, out
			proms, err := goldenpath.Promote(c.Context(), req, popt)
			if err != nil {
				return problems(streams, err)
			}
			for _, p := range proms {
				app := p.Environment + "/" + p.Application
				switch {
				case p.Skipped != "":
					fmt.Fprintf(streams.Out, "%s  skipped: %s\n", app, p.Skipped)
				case len(p.Changed) == 0:
					fmt.Fprintf(streams.Out, "%s  %s  unchanged\n", app, p.Image)
				default:
					fmt.Fprintf(streams.Out, "%s  %s  %d files changed (%s)\n", app, p.Image, len(p.Changed), strings.Join(p.Changed, ", "))
				}
			}
			return nil
		},
	}
	pf.add(c)
	c.Flags().StringVar(&out, "out", "", "the GitOps tree (as goldenpath render --out writes it)")
	c.Flags().StringVar(&req.Kubeconfig, "kubeconfig", "", "kubeconfig of the cluster kpack runs in (default: in a pod its service account, else $KUBECONFIG or ~/.kube/config)")
	return c
}
