package goldenpath

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/name"

	"github.com/goldenpath-dev/goldenpath/contract"
	"github.com/goldenpath-dev/goldenpath/pipeline/fleet"
	"github.com/goldenpath-dev/goldenpath/pipeline/registry"
)

// FleetRequest is what plan and rebase share: which apps, where their
// images are, and how to talk to the registry.
type FleetRequest struct {
	// Images are app image references (tags or digests).
	Images []string
	// ImagesFile lists more references, one per line (blank lines and
	// # comments are skipped); "-" reads Input.
	ImagesFile string
	// Input is read when ImagesFile is "-".
	Input io.Reader
	// Paths are contract files or folders. Each buildpack app's image is
	// the tag builds push (<registry>/<environment>/<application>:latest);
	// an image given in Images that is in that repository is used instead.
	Paths []string
	// Registry replaces the platform's registry prefix for the images of
	// contracts, as `build --publish` does. Empty keeps the platform's.
	Registry string
	// RunImage is the run image: to rebase onto, or to compare with.
	// Empty: for contracts, their builder's stack run image; for bare
	// images, the run image their metadata names (re-read from the
	// registry: a run image patched under the same tag).
	RunImage string
	// Concurrency is how many images are processed at once. 0 means
	// registry.DefaultConcurrency.
	Concurrency int
	// Timeout bounds each registry request. 0 means the pipeline's
	// default (60s).
	Timeout time.Duration
	// Retries of a request that failed on the network or with 429/5xx.
	// 0 means the pipeline's default (2); negative means none.
	Retries int
}

// PlanRequest is one `goldenpath plan`.
type PlanRequest struct {
	FleetRequest
	// Revisions are the current commits of apps' sources, by application
	// or environment/application (what CI knows). Contracts that pin a
	// commit SHA need none.
	Revisions map[string]string
	// ResolveGit asks the source repositories for the commits of branches
	// and tags (git ls-remote; needs network access to them).
	ResolveGit bool
	// SkipBuilder does not read the builder images from the registry.
	SkipBuilder bool
}

// RebaseRequest is one `goldenpath rebase`.
type RebaseRequest struct {
	FleetRequest
	// DryRun reports what would change without writing anything.
	DryRun bool
	// Force rebases where the lifecycle would need -force (a run image
	// under a new name, an image marked not rebasable, another target).
	Force bool
	// Progress receives each image's result as it finishes.
	Progress func(fleet.RebaseResult)
	// Resume is the JSON report (rebase -o json, or --report) of an
	// earlier run that was interrupted: tags the registry broke while it
	// died are re-pointed from it (see fleet.RebaseSpec.Resume).
	Resume string
}

// LoadRebaseReport reads a JSON rebase report.
func LoadRebaseReport(path string) (*fleet.RebaseReport, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var rep fleet.RebaseReport
	if err := json.Unmarshal(data, &rep); err != nil {
		return nil, fmt.Errorf("%s: not a rebase report: %w", path, err)
	}
	return &rep, nil
}

func (r FleetRequest) registryOptions(o *options) []registry.Option {
	opts := append([]registry.Option(nil), o.registry...)
	if r.Concurrency > 0 {
		opts = append(opts, registry.WithConcurrency(r.Concurrency))
	}
	if r.Timeout > 0 {
		opts = append(opts, registry.WithRequestTimeout(r.Timeout))
	}
	switch {
	case r.Retries > 0:
		opts = append(opts, registry.WithRetries(r.Retries))
	case r.Retries < 0:
		opts = append(opts, registry.WithRetries(0))
	}
	return opts
}

// fleetTarget is one app of a fleet request.
type fleetTarget struct {
	image   string
	request *contract.AppDeploymentRequest
}

// targets loads the contracts and image lists of a fleet request and
// pairs images with the contracts of their repositories.
func (r FleetRequest) targets(ctx context.Context, o *options) ([]fleetTarget, error) {
	images := append([]string(nil), r.Images...)
	if r.ImagesFile != "" {
		more, err := readImageList(r.ImagesFile, r.Input)
		if err != nil {
			return nil, err
		}
		images = append(images, more...)
	}
	var reqs []*contract.AppDeploymentRequest
	if len(r.Paths) > 0 {
		var err error
		if reqs, err = o.loadRequests(ctx, r.Paths); err != nil {
			return nil, err
		}
	}
	if len(images) == 0 && len(reqs) == 0 {
		return nil, errors.New("no images or contracts given")
	}
	byRepo := map[string]int{} // repository -> index in out
	var out []fleetTarget
	for _, req := range reqs {
		repo := o.platform.ImageRepositoryOn(r.Registry, req)
		ref, err := name.ParseReference(repo + ":latest")
		if err != nil {
			return nil, fmt.Errorf("%s: image of %s/%s: %w", req.Origin(), req.Environment, req.Application, err)
		}
		byRepo[ref.Context().Name()] = len(out)
		out = append(out, fleetTarget{image: ref.String(), request: req})
	}
	replaced := map[int]bool{}
	seen := map[string]bool{}
	for _, img := range images {
		if seen[img] {
			continue
		}
		seen[img] = true
		ref, err := name.ParseReference(img)
		if err != nil {
			return nil, fmt.Errorf("invalid image reference %q: %w", img, err)
		}
		i, ok := byRepo[ref.Context().Name()]
		switch {
		case ok && !replaced[i]: // the contract's image, by another tag or digest
			replaced[i] = true
			out[i].image = img
		case ok: // more images of the same app
			out = append(out, fleetTarget{image: img, request: out[i].request})
		default:
			out = append(out, fleetTarget{image: img})
		}
	}
	return out, nil
}

// readImageList reads image references, one per line.
func readImageList(path string, stdin io.Reader) ([]string, error) {
	var in io.Reader
	if path == "-" {
		if stdin == nil {
			return nil, errors.New("images file \"-\": no input to read")
		}
		in = stdin
	} else {
		f, err := os.Open(path)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		in = f
	}
	var out []string
	sc := bufio.NewScanner(in)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if i := strings.Index(line, "#"); i >= 0 {
			line = strings.TrimSpace(line[:i])
		}
		if line == "" {
			continue
		}
		if strings.ContainsAny(line, " \t") {
			return nil, fmt.Errorf("%s:%d: one image reference per line, got %q", path, n, line)
		}
		out = append(out, line)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("reading %s: %w", path, err)
	}
	return out, nil
}

// Plan says, for each app, whether its image needs a REBUILD (kpack's
// reasons COMMIT, CONFIG, BUILDPACK, LIFECYCLE), a REBASE (STACK) or
// NOTHING, with the evidence: what the image was built from (its CNB
// labels) against the contract, the platform's builder and the run image
// in the registry now. Options: WithPlatform. Problems with single images
// are in their items.
func Plan(ctx context.Context, req PlanRequest, opts ...Option) (*fleet.Plan, error) {
	o, err := makeOptions(opts)
	if err != nil {
		return nil, err
	}
	targets, err := req.targets(ctx, o)
	if err != nil {
		return nil, err
	}
	planner, err := fleet.NewPlanner(req.registryOptions(o)...)
	if err != nil {
		return nil, err
	}
	spec := &fleet.PlanSpec{Platform: o.platform, RunImage: req.RunImage, SkipBuilder: req.SkipBuilder}
	pinned := fleet.PinnedRevisions(req.Revisions)
	spec.Revisions = pinned
	if req.ResolveGit {
		spec.Revisions = fleet.GitRevisions{Pinned: pinned}
	}
	for _, t := range targets {
		spec.Targets = append(spec.Targets, fleet.PlanTarget{Image: t.image, Request: t.request})
	}
	return planner.Plan(ctx, spec)
}

// Rebase swaps the run image under app images in the registry: one image,
// a list, or every buildpack app of the contracts given (each onto its
// builder's run image unless RunImage is set). It writes only a config
// and a manifest per image (and mounts the run image's new layers), so a
// fleet takes seconds; images already on the run image are skipped, so a
// rerun after a failure finishes the rest. Options: WithPlatform. The
// error is for the call; per-image failures are in the report
// (RebaseReport.Err).
func Rebase(ctx context.Context, req RebaseRequest, opts ...Option) (*fleet.RebaseReport, error) {
	o, err := makeOptions(opts)
	if err != nil {
		return nil, err
	}
	targets, err := req.targets(ctx, o)
	if err != nil {
		return nil, err
	}
	spec := &fleet.RebaseSpec{RunImage: req.RunImage, DryRun: req.DryRun, Force: req.Force, Progress: req.Progress, RunImages: map[string]string{}}
	if req.Resume != "" {
		if spec.Resume, err = LoadRebaseReport(req.Resume); err != nil {
			return nil, err
		}
	}
	for _, t := range targets {
		if r := t.request; r != nil {
			if r.Spec.Build.Type == contract.BuildTypeDockerfile {
				continue // no run image to swap: rebuild those
			}
			if b, ok := o.platform.Builders[r.Spec.Build.Builder]; ok && req.RunImage == "" {
				spec.RunImages[t.image] = b.Stack.RunImage
			}
		}
		spec.Images = append(spec.Images, t.image)
	}
	if len(spec.Images) == 0 {
		return nil, errors.New("nothing to rebase: the contracts given are all Dockerfile builds")
	}
	rebaser, err := fleet.NewRegistryRebaser(req.registryOptions(o)...)
	if err != nil {
		return nil, err
	}
	return rebaser.Rebase(ctx, spec)
}
