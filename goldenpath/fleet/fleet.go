package fleet

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"

	"github.com/goldenpath-dev/goldenpath/contract"
	"github.com/goldenpath-dev/goldenpath/goldenpath"
	"github.com/goldenpath-dev/goldenpath/goldenpath/internal/regopt"
	"github.com/goldenpath-dev/goldenpath/goldenpath/internal/settings"
	"github.com/goldenpath-dev/goldenpath/pipeline/fleet"
)

// Request is what plan and rebase share: which apps, and where their
// images are.
type Request struct {
	// Images are app image references (tags or digests). ParseImageList
	// reads a list of them.
	Images []string
	// Paths are contract files or folders. Each buildpack app's image is
	// the tag builds push (<registry>/<environment>/<application>:latest);
	// an image given in Images that is in that repository is used instead.
	Paths []string
	// Registry replaces the platform's registry prefix for the images of
	// contracts, as build's Publish does. Empty keeps the platform's.
	Registry string
	// RunImage is the run image: to rebase onto, or to compare with.
	// Empty: for contracts, their builder's stack run image; for bare
	// images, the run image their metadata names (re-read from the
	// registry: a run image patched under the same tag).
	RunImage string
}

// PlanRequest is one plan.
type PlanRequest struct {
	Request
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

// RebaseRequest is one rebase.
type RebaseRequest struct {
	Request
	// DryRun reports what would change without writing anything.
	DryRun bool
	// Force rebases where the lifecycle would need -force (a run image
	// under a new name, an image marked not rebasable, another target).
	Force bool
	// Progress receives each image's result as it finishes, one at a time.
	Progress func(RebaseResult)
	// Resume is the report of an earlier run that was interrupted (see
	// ReadRebaseReport): tags the registry broke while it died are
	// re-pointed from it first.
	Resume *RebaseReport
}

// ParseImageList reads image references, one per line; blank lines and #
// comments are skipped. Errors name the line.
func ParseImageList(r io.Reader) ([]string, error) {
	var out []string
	sc := bufio.NewScanner(r)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if i := strings.Index(line, "#"); i >= 0 {
			line = strings.TrimSpace(line[:i])
		}
		if line == "" {
			continue
		}
		if strings.ContainsAny(line, " \t") {
			return nil, fmt.Errorf("line %d: one image reference per line, got %q", n, line)
		}
		out = append(out, line)
	}
	return out, sc.Err()
}

// ReadRebaseReport reads a JSON rebase report (rebase's json output), for
// RebaseRequest.Resume.
func ReadRebaseReport(r io.Reader) (*RebaseReport, error) {
	var rep RebaseReport
	if err := json.NewDecoder(r).Decode(&rep); err != nil {
		return nil, fmt.Errorf("not a rebase report: %w", err)
	}
	return &rep, nil
}

// open applies the options and finds the request's targets: what plan
// and rebase start with.
func (r Request) open(ctx context.Context, opts []goldenpath.Option) (*settings.Settings, *contract.Platform, []target, error) {
	s, err := settings.Apply(opts)
	if err != nil {
		return nil, nil, nil, err
	}
	p := s.PlatformOrDefault()
	targets, err := r.targets(ctx, p, s)
	return s, p, targets, err
}

// target is one app of a fleet request.
type target struct {
	image   string
	request *contract.AppDeploymentRequest
}

// targets loads the contracts of a fleet request and pairs its images
// with the contracts of their repositories.
func (r Request) targets(ctx context.Context, p *contract.Platform, s *settings.Settings) ([]target, error) {
	var reqs []*contract.AppDeploymentRequest
	if len(r.Paths) > 0 {
		var err error
		if reqs, err = goldenpath.LoadRequests(ctx, r.Paths, goldenpath.WithPlatform(p), goldenpath.WithConcurrency(s.FileConcurrency())); err != nil {
			return nil, err
		}
	}
	if len(r.Images) == 0 && len(reqs) == 0 {
		return nil, errors.New("no images or contracts given")
	}
	byRepo := map[string]int{} // repository -> index in out
	var out []target
	for _, req := range reqs {
		repo := p.ImageRepositoryOn(r.Registry, req)
		ref, err := name.ParseReference(repo + ":latest")
		if err != nil {
			return nil, fmt.Errorf("%s: image of %s/%s: %w", req.Origin(), req.Environment, req.Application, err)
		}
		byRepo[ref.Context().Name()] = len(out)
		out = append(out, target{image: ref.String(), request: req})
	}
	replaced := map[int]bool{}
	seen := map[string]bool{}
	for _, img := range r.Images {
		if seen[img] {
			continue
		}
		seen[img] = true
		ref, err := name.ParseReference(img)
		if err != nil {
			return nil, fmt.Errorf("%q is not an image reference (REGISTRY/REPOSITORY:TAG or @sha256:DIGEST)", img)
		}
		i, ok := byRepo[ref.Context().Name()]
		switch {
		case ok && !replaced[i]: // the contract's image, by another tag or digest
			replaced[i] = true
			out[i].image = img
		case ok: // more images of the same app
			out = append(out, target{image: img, request: out[i].request})
		default:
			out = append(out, target{image: img})
		}
	}
	return out, nil
}

// Plan says, for each app, whether its image needs a REBUILD (kpack's
// reasons COMMIT, CONFIG, BUILDPACK, LIFECYCLE), a REBASE (STACK) or
// NOTHING, with the evidence: what the image was built from (its CNB
// labels) against the contract, the platform's builder and the run image
// in the registry now. Options: goldenpath.WithPlatform, WithConcurrency
// and the registry options. Problems with single images are in their
// items.
func Plan(ctx context.Context, req PlanRequest, opts ...goldenpath.Option) (*PlanReport, error) {
	s, p, targets, err := req.open(ctx, opts)
	if err != nil {
		return nil, err
	}
	planner, err := fleet.NewPlanner(regopt.Options(s)...)
	if err != nil {
		return nil, err
	}
	spec := &fleet.PlanSpec{Platform: p, RunImage: req.RunImage, SkipBuilder: req.SkipBuilder}
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
// rerun after a failure finishes the rest. Options: goldenpath.WithPlatform,
// WithConcurrency and the registry options. The error is for the call;
// per-image failures are in the report (RebaseReport.Err).
func Rebase(ctx context.Context, req RebaseRequest, opts ...goldenpath.Option) (*RebaseReport, error) {
	s, p, targets, err := req.open(ctx, opts)
	if err != nil {
		return nil, err
	}
	spec := &fleet.RebaseSpec{RunImage: req.RunImage, DryRun: req.DryRun, Force: req.Force, Progress: req.Progress, Resume: req.Resume, RunImages: map[string]string{}}
	for _, t := range targets {
		if r := t.request; r != nil {
			if r.Spec.Build.Type == contract.BuildTypeDockerfile {
				continue // no run image to swap: rebuild those
			}
			if b, ok := p.Builders[r.Spec.Build.Builder]; ok && req.RunImage == "" {
				spec.RunImages[t.image] = b.Stack.RunImage
			}
		}
		spec.Images = append(spec.Images, t.image)
	}
	if len(spec.Images) == 0 {
		return nil, errors.New("nothing to rebase: the contracts given are all Dockerfile builds")
	}
	rebaser, err := fleet.NewRegistryRebaser(regopt.Options(s)...)
	if err != nil {
		return nil, err
	}
	return rebaser.Rebase(ctx, spec)
}
