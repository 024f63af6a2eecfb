package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/goldenpath-dev/goldenpath/goldenpath"
	"github.com/goldenpath-dev/goldenpath/pipeline/fleet"
)

func newPlanCommand(streams Streams) *cobra.Command {
	var (
		f         fleetFlags
		revisions []string
		req       goldenpath.PlanRequest
		output    string
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

Exit status: 0 when every image was assessed, 1 when any could not be, 2 on
usage errors.`,
		Example: `  goldenpath plan --platform examples/platform/local.yaml examples/apps/
  goldenpath plan --image 127.0.0.1:5111/apps/dev/sample-go:latest --platform examples/platform/local.yaml
  goldenpath plan contracts/ --revision payments-api=3f2c... -o json
  goldenpath plan contracts/ -o rebase | goldenpath rebase --images-file -`,
		Args: cobra.ArbitraryArgs,
		RunE: func(c *cobra.Command, args []string) error {
			switch output {
			case "text", "json", "rebase":
			default:
				return usageErrorf("unknown output format %q (use text, json or rebase)", output)
			}
			f.req.Paths = append(f.req.Paths, args...)
			fr, popt, err := f.request(streams, f.req.Images)
			if err != nil {
				return err
			}
			req.FleetRequest = fr
			req.Revisions = map[string]string{}
			for _, r := range revisions {
				app, sha, ok := strings.Cut(r, "=")
				if !ok || app == "" || sha == "" {
					return usageErrorf("--revision %q: want APP=SHA (or ENV/APP=SHA)", r)
				}
				req.Revisions[app] = sha
			}
			plan, err := goldenpath.Plan(c.Context(), req, popt)
			if err != nil {
				return problems(streams, err)
			}
			switch output {
			case "json":
				enc := json.NewEncoder(streams.Out)
				enc.SetIndent("", "  ")
				if err := enc.Encode(plan); err != nil {
					return err
				}
			case "rebase":
				for _, img := range plan.Images(fleet.ActionRebase) {
					fmt.Fprintln(streams.Out, img)
				}
			default:
				printPlan(streams.Out, plan, all)
			}
			if plan.Count(fleet.ActionError) > 0 {
				if output != "text" {
					for _, it := range plan.Items {
						if it.Action == fleet.ActionError {
							fmt.Fprintf(streams.Err, "goldenpath: %s: %s\n", it.Image, it.Error)
						}
					}
				}
				return failed
			}
			return nil
		},
	}
	f.add(c, "run image to compare with (default: each builder's stack run image)")
	c.Flags().StringArrayVar(&f.req.Images, "image", nil, "image to plan (repeatable); in the repository of a contract's app it is planned with that contract")
	c.Flags().StringArrayVar(&revisions, "revision", nil, "current commit of an app's source: APP=SHA or ENV/APP=SHA (repeatable)")
	c.Flags().BoolVar(&req.ResolveGit, "resolve-git", false, "ask the source repositories for the commits of branches and tags (git ls-remote)")
	c.Flags().BoolVar(&req.SkipBuilder, "skip-builder", false, "do not read builder images (no LIFECYCLE; BUILDPACK from the platform's pins only)")
	c.Flags().StringVarP(&output, "output", "o", "text", "output format: text, json (the plan with all evidence) or rebase (the images to rebase, one per line)")
	c.Flags().BoolVar(&all, "all", false, "text output: every comparison, not only the changes")
	return c
}

func printPlan(w io.Writer, plan *fleet.Plan, all bool) {
	width := 0
	for _, it := range plan.Items {
		width = max(width, len(it.Image))
	}
	for _, it := range plan.Items {
		if it.Action == fleet.ActionError {
			fmt.Fprintf(w, "%-7s  %s: %s\n", it.Action, it.Image, it.Error)
			continue
		}
		reasons := make([]string, len(it.Reasons))
		for i, r := range it.Reasons {
			reasons[i] = string(r)
		}
		fmt.Fprintf(w, "%-7s  %-*s  %s\n", it.Action, width, it.Image, strings.Join(reasons, ","))
		for _, e := range it.Evidence {
			if !all && !e.Changed && it.Action != fleet.ActionSkip {
				continue
			}
			var line string
			switch {
			case e.Old == "" && e.New == "":
				line = fmt.Sprintf("%-9s  %s", e.Reason, e.Field)
			case e.Old == "" && e.Reason == "":
				line = fmt.Sprintf("%-9s  %s: %s", e.Reason, e.Field, e.New)
			default:
				line = fmt.Sprintf("%-9s  %s: %s -> %s", e.Reason, e.Field, orUnknown(e.Old), orUnknown(e.New))
			}
			if e.Note != "" {
				line += " (" + e.Note + ")"
			}
			fmt.Fprintf(w, "         %s\n", short(line))
		}
		if it.Action == fleet.ActionRebase {
			fmt.Fprintf(w, "         %-9s  goldenpath rebase %s --run-image %s\n", "fix", it.Image, it.RunImage)
		}
	}
	fmt.Fprintf(w, "%s: %d to rebuild, %d to rebase, %d up to date, %d skipped, %d errors (%.2fs)\n", images(len(plan.Items)),
		plan.Count(fleet.ActionRebuild), plan.Count(fleet.ActionRebase), plan.Count(fleet.ActionNothing),
		plan.Count(fleet.ActionSkip), plan.Count(fleet.ActionError), plan.Seconds)
}

func orUnknown(s string) string {
	if s == "" {
		return "(unknown)"
	}
	return s
}
