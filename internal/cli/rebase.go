package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"regexp"
	"strings"
	"sync"

	"github.com/spf13/cobra"

	"github.com/goldenpath-dev/goldenpath/goldenpath"
	"github.com/goldenpath-dev/goldenpath/pipeline/fleet"
	"github.com/goldenpath-dev/goldenpath/pipeline/registry"
)

// fleetFlags are the flags plan and rebase share: which apps, where.
type fleetFlags struct {
	platform platformFlag
	req      goldenpath.FleetRequest
}

func (f *fleetFlags) add(c *cobra.Command, runImageHelp string) {
	f.platform.add(c)
	fl := c.Flags()
	fl.StringVar(&f.req.ImagesFile, "images-file", "", "file of image references, one per line (# comments); - reads stdin")
	fl.StringArrayVarP(&f.req.Paths, "file", "f", nil, "contract file or folder: each buildpack app's image (repeatable)")
	fl.StringVar(&f.req.Registry, "registry", "", "registry prefix replacing the platform's for the images of contracts (REGISTRY[/path])")
	fl.StringVar(&f.req.RunImage, "run-image", "", runImageHelp)
	fl.IntVar(&f.req.Concurrency, "concurrency", registry.DefaultConcurrency, "images processed at once")
	fl.DurationVar(&f.req.Timeout, "timeout", 0, "bound on each registry request (default 60s)")
}

// request completes the shared request from the arguments and streams.
func (f *fleetFlags) request(streams Streams, args []string) (goldenpath.FleetRequest, goldenpath.Option, error) {
	r := f.req
	r.Images = args
	r.Input = streams.In
	if len(r.Images) == 0 && r.ImagesFile == "" && len(r.Paths) == 0 {
		return r, nil, usageErrorf("give images (IMAGE..., --images-file) or contracts (-f)")
	}
	if r.Concurrency < 1 {
		return r, nil, usageErrorf("--concurrency must be at least 1")
	}
	popt, err := f.platform.option()
	return r, popt, err
}

func newRebaseCommand(streams Streams) *cobra.Command {
	var (
		f      fleetFlags
		dry    bool
		force  bool
		output string
		quiet  bool
		report string
		resume string
	)
	c := &cobra.Command{
		Use:   "rebase [IMAGE...] [--images-file FILE] [-f CONTRACTS]... [--run-image REF]",
		Short: "Swap the run image under app images in the registry: patch a whole fleet in seconds",
		Long: `Rebase Cloud Native Buildpacks app images onto a (patched) run image, in the
registry: no layer is pulled or pushed. For each image goldenpath reads its
manifest and config, writes a new config (the run image's layers, diff IDs,
history and stack/base labels, the io.buildpacks.lifecycle.metadata runImage
topLayer and reference rewritten as lifecycle rebase does) and writes the
manifest last, so a tag never points at an incomplete image. Images are
rebased concurrently; each gets a line as it finishes:

  rebased       IMAGE  sha256:OLD -> sha256:NEW  (run image top sha256:A -> sha256:B)
  up-to-date    IMAGE  (already on the run image: skipped)
  would-rebase  IMAGE  ... (--dry-run: what would change, nothing written)
  failed        IMAGE: why (the tag is left as it was)

A rerun after a failure finishes the rest and skips what is done. If the
registry itself died while writing a tag (distribution's filesystem driver
does not write tag links atomically), give the interrupted run's report
(--report FILE, or -o json) to --resume and the tag is re-pointed first.

The run image: --run-image, else for contracts their builder's stack run
image, else the one each image's metadata names (re-read from the registry:
a run image patched under the same tag). A run image under a name the image
does not record needs --force, as with lifecycle rebase.

Exit status: 0 when every image is rebased or up to date, 1 when any failed,
2 on usage errors.`,
		Example: `  goldenpath rebase 127.0.0.1:5111/apps/dev/payments-api:latest
  goldenpath rebase --dry-run -f contracts/ --platform platform.yaml
  goldenpath rebase --images-file fleet.txt --run-image registry.example.com/run:bookworm --concurrency 32
  goldenpath plan contracts/ -o rebase | goldenpath rebase --images-file -`,
		Args: cobra.ArbitraryArgs,
		RunE: func(c *cobra.Command, args []string) error {
			if output != "text" && output != "json" {
				return usageErrorf("unknown output format %q (use text or json)", output)
			}
			fr, popt, err := f.request(streams, args)
			if err != nil {
				return err
			}
			req := goldenpath.RebaseRequest{FleetRequest: fr, DryRun: dry, Force: force, Resume: resume}
			var mu sync.Mutex
			if output == "text" && !quiet {
				req.Progress = func(r fleet.RebaseResult) {
					mu.Lock()
					defer mu.Unlock()
					printRebaseResult(streams.Out, r)
				}
			}
			rep, err := goldenpath.Rebase(c.Context(), req, popt)
			if err != nil && rep == nil {
				return problems(streams, err)
			}
			if report != "" {
				data, jerr := json.MarshalIndent(rep, "", "  ")
				if jerr == nil {
					jerr = os.WriteFile(report, append(data, '\n'), 0o644)
				}
				if jerr != nil {
					return fmt.Errorf("writing the report: %w", jerr)
				}
			}
			if output == "json" {
				enc := json.NewEncoder(streams.Out)
				enc.SetIndent("", "  ")
				if err := enc.Encode(rep); err != nil {
					return err
				}
			} else {
				if quiet {
					for _, r := range rep.Results {
						if r.Status == fleet.RebaseFailed {
							printRebaseResult(streams.Out, r)
						}
					}
				}
				printRebaseSummary(streams.Out, rep)
			}
			if err != nil {
				return err
			}
			if rep.Count(fleet.RebaseFailed) > 0 {
				return failed
			}
			return nil
		},
	}
	f.add(c, "run image to rebase onto (default: the builder's for contracts, else each image's own, re-read)")
	c.Flags().BoolVar(&dry, "dry-run", false, "print what would change; write nothing")
	c.Flags().BoolVar(&force, "force", false, "rebase where lifecycle rebase needs -force (a run image under a new name, an image marked not rebasable)")
	c.Flags().StringVarP(&output, "output", "o", "text", "output format: text (a line per image as it finishes, then a summary) or json (the report)")
	c.Flags().BoolVarP(&quiet, "quiet", "q", false, "text output: only failures and the summary")
	c.Flags().StringVar(&report, "report", "", "also write the JSON report to this file (for --resume)")
	c.Flags().StringVar(&resume, "resume", "", "JSON report of an interrupted run: re-point tags the registry broke when it died, then go on")
	return c
}

var digestRE = regexp.MustCompile(`sha256:([0-9a-f]{12})[0-9a-f]{52}`)

// short shortens the sha256 digests in s to 12 hex digits for text output.
func short(s string) string { return digestRE.ReplaceAllString(s, "sha256:$1") }

func printRebaseResult(w io.Writer, r fleet.RebaseResult) {
	switch r.Status {
	case fleet.RebaseFailed:
		fmt.Fprintf(w, "%-12s  %s: %s\n", r.Status, r.Image, r.Error)
		return
	case fleet.RebaseUpToDate:
		fmt.Fprintf(w, "%-12s  %s  %s (run image top %s)\n", r.Status, r.Image, short(r.Digest), short(r.To.TopLayer))
	default:
		fmt.Fprintf(w, "%-12s  %s  %s -> %s  (run image %s top %s -> %s; base layers %d -> %d, app layers %d kept",
			r.Status, r.Image, short(r.Digest), short(r.NewDigest), r.RunImage, short(r.From.TopLayer), short(r.To.TopLayer),
			r.OldBaseLayers, r.NewBaseLayers, r.AppLayers)
		if len(r.Labels) > 0 {
			fmt.Fprintf(w, "; labels %s", strings.Join(r.Labels, ", "))
		}
		fmt.Fprintln(w, ")")
		if r.Status == fleet.RebaseWouldRebase {
			fmt.Fprintf(w, "%-12s    runImage.reference %s -> %s\n", "", short(r.From.Reference), short(r.To.Reference))
			if r.From.Image != r.To.Image {
				fmt.Fprintf(w, "%-12s    runImage.image %s -> %s\n", "", r.From.Image, r.To.Image)
			}
		}
	}
	if r.Repaired != "" {
		fmt.Fprintf(w, "%-12s    repaired: %s\n", "", r.Repaired)
	}
	for _, warn := range r.Warnings {
		fmt.Fprintf(w, "%-12s    warning: %s\n", "", warn)
	}
}

func printRebaseSummary(w io.Writer, rep *fleet.RebaseReport) {
	var parts []string
	for _, s := range []fleet.RebaseStatus{fleet.RebaseRebased, fleet.RebaseWouldRebase, fleet.RebaseUpToDate, fleet.RebaseFailed} {
		if n := rep.Count(s); n > 0 || s == fleet.RebaseFailed {
			parts = append(parts, fmt.Sprintf("%d %s", n, s))
		}
	}
	runs := make([]string, 0, len(rep.RunImages))
	for _, r := range rep.RunImages {
		runs = append(runs, fmt.Sprintf("%s@%s", r.Name, short(r.Digest)))
	}
	dry := ""
	if rep.DryRun {
		dry = " (dry run: nothing written)"
	}
	fmt.Fprintf(w, "%s: %s in %.2fs, %d registry requests; run image %s%s\n",
		images(len(rep.Results)), strings.Join(parts, ", "), rep.Seconds, rep.Requests.Total(), strings.Join(runs, ", "), dry)
}

func images(n int) string {
	if n == 1 {
		return "1 image"
	}
	return fmt.Sprintf("%d images", n)
}
