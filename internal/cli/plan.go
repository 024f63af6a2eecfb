package cli

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/goldenpath-dev/goldenpath/goldenpath/fleet"
	"github.com/goldenpath-dev/goldenpath/goldenpath/output"
)

func newPlanCommand(streams Streams) *cobra.Command {
	var (
		f         fleetFlags
		images    []string
		revisions []string
		req       fleet.PlanRequest
		all       bool
	)
	c := &cobra.Command{
		Use:   "plan [PATH...] [--image REF]... [--images-file FILE]",
		Short: "Say which app images need a rebuild, a rebase or nothing, and why",
		Long: `Compare what each app image was built from (its Cloud Native Buildpacks
labels: io.buildpacks.lifecycle.metadata, io.buildpacks.build.metadata,
io.buildpacks.project.metadata, io.goldenpath.build.config) with what its
contract and the platform say now (and the run image and builder images in
the registry), and print for each image:

  REBUILD  IMAGE  COMMIT,CONFIG,BUILDPACK,LIFECYCLE[,STACK]   (kpack's reasons)
  REBASE   IMAGE  STACK     only the run image changed: goldenpath rebase
  NOTHING  IMAGE
  SKIP     IMAGE            not a buildpacks image (a Dockerfile build)
  ERROR    IMAGE: why

each followed by its evidence, old -> new (with --all, also the values
that did not change and the comparisons that could not be made).

PATH are contract files or folders: each buildpack app's image is the tag
builds push (--registry replaces the platform's prefix); --image adds or
replaces images. COMMIT needs the current commit: contracts pinning a
commit SHA, --revision APP=SHA, or --resolve-git (git ls-remote).

Exit status 1 means an image could not be assessed.`,
		Example: `  goldenpath plan --platform examples/platform/local.yaml examples/apps/
  goldenpath plan --image 127.0.0.1:5111/apps/dev/sample-go:latest --platform examples/platform/local.yaml
  goldenpath plan contracts/ --revision payments-api=3f2c... -o json
  goldenpath plan contracts/ -o rebase | goldenpath rebase --images-file -`,
		Args: cobra.ArbitraryArgs,
	}
	out := addOutput(c, fleet.PlanOutput(false), "json: the plan with all evidence; rebase: the images to rebase, one per line")
	c.RunE = func(c *cobra.Command, args []string) error {
		pr, err := printer(out, fleet.PlanOutput(all))
		if err != nil {
			return err
		}
		f.req.Paths = append(f.req.Paths, args...)
		fr, opts, err := f.request(streams, images)
		if err != nil {
			return err
		}
		req.Request = fr
		req.Revisions = map[string]string{}
		for _, r := range revisions {
			app, sha, ok := strings.Cut(r, "=")
			if !ok || app == "" || sha == "" {
				return usageErrorf("--revision %q: give APP=SHA (or ENV/APP=SHA)", r)
			}
			req.Revisions[app] = sha
		}
		plan, err := fleet.Plan(c.Context(), req, opts...)
		if err != nil {
			return problems(streams, err)
		}
		if err := pr.Print(streams.Out, plan); err != nil {
			return err
		}
		if plan.Count(fleet.ActionError) > 0 {
			if out.format != string(output.Text) {
				for _, it := range plan.Items {
					if it.Action == fleet.ActionError {
						fmt.Fprintf(streams.Err, "goldenpath: %s: %s\n", it.Image, output.Printable(it.Error))
					}
				}
			}
			return failed
		}
		return nil
	}
	f.add(c, "run image to compare with, a `REFERENCE` (default: each builder's stack run image)")
	c.Flags().StringArrayVar(&images, "image", nil, "image to plan, a `REFERENCE` (repeatable); in the repository of a contract's app it is planned with that contract")
	c.Flags().StringArrayVar(&revisions, "revision", nil, "current commit of an app's source: `APP=SHA` or ENV/APP=SHA (repeatable)")
	c.Flags().BoolVar(&req.ResolveGit, "resolve-git", false, "ask the source repositories for the commits of branches and tags (git ls-remote)")
	c.Flags().BoolVar(&req.SkipBuilder, "skip-builder", false, "do not read builder images (no LIFECYCLE; BUILDPACK from the platform's pins only)")
	c.Flags().BoolVar(&all, "all", false, "text output: every comparison, not only the changes")
	return c
}
