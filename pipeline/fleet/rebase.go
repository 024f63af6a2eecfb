package fleet

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/goldenpath-dev/goldenpath/pipeline/cnb"
	"github.com/goldenpath-dev/goldenpath/pipeline/registry"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/types"
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

// pickRunImage chooses the run image name recorded in the metadata that is
// on the app image's registry (pack's "best mirror"), else the first.
func pickRunImage(md *cnb.LifecycleMetadata, app name.Reference) (string, error) {
	names := md.Names()
	if len(names) == 0 {
		return "", errors.New("the image's lifecycle metadata names no run image: give the run image to rebase onto")
	}
	for _, n := range names {
		if r, err := name.ParseReference(n, name.WeakValidation); err == nil && r.Context().RegistryStr() == app.Context().RegistryStr() {
			return n, nil
		}
	}
	return names[0], nil
}

// baseIndex is the index of the run image's top layer among the app
// image's layers (its first occurrence, as imgutil finds it).
func baseIndex(app *registry.Image, md *cnb.LifecycleMetadata) (int, error) {
	if md.RunImage.TopLayer == "" {
		return 0, fmt.Errorf("label %s has no runImage.topLayer", cnb.LabelLifecycleMetadata)
	}
	diffIDs := app.Config.RootFS.DiffIDs
	if len(diffIDs) != len(app.Manifest.Layers) {
		return 0, fmt.Errorf("malformed image: %d layers but %d diff IDs", len(app.Manifest.Layers), len(diffIDs))
	}
	for i, d := range diffIDs {
		if d.String() == md.RunImage.TopLayer {
			return i, nil
		}
	}
	return 0, fmt.Errorf("the run image's top layer %s (from %s) is not a layer of the image", md.RunImage.TopLayer, cnb.LabelLifecycleMetadata)
}

// upToDate reports whether the app image already runs on base: same base
// layers, the metadata's top layer and reference already base's. (The
// caller also wants the run image's name recorded.)
func upToDate(app *registry.Image, k int, base *registry.Image, md *cnb.LifecycleMetadata) bool {
	if k+1 != len(base.Manifest.Layers) || md.RunImage.TopLayer != base.Top().String() {
		return false
	}
	for i, l := range base.Manifest.Layers {
		if app.Manifest.Layers[i].Digest != l.Digest {
			return false
		}
	}
	_, dgst, _ := strings.Cut(md.RunImage.Reference, "@")
	return dgst == base.Digest.String()
}

// checkRebasable applies the lifecycle rebaser's checks (phase/rebaser.go
// of lifecycle v0.21.0, at the platform API pack uses).
func checkRebasable(app, base *v1.ConfigFile, md *cnb.LifecycleMetadata, runName string, force bool) ([]string, error) {
	var warnings []string
	soft := func(format string, args ...any) error {
		msg := fmt.Sprintf(format, args...)
		if !force {
			return errors.New(msg + "; use force to override")
		}
		warnings = append(warnings, msg)
		return nil
	}
	api := envValue(app.Config.Env, cnb.EnvPlatformAPI)
	if api == "" || versionLess(api, "0.12") {
		appStack, baseStack := app.Config.Labels[cnb.LabelStackID], base.Config.Labels[cnb.LabelStackID]
		switch {
		case appStack == "":
			return nil, errors.New("stack not defined on app image")
		case baseStack == "":
			return nil, errors.New("stack not defined on new base image")
		case appStack != baseStack:
			return nil, fmt.Errorf("incompatible stack: '%s' is not compatible with '%s'", baseStack, appStack)
		}
		if missing := missingMixins(app.Config.Labels[cnb.LabelMixins], base.Config.Labels[cnb.LabelMixins]); len(missing) > 0 {
			return nil, fmt.Errorf("missing required mixin(s): %s", strings.Join(missing, ", "))
		}
	} else {
		if app.Config.Labels[cnb.LabelRebasable] == "false" {
			if err := soft("app image is not marked as rebasable"); err != nil {
				return nil, err
			}
		}
		if !targetSatisfied(base, app) {
			if err := soft("unable to satisfy target os/arch constraints; new run image: %s, old run image: %s", targetString(base), targetString(app)); err != nil {
				return nil, err
			}
		}
	}
	if !md.Contains(runName) {
		if err := soft("rebase app image: new base image '%s' not found in existing run image metadata: %s", runName, strings.Join(md.Names(), ", ")); err != nil {
			return nil, err
		}
	}
	return warnings, nil
}

func envValue(env []string, key string) string {
	for _, e := range env {
		if k, v, ok := strings.Cut(e, "="); ok && k == key {
			return v
		}
	}
	return ""
}

// versionLess compares "major.minor" API versions.
func versionLess(a, b string) bool {
	var am, an, bm, bn int
	fmt.Sscanf(a, "%d.%d", &am, &an)
	fmt.Sscanf(b, "%d.%d", &bm, &bn)
	return am < bm || (am == bm && an < bn)
}

func missingMixins(appLabel, baseLabel string) []string {
	var app, base []string
	_ = json.Unmarshal([]byte(appLabel), &app)
	_ = json.Unmarshal([]byte(baseLabel), &base)
	strip := func(s string) string { return strings.TrimPrefix(strings.TrimPrefix(s, "run:"), "build:") }
	have := map[string]bool{}
	for _, m := range base {
		have[strip(m)] = true
	}
	var missing []string
	for _, m := range app {
		if !have[strip(m)] {
			missing = append(missing, strip(m))
		}
	}
	sort.Strings(missing)
	return missing
}

// targetSatisfied is the lifecycle's TargetSatisfiedForRebase.
func targetSatisfied(base, app *v1.ConfigFile) bool {
	if base.OS != app.OS || base.Architecture != app.Architecture {
		return false
	}
	if base.Variant != "" && app.Variant != "" && base.Variant != app.Variant {
		return false
	}
	bl, al := base.Config.Labels, app.Config.Labels
	bName, hasName := bl[cnb.LabelDistroName]
	bVersion, hasVersion := bl[cnb.LabelDistroVersion]
	if hasName || hasVersion {
		aName, aHasName := al[cnb.LabelDistroName]
		aVersion, aHasVersion := al[cnb.LabelDistroVersion]
		if !aHasName && !aHasVersion {
			return false
		}
		if bName != "" && bName != aName || bVersion != "" && bVersion != aVersion {
			return false
		}
	}
	return true
}

func targetString(c *v1.ConfigFile) string {
	s := c.OS + "/" + c.Architecture
	if c.Variant != "" {
		s += "/" + c.Variant
	}
	if n := c.Config.Labels[cnb.LabelDistroName]; n != "" {
		s += " " + n + " " + c.Config.Labels[cnb.LabelDistroVersion]
	}
	return s
}

// rebasedImage is a rebased image, ready to write.
type rebasedImage struct {
	config       []byte
	configDigest v1.Hash
	manifest     []byte
	mediaType    types.MediaType
	digest       v1.Hash
	md           *cnb.LifecycleMetadata
	labels       []string
}

// rebased makes the rebased config and manifest: the run image's layers,
// diff IDs and history, then the app's above the old run image; OS,
// architecture and OS version from the run image; the lifecycle metadata's
// runImage rewritten (topLayer, reference, and with force the new name);
// the io.buildpacks.stack.* and io.buildpacks.base.* labels taken from the
// run image. Everything else of the app's config and manifest is kept, so
// the result depends only on its inputs.
func rebased(app *registry.Image, k int, base *registry.Image, md *cnb.LifecycleMetadata, runName string, force bool) (*rebasedImage, error) {
	cfg := app.Config.DeepCopy()
	cfg.RootFS.DiffIDs = append(append([]v1.Hash(nil), base.Config.RootFS.DiffIDs...), app.Config.RootFS.DiffIDs[k+1:]...)
	cfg.History = append(historyOf(base.Config.History, len(base.Manifest.Layers), 0), historyOf(app.Config.History, len(app.Manifest.Layers), k+1)...)
	cfg.OS, cfg.Architecture, cfg.OSVersion = base.Config.OS, base.Config.Architecture, base.Config.OSVersion

	newMD := *md
	newMD.RunImage.TopLayer = base.Top().String()
	newMD.RunImage.Reference = base.Ref.Context().Name() + "@" + base.Digest.String()
	if !md.Contains(runName) && force {
		newMD.RunImage.Image, newMD.RunImage.Mirrors = runName, nil
		newMD.Stack = &cnb.StackMetadata{RunImage: cnb.RunImageName{Image: runName}}
	}
	label, err := newMD.Encode()
	if err != nil {
		return nil, err
	}
	if cfg.Config.Labels == nil {
		cfg.Config.Labels = map[string]string{}
	}
	cfg.Config.Labels[cnb.LabelLifecycleMetadata] = label
	changed := syncBaseLabels(cfg.Config.Labels, base.Config.Config.Labels)

	out := &rebasedImage{md: &newMD, labels: changed}
	if out.config, err = json.Marshal(cfg); err != nil {
		return nil, err
	}
	out.configDigest, _, _ = v1.SHA256(bytes.NewReader(out.config))

	m := v1.Manifest{
		SchemaVersion: 2,
		MediaType:     app.MediaType,
		Config: v1.Descriptor{
			MediaType: app.Manifest.Config.MediaType,
			Size:      int64(len(out.config)),
			Digest:    out.configDigest,
		},
	}
	if app.Manifest.MediaType == "" { // OCI manifests may leave it out
		m.MediaType = ""
	}
	oci := app.MediaType == types.OCIManifestSchema1
	for _, l := range base.Manifest.Layers {
		l.MediaType = layerMediaType(l.MediaType, oci)
		m.Layers = append(m.Layers, l)
	}
	m.Layers = append(m.Layers, app.Manifest.Layers[k+1:]...)
	if len(app.Manifest.Annotations) > 0 {
		m.Annotations = make(map[string]string, len(app.Manifest.Annotations))
		for k, v := range app.Manifest.Annotations {
			m.Annotations[k] = v
		}
		if _, ok := m.Annotations["org.opencontainers.image.base.Digest"]; ok {
			m.Annotations["org.opencontainers.image.base.Digest"] = base.Digest.String()
		}
		if _, ok := m.Annotations["org.opencontainers.image.base.name"]; ok {
			m.Annotations["org.opencontainers.image.base.name"] = runName
		}
	}
	if out.manifest, err = json.Marshal(m); err != nil {
		return nil, err
	}
	out.mediaType = app.MediaType
	out.digest, _, _ = v1.SHA256(bytes.NewReader(out.manifest))
	return out, nil
}

// historyOf returns the history entries of layers from..n-1 (with the
// empty-layer entries between them, as go-containerregistry's
// mutate.Rebase keeps them), or empty entries when the history does not
// describe the n layers (the lifecycle's NormalizedHistory).
func historyOf(h []v1.History, n, from int) []v1.History {
	nonEmpty := 0
	for _, e := range h {
		if !e.EmptyLayer {
			nonEmpty++
		}
	}
	if nonEmpty != n {
		return make([]v1.History, n-from)
	}
	var out []v1.History
	layer := 0
	for _, e := range h {
		if !e.EmptyLayer {
			layer++
		}
		if layer > from {
			out = append(out, e)
		}
	}
	return out
}

// syncBaseLabels replaces the io.buildpacks.stack.* and
// io.buildpacks.base.* labels with the run image's (the lifecycle's
// SyncLabels) and returns the names of those that changed.
func syncBaseLabels(labels, base map[string]string) []string {
	isBase := func(k string) bool {
		return strings.HasPrefix(k, "io.buildpacks.stack.") || strings.HasPrefix(k, "io.buildpacks.base.")
	}
	old := map[string]string{}
	for k, v := range labels {
		if isBase(k) {
			old[k] = v
			delete(labels, k)
		}
	}
	var changed []string
	for k, v := range base {
		if isBase(k) {
			labels[k] = v
			if ov, ok := old[k]; !ok || ov != v {
				changed = append(changed, k)
			}
		}
	}
	for k := range old {
		if _, ok := labels[k]; !ok {
			changed = append(changed, k)
		}
	}
	sort.Strings(changed)
	return changed
}

// layerMediaType maps a layer media type into the manifest's family
// (OCI or Docker) where both have one.
func layerMediaType(mt types.MediaType, oci bool) types.MediaType {
	pairs := [][2]types.MediaType{
		{types.DockerLayer, types.OCILayer},
		{types.DockerForeignLayer, types.OCIRestrictedLayer},
		{types.DockerUncompressedLayer, types.OCIUncompressedLayer},
	}
	for _, p := range pairs {
		if oci && mt == p[0] {
			return p[1]
		}
		if !oci && mt == p[1] {
			return p[0]
		}
	}
	return mt
}

func dedupe(list []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, s := range list {
		s = strings.TrimSpace(s)
		if s != "" && !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}
