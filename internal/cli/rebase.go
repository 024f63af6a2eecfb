package cli

import (
	"encoding/json"
	"fmt"
	"sync"

	"github.com/spf13/cobra"

	"github.com/goldenpath-dev/goldenpath/goldenpath"
	"github.com/goldenpath-dev/goldenpath/goldenpath/fleet"
)

// fleetFlags are the flags plan and rebase share: which apps, where, and
// how many at once.
type fleetFlags struct {
	platform    platformFlag
	registry    registryFlags
	req         fleet.Request
	imagesFile  string
	concurrency int
}

func (f *fleetFlags) add(c *cobra.Command, runImageHelp string) {
	f.platform.add(c)
	f.registry.add(c)
	fl := c.Flags()
	fl.StringVar(&f.imagesFile, "images-file", "", "`FILE` of image references, one per line (# comments); - reads stdin")
	fl.StringArrayVarP(&f.req.Paths, "file", "f", nil, "contract file or folder, a `PATH`: each buildpack app's image (repeatable)")
	fl.StringVar(&f.req.Registry, "registry", "", "registry prefix replacing the platform's for the images of contracts, `REGISTRY[/PATH]`")
	fl.StringVar(&f.req.RunImage, "run-image", "", runImageHelp)
	fl.IntVar(&f.concurrency, "concurrency", 16, "images processed at once")
}

// request completes the shared request from the arguments and stdin, and
// returns the options the flags ask for.
func (f *fleetFlags) request(streams Streams, images []string) (fleet.Request, []goldenpath.Option, error) {
	r := f.req
	r.Images = append([]string(nil), images...)
	if len(r.Images) == 0 && f.imagesFile == "" && len(r.Paths) == 0 {
		return r, nil, usageErrorf("give images (IMAGE..., --images-file) or contracts (-f)")
	}
	if f.concurrency < 1 {
		return r, nil, usageErrorf("--concurrency %d: give at least 1", f.concurrency)
	}
	if err := checkPaths(r.Paths); err != nil {
		return r, nil, err
	}
	opts, err := platformAndRegistry(&f.platform, &f.registry)
	if err != nil {
		return r, nil, err
	}
	if f.imagesFile != "" {
		listed, err := readImageList(f.imagesFile, streams.In)
		if err != nil {
			return r, nil, err
		}
		r.Images = append(r.Images, listed...)
	}
	return r, append(opts, goldenpath.WithConcurrency(f.concurrency)), nil
}

func newRebaseCommand(streams Streams) *cobra.Command {
	var (
		f      fleetFlags
		dry    bool
		force  bool
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

Exit status 1 means an image failed (the others are done).`,
		Example: `  goldenpath rebase 127.0.0.1:5111/apps/dev/payments-api:latest
  goldenpath rebase --dry-run -f contracts/ --platform platform.yaml
  goldenpath rebase --images-file fleet.txt --run-image registry.example.com/run:bookworm --concurrency 32
  goldenpath plan contracts/ -o rebase | goldenpath rebase --images-file -`,
		Args: cobra.ArbitraryArgs,
	}
	out := addOutput(c, fleet.RebaseOutput(nil), "text: a line per image as it finishes, then a summary; json: the report")
	c.RunE = func(c *cobra.Command, args []string) error {
		var show func(fleet.RebaseResult) bool
		if quiet {
			show = func(r fleet.RebaseResult) bool { return r.Status == fleet.RebaseFailed }
		}
		pr, err := printer(out, fleet.RebaseOutput(show))
		if err != nil {
			return err
		}
		fr, opts, err := f.request(streams, args)
		if err != nil {
			return err
		}
		req := fleet.RebaseRequest{Request: fr, DryRun: dry, Force: force}
		if resume != "" {
			if req.Resume, err = readRebaseReport(resume); err != nil {
				return err
			}
		}
		var mu sync.Mutex
		if out.format == "text" && !quiet {
			req.Progress = func(r fleet.RebaseResult) {
				mu.Lock()
				defer mu.Unlock()
				_ = fleet.RebaseLine(streams.Out, r)
			}
		}
		rep, err := fleet.Rebase(c.Context(), req, opts...)
		if err != nil && rep == nil {
			return problems(streams, err)
		}
		if report != "" {
			data, jerr := json.MarshalIndent(rep, "", "  ")
			if jerr == nil {
				jerr = writeFileAtomic(report, append(data, '\n'), 0o644)
			}
			if jerr != nil {
				return fmt.Errorf("--report %s: %v", report, describe(jerr))
			}
		}
		if perr := pr.Print(streams.Out, rep); perr != nil {
			return perr
		}
		if err != nil {
			return err
		}
		if rep.Count(fleet.RebaseFailed) > 0 {
			return failed
		}
		return nil
	}
	f.add(c, "run image to rebase onto, a `REFERENCE` (default: the builder's for contracts, else each image's own, re-read)")
	c.Flags().BoolVar(&dry, "dry-run", false, "print what would change; write nothing")
	c.Flags().BoolVar(&force, "force", false, "rebase where lifecycle rebase needs -force (a run image under a new name, an image marked not rebasable)")
	c.Flags().BoolVarP(&quiet, "quiet", "q", false, "text output: only failures and the summary")
	c.Flags().StringVar(&report, "report", "", "also write the JSON report to `FILE` (for --resume)")
	c.Flags().StringVar(&resume, "resume", "", "JSON report `FILE` of an interrupted run: re-point tags the registry broke when it died, then go on")
	return c
}
