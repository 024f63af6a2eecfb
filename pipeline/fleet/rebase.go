package fleet

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/goldenpath-dev/goldenpath/pipeline/cnb"
	"github.com/goldenpath-dev/goldenpath/pipeline/registry"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// Rebaser swaps the run image under CNB app images.
type Rebaser interface {
	Rebase(ctx context.Context, spec *RebaseSpec) (*RebaseReport, error)
}

// RebaseSpec is one rebase of one image or of a fleet.
type RebaseSpec struct {
	// Images are the app images to rebase, as tags or digests. A tag is
	// moved to the rebased image; a digest reference gets a new, untagged
	// image whose digest the result reports. Duplicates are rebased once.
	Images []string
	// RunImage is the (patched) run image to rebase onto. Empty: each
	// image's own run image as its lifecycle metadata names it (the mirror
	// on the image's own registry when there is one), read again from the
	// registry: the usual case of a run image patched under the same tag.
	RunImage string
	// RunImages overrides RunImage per image (keys as in Images): apps of
	// different builders rebase onto different run images.
	RunImages map[string]string
	// DryRun computes every change and reports it without writing.
	DryRun bool
	// Force rebases where the lifecycle would refuse without -force: the
	// run image is not one the image's metadata names (the new name is
	// then recorded, as `lifecycle rebase -force` does), the image is
	// labelled not rebasable, or its OS, architecture or distribution
	// differ from the run image's.
	Force bool
	// Progress, when set, receives each image's result as it finishes,
	// one call at a time.
	Progress func(RebaseResult)
	// Resume is the report of an earlier, interrupted run. An image whose
	// tag the registry can no longer read is re-pointed at the manifest
	// that run wrote for it, else at the one before, and then rebased as
	// usual. (A registry killed while it writes a tag can leave it broken:
	// distribution's filesystem driver does not write its tag links
	// atomically. The client cannot prevent that; it can repair it.)
	Resume *RebaseReport
}

// RebaseStatus is what happened to one image.
type RebaseStatus string

// The rebase statuses.
const (
	// RebaseRebased: the image now runs on the run image.
	RebaseRebased RebaseStatus = "rebased"
	// RebaseUpToDate: the image already runs on the run image (its
	// metadata's top layer, layers and reference match); nothing written.
	RebaseUpToDate RebaseStatus = "up-to-date"
	// RebaseWouldRebase: a dry run found the image out of date.
	RebaseWouldRebase RebaseStatus = "would-rebase"
	// RebaseFailed: see the result's Error. The image's tag is untouched.
	RebaseFailed RebaseStatus = "failed"
)

// RebaseResult is the outcome for one image.
type RebaseResult struct {
	// Image as given.
	Image string `json:"image"`
	// Status says what happened.
	Status RebaseStatus `json:"status"`
	// Digest is the image's manifest digest before.
	Digest string `json:"digest,omitempty"`
	// NewDigest is the rebased image's manifest digest (what a dry run
	// would write: rebasing is deterministic).
	NewDigest string `json:"newDigest,omitempty"`
	// RunImage is the run image name rebased onto.
	RunImage string `json:"runImage,omitempty"`
	// From is the image's run image record before.
	From *cnb.RunImageMetadata `json:"from,omitempty"`
	// To is the run image record after.
	To *cnb.RunImageMetadata `json:"to,omitempty"`
	// OldBaseLayers and NewBaseLayers count the run image layers replaced
	// and put in their place; AppLayers the image's own layers kept.
	OldBaseLayers int `json:"oldBaseLayers,omitempty"`
	NewBaseLayers int `json:"newBaseLayers,omitempty"`
	AppLayers     int `json:"appLayers,omitempty"`
	// Labels lists the io.buildpacks.stack.* and io.buildpacks.base.*
	// labels the run image changes.
	Labels []string `json:"labels,omitempty"`
	// Warnings are what the lifecycle would warn about (with Force).
	Warnings []string `json:"warnings,omitempty"`
	// Repaired says the tag was unreadable and was re-pointed (see
	// RebaseSpec.Resume).
	Repaired string `json:"repaired,omitempty"`
	// Error says why the image failed, with the step.
	Error string `json:"error,omitempty"`
	// Seconds is how long the image took.
	Seconds float64 `json:"seconds"`
	// Err is the error behind Error.
	Err error `json:"-"`
}

// RebaseReport is the outcome of a rebase.
type RebaseReport struct {
	// DryRun says nothing was written.
	DryRun bool `json:"dryRun"`
	// Results are in the order of the spec's images.
	Results []RebaseResult `json:"results"`
	// RunImages are the run images rebased onto, as resolved.
	RunImages []registry.ResolvedImage `json:"runImages"`
	// Seconds is the wall-clock time of the whole rebase.
	Seconds float64 `json:"seconds"`
	// Requests counts the registry requests made, by kind.
	Requests registry.Stats `json:"requests"`
}

// Count returns how many images ended with a status.
func (r *RebaseReport) Count(s RebaseStatus) int {
	n := 0
	for _, res := range r.Results {
		if res.Status == s {
			n++
		}
	}
	return n
}

// Err returns an error naming the failed images, or nil.
func (r *RebaseReport) Err() error {
	var failed []string
	for _, res := range r.Results {
		if res.Status == RebaseFailed {
			failed = append(failed, res.Image)
		}
	}
	if len(failed) == 0 {
		return nil
	}
	if len(failed) > 3 {
		failed = append(failed[:3], fmt.Sprintf("and %d more", len(failed)-3))
	}
	return fmt.Errorf("%d of %d images failed to rebase: %s", r.Count(RebaseFailed), len(r.Results), strings.Join(failed, ", "))
}

// RegistryRebaser rebases in the registry, like `lifecycle rebase` (and
// pack rebase --publish) but without pulling or pushing layers: for each
// image it reads the manifest and config, writes a new config (layers,
// history, OS/architecture from the run image, the lifecycle metadata's
// runImage and the run image's stack and base labels), makes sure the run
// image's new layers are in the image's repository (a cross-repository
// mount when they are not), and writes the manifest last, so a tag never
// points at an image whose blobs are not all there. Images are rebased
// concurrently; a failure is reported per image and a rerun skips what is
// already done.
type RegistryRebaser struct {
	reg *registry.Client
}

var _ Rebaser = (*RegistryRebaser)(nil)

// NewRegistryRebaser returns a RegistryRebaser with the options applied
// over the documented defaults.
func NewRegistryRebaser(opts ...registry.Option) (*RegistryRebaser, error) {
	reg, err := registry.New(opts...)
	if err != nil {
		return nil, err
	}
	return &RegistryRebaser{reg: reg}, nil
}

// Rebase rebases the spec's images. The error is for the call itself (no
// images, a cancelled context); what happened to each image is in the
// report (see [RebaseReport.Err]).
func (r *RegistryRebaser) Rebase(ctx context.Context, spec *RebaseSpec) (*RebaseReport, error) {
	if spec == nil || len(spec.Images) == 0 {
		return nil, errors.New("rebase: no images given")
	}
	start := time.Now()
	images := dedupe(spec.Images)
	rep := &RebaseReport{DryRun: spec.DryRun, Results: make([]RebaseResult, len(images))}
	var progress sync.Mutex
	stats0 := r.reg.Stats()
	cc := registry.NewCache()
	forEach(ctx, len(images), r.reg.Concurrency(), func(i int) {
		res := r.rebaseOne(ctx, cc, images[i], spec)
		rep.Results[i] = res
		if spec.Progress != nil {
			progress.Lock()
			spec.Progress(res)
			progress.Unlock()
		}
	})
	for i := range rep.Results {
		if rep.Results[i].Status == "" { // never started: cancelled
			rep.Results[i] = RebaseResult{Image: images[i], Status: RebaseFailed, Err: ctx.Err(), Error: fmt.Sprint(ctx.Err())}
		}
	}
	rep.RunImages = cc.Resolved()
	rep.Seconds = time.Since(start).Seconds()
	rep.Requests = r.reg.Stats().Sub(stats0)
	return rep, ctx.Err()
}

func (r *RegistryRebaser) rebaseOne(ctx context.Context, cc *registry.Cache, image string, spec *RebaseSpec) (res RebaseResult) {
	start := time.Now()
	res = RebaseResult{Image: image}
	defer func() { res.Seconds = time.Since(start).Seconds() }()
	fail := func(err error) RebaseResult {
		res.Status, res.Err, res.Error = RebaseFailed, err, err.Error()
		return res
	}
	if err := ctx.Err(); err != nil {
		return fail(err)
	}
	ref, err := r.reg.Parse(image)
	if err != nil {
		return fail(err)
	}
	app, err := r.reg.Image(ctx, ref, nil)
	if err != nil && !registry.IsNotFound(err) && spec.Resume != nil {
		if res.Repaired, err = r.repair(ctx, ref, spec.Resume, err); err == nil {
			app, err = r.reg.Image(ctx, ref, nil)
		}
	}
	if err != nil {
		return fail(fmt.Errorf("reading the image: %w", err))
	}
	res.Digest = app.Digest.String()
	md, err := cnb.ParseLifecycleMetadata(app.Config.Config.Labels[cnb.LabelLifecycleMetadata])
	if err != nil {
		return fail(err)
	}
	from := md.RunImage
	res.From = &from
	runName := spec.RunImage
	if n := spec.RunImages[image]; n != "" {
		runName = n
	}
	if runName == "" {
		if runName, err = pickRunImage(md, ref); err != nil {
			return fail(err)
		}
	}
	res.RunImage = runName
	base, err := r.reg.RunImage(ctx, cc, runName, app.Platform())
	if err != nil {
		return fail(fmt.Errorf("reading the run image %s: %w", runName, err))
	}
	k, err := baseIndex(app, md)
	if err != nil {
		return fail(err)
	}
	res.OldBaseLayers, res.NewBaseLayers, res.AppLayers = k+1, len(base.Manifest.Layers), len(app.Manifest.Layers)-k-1
	if upToDate(app, k, base, md) && md.Contains(runName) {
		res.Status, res.NewDigest, res.To = RebaseUpToDate, res.Digest, res.From
		return res
	}
	warnings, err := checkRebasable(app.Config, base.Config, md, runName, spec.Force)
	res.Warnings = warnings
	if err != nil {
		return fail(err)
	}
	out, err := rebased(app, k, base, md, runName, spec.Force)
	if err != nil {
		return fail(fmt.Errorf("making the rebased image: %w", err))
	}
	res.NewDigest, res.To, res.Labels = out.digest.String(), &out.md.RunImage, out.labels
	if spec.DryRun {
		res.Status = RebaseWouldRebase
		return res
	}
	// Blobs first: the run image's layers the repository lacks, then the
	// config; the manifest last.
	have := map[v1.Hash]bool{}
	for _, l := range app.Manifest.Layers {
		have[l.Digest] = true
	}
	for _, l := range base.Manifest.Layers {
		if have[l.Digest] {
			continue
		}
		if err := r.reg.Mount(ctx, cc, ref.Context(), base.Ref.Context(), l); err != nil {
			return fail(fmt.Errorf("copying run image layer %s into %s: %w", l.Digest, ref.Context(), err))
		}
	}
	if err := r.reg.PutBlob(ctx, ref.Context(), out.config, app.Manifest.Config.MediaType); err != nil {
		return fail(fmt.Errorf("writing the config blob: %w", err))
	}
	target := ref
	if _, isDigest := ref.(name.Digest); isDigest {
		target = ref.Context().Digest(out.digest.String())
	}
	if err := r.reg.PutManifest(ctx, target, out.manifest, out.mediaType); err != nil {
		return fail(fmt.Errorf("writing the manifest: %w", err))
	}
	res.Status = RebaseRebased
	return res
}

// repair re-points a tag the registry cannot read at the manifest an
// earlier run wrote for it (or the one before), if that manifest and all
// its blobs are in the repository.
func (r *RegistryRebaser) repair(ctx context.Context, ref name.Reference, prev *RebaseReport, readErr error) (string, error) {
	var candidates []string
	for _, p := range prev.Results {
		if p.Image == ref.String() || p.Image == ref.Name() {
			candidates = append(candidates, p.NewDigest, p.Digest)
		}
	}
	if _, isTag := ref.(name.Tag); !isTag || len(candidates) == 0 {
		return "", readErr
	}
	for _, d := range candidates {
		if d == "" {
			continue
		}
		img, err := r.reg.Image(ctx, ref.Context().Digest(d), nil)
		if err != nil {
			continue
		}
		whole := true
		for _, l := range img.Manifest.Layers {
			if err := r.reg.HasBlob(ctx, ref.Context(), l.Digest); err != nil {
				whole = false
				break
			}
		}
		if !whole {
			continue
		}
		if err := r.reg.PutManifest(ctx, ref, img.Raw, img.MediaType); err != nil {
			return "", fmt.Errorf("%w; re-pointing the tag at %s: %v", readErr, d, err)
		}
		return fmt.Sprintf("the tag was unreadable (%v); re-pointed at %s", readErr, d), nil
	}
	return "", fmt.Errorf("%w; neither manifest of the earlier run (%s) is whole in the repository", readErr, strings.Join(candidates, ", "))
}
