package pipeline

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
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
	From *RunImageMetadata `json:"from,omitempty"`
	// To is the run image record after.
	To *RunImageMetadata `json:"to,omitempty"`
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
	RunImages []ResolvedImage `json:"runImages"`
	// Seconds is the wall-clock time of the whole rebase.
	Seconds float64 `json:"seconds"`
	// Requests counts the registry requests made, by kind.
	Requests RegistryStats `json:"requests"`
}

// ResolvedImage is an image as read from the registry.
type ResolvedImage struct {
	// Name as given.
	Name string `json:"name"`
	// Digest of its manifest.
	Digest string `json:"digest"`
	// TopLayer is the diff ID of its top layer.
	TopLayer string `json:"topLayer"`
	// Layers is its number of layers.
	Layers int `json:"layers"`
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
	reg *registryClient
}

var _ Rebaser = (*RegistryRebaser)(nil)

// NewRegistryRebaser returns a RegistryRebaser with the options applied
// over the documented defaults.
func NewRegistryRebaser(opts ...RegistryOption) (*RegistryRebaser, error) {
	reg, err := newRegistryClient(opts)
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
	stats0 := r.reg.stats.snapshot()
	cc := newCallCache()
	runParallel(ctx, len(images), r.reg.o.concurrency, func(i int) {
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
	rep.RunImages = cc.resolvedRunImages()
	rep.Seconds = time.Since(start).Seconds()
	rep.Requests = r.reg.stats.snapshot().sub(stats0)
	return rep, ctx.Err()
}

func (r *RegistryRebaser) rebaseOne(ctx context.Context, cc *callCache, image string, spec *RebaseSpec) (res RebaseResult) {
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
	ref, err := r.reg.parse(image)
	if err != nil {
		return fail(err)
	}
	app, err := r.reg.image(ctx, ref, nil)
	if err != nil && !isNotFound(err) && spec.Resume != nil {
		if res.Repaired, err = r.repair(ctx, ref, spec.Resume, err); err == nil {
			app, err = r.reg.image(ctx, ref, nil)
		}
	}
	if err != nil {
		return fail(fmt.Errorf("reading the image: %w", err))
	}
	res.Digest = app.digest.String()
	md, err := ParseLifecycleMetadata(app.config.Config.Labels[LabelLifecycleMetadata])
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
	base, err := r.reg.runImage(ctx, cc, runName, app.platform())
	if err != nil {
		return fail(fmt.Errorf("reading the run image %s: %w", runName, err))
	}
	k, err := baseIndex(app, md)
	if err != nil {
		return fail(err)
	}
	res.OldBaseLayers, res.NewBaseLayers, res.AppLayers = k+1, len(base.manifest.Layers), len(app.manifest.Layers)-k-1
	if upToDate(app, k, base, md) && md.Contains(runName) {
		res.Status, res.NewDigest, res.To = RebaseUpToDate, res.Digest, res.From
		return res
	}
	warnings, err := checkRebasable(app.config, base.config, md, runName, spec.Force)
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
	for _, l := range app.manifest.Layers {
		have[l.Digest] = true
	}
	for _, l := range base.manifest.Layers {
		if have[l.Digest] {
			continue
		}
		if err := r.reg.ensureBlob(ctx, cc, ref.Context(), base.ref.Context(), l); err != nil {
			return fail(fmt.Errorf("copying run image layer %s into %s: %w", l.Digest, ref.Context(), err))
		}
	}
	if err := r.reg.putBlob(ctx, ref.Context(), out.config, out.configDigest); err != nil {
		return fail(fmt.Errorf("writing the config blob: %w", err))
	}
	target := ref
	if _, isDigest := ref.(name.Digest); isDigest {
		target = ref.Context().Digest(out.digest.String())
	}
	if err := r.reg.putManifest(ctx, target, out.manifest, out.mediaType, out.digest); err != nil {
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
		img, err := r.reg.image(ctx, ref.Context().Digest(d), nil)
		if err != nil {
			continue
		}
		whole := true
		for _, l := range img.manifest.Layers {
			if err := r.reg.headBlob(ctx, ref.Context(), l.Digest); err != nil {
				whole = false
				break
			}
		}
		if !whole {
			continue
		}
		if err := r.reg.putManifest(ctx, ref, img.raw, img.mediaType, img.digest); err != nil {
			return "", fmt.Errorf("%w; re-pointing the tag at %s: %v", readErr, d, err)
		}
		return fmt.Sprintf("the tag was unreadable (%v); re-pointed at %s", readErr, d), nil
	}
	return "", fmt.Errorf("%w; neither manifest of the earlier run (%s) is whole in the repository", readErr, strings.Join(candidates, ", "))
}

// pickRunImage chooses the run image name recorded in the metadata that is
// on the app image's registry (pack's "best mirror"), else the first.
func pickRunImage(md *LifecycleMetadata, app name.Reference) (string, error) {
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
func baseIndex(app *imageData, md *LifecycleMetadata) (int, error) {
	if md.RunImage.TopLayer == "" {
		return 0, fmt.Errorf("label %s has no runImage.topLayer", LabelLifecycleMetadata)
	}
	diffIDs := app.config.RootFS.DiffIDs
	if len(diffIDs) != len(app.manifest.Layers) {
		return 0, fmt.Errorf("malformed image: %d layers but %d diff IDs", len(app.manifest.Layers), len(diffIDs))
	}
	for i, d := range diffIDs {
		if d.String() == md.RunImage.TopLayer {
			return i, nil
		}
	}
	return 0, fmt.Errorf("the run image's top layer %s (from %s) is not a layer of the image", md.RunImage.TopLayer, LabelLifecycleMetadata)
}

// upToDate reports whether the app image already runs on base: same base
// layers, the metadata's top layer and reference already base's. (The
// caller also wants the run image's name recorded.)
func upToDate(app *imageData, k int, base *imageData, md *LifecycleMetadata) bool {
	if k+1 != len(base.manifest.Layers) || md.RunImage.TopLayer != base.top().String() {
		return false
	}
	for i, l := range base.manifest.Layers {
		if app.manifest.Layers[i].Digest != l.Digest {
			return false
		}
	}
	_, dgst, _ := strings.Cut(md.RunImage.Reference, "@")
	return dgst == base.digest.String()
}

// checkRebasable applies the lifecycle rebaser's checks (phase/rebaser.go
// of lifecycle v0.21.0, at the platform API pack uses).
func checkRebasable(app, base *v1.ConfigFile, md *LifecycleMetadata, runName string, force bool) ([]string, error) {
	var warnings []string
	soft := func(format string, args ...any) error {
		msg := fmt.Sprintf(format, args...)
		if !force {
			return errors.New(msg + "; use force to override")
		}
		warnings = append(warnings, msg)
		return nil
	}
	api := envValue(app.Config.Env, envPlatformAPI)
	if api == "" || versionLess(api, "0.12") {
		appStack, baseStack := app.Config.Labels[LabelStackID], base.Config.Labels[LabelStackID]
		switch {
		case appStack == "":
			return nil, errors.New("stack not defined on app image")
		case baseStack == "":
			return nil, errors.New("stack not defined on new base image")
		case appStack != baseStack:
			return nil, fmt.Errorf("incompatible stack: '%s' is not compatible with '%s'", baseStack, appStack)
		}
		if missing := missingMixins(app.Config.Labels[LabelMixins], base.Config.Labels[LabelMixins]); len(missing) > 0 {
			return nil, fmt.Errorf("missing required mixin(s): %s", strings.Join(missing, ", "))
		}
	} else {
		if app.Config.Labels[LabelRebasable] == "false" {
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
	bName, hasName := bl[LabelDistroName]
	bVersion, hasVersion := bl[LabelDistroVersion]
	if hasName || hasVersion {
		aName, aHasName := al[LabelDistroName]
		aVersion, aHasVersion := al[LabelDistroVersion]
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
	if n := c.Config.Labels[LabelDistroName]; n != "" {
		s += " " + n + " " + c.Config.Labels[LabelDistroVersion]
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
	md           *LifecycleMetadata
	labels       []string
}

// rebased makes the rebased config and manifest: the run image's layers,
// diff IDs and history, then the app's above the old run image; OS,
// architecture and OS version from the run image; the lifecycle metadata's
// runImage rewritten (topLayer, reference, and with force the new name);
// the io.buildpacks.stack.* and io.buildpacks.base.* labels taken from the
// run image. Everything else of the app's config and manifest is kept, so
// the result depends only on its inputs.
func rebased(app *imageData, k int, base *imageData, md *LifecycleMetadata, runName string, force bool) (*rebasedImage, error) {
	cfg := app.config.DeepCopy()
	cfg.RootFS.DiffIDs = append(append([]v1.Hash(nil), base.config.RootFS.DiffIDs...), app.config.RootFS.DiffIDs[k+1:]...)
	cfg.History = append(historyOf(base.config.History, len(base.manifest.Layers), 0), historyOf(app.config.History, len(app.manifest.Layers), k+1)...)
	cfg.OS, cfg.Architecture, cfg.OSVersion = base.config.OS, base.config.Architecture, base.config.OSVersion

	newMD := *md
	newMD.RunImage.TopLayer = base.top().String()
	newMD.RunImage.Reference = base.ref.Context().Name() + "@" + base.digest.String()
	if !md.Contains(runName) && force {
		newMD.RunImage.Image, newMD.RunImage.Mirrors = runName, nil
		newMD.Stack = &StackMetadata{RunImage: RunImageName{Image: runName}}
	}
	label, err := newMD.Encode()
	if err != nil {
		return nil, err
	}
	if cfg.Config.Labels == nil {
		cfg.Config.Labels = map[string]string{}
	}
	cfg.Config.Labels[LabelLifecycleMetadata] = label
	changed := syncBaseLabels(cfg.Config.Labels, base.config.Config.Labels)

	out := &rebasedImage{md: &newMD, labels: changed}
	if out.config, err = json.Marshal(cfg); err != nil {
		return nil, err
	}
	out.configDigest, _, _ = v1.SHA256(bytes.NewReader(out.config))

	m := v1.Manifest{
		SchemaVersion: 2,
		MediaType:     app.mediaType,
		Config: v1.Descriptor{
			MediaType: app.manifest.Config.MediaType,
			Size:      int64(len(out.config)),
			Digest:    out.configDigest,
		},
	}
	if app.manifest.MediaType == "" { // OCI manifests may leave it out
		m.MediaType = ""
	}
	oci := app.mediaType == types.OCIManifestSchema1
	for _, l := range base.manifest.Layers {
		l.MediaType = layerMediaType(l.MediaType, oci)
		m.Layers = append(m.Layers, l)
	}
	m.Layers = append(m.Layers, app.manifest.Layers[k+1:]...)
	if len(app.manifest.Annotations) > 0 {
		m.Annotations = make(map[string]string, len(app.manifest.Annotations))
		for k, v := range app.manifest.Annotations {
			m.Annotations[k] = v
		}
		if _, ok := m.Annotations["org.opencontainers.image.base.digest"]; ok {
			m.Annotations["org.opencontainers.image.base.digest"] = base.digest.String()
		}
		if _, ok := m.Annotations["org.opencontainers.image.base.name"]; ok {
			m.Annotations["org.opencontainers.image.base.name"] = runName
		}
	}
	if out.manifest, err = json.Marshal(m); err != nil {
		return nil, err
	}
	out.mediaType = app.mediaType
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

// runParallel calls f(0..n-1) on at most workers goroutines and stops
// handing out work when ctx is done.
func runParallel(ctx context.Context, n, workers int, f func(i int)) {
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(workers, n) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				f(i)
			}
		}()
	}
	wg.Wait()
}

// --- registry access ----------------------------------------------------------------------------------------------

// RegistryOption configures how goldenpath talks to registries (the
// RegistryRebaser's and the Planner's).
type RegistryOption func(*registryOptions) error

type registryOptions struct {
	concurrency int
	transport   http.RoundTripper
	keychain    authn.Keychain
	timeout     time.Duration
	retries     int
	breaker     int
	insecure    map[string]bool
}

// DefaultRebaseConcurrency is how many images are processed at once by
// default: enough to keep a registry busy while each image waits on its
// few small requests.
const DefaultRebaseConcurrency = 16

// WithConcurrency sets how many images are processed at once. Default:
// [DefaultRebaseConcurrency].
func WithConcurrency(n int) RegistryOption {
	return func(o *registryOptions) error {
		if n < 1 {
			return fmt.Errorf("WithConcurrency: %d is not a positive number", n)
		}
		o.concurrency = n
		return nil
	}
}

// WithTransport sets the HTTP transport under authentication.
// Default: a clone of http.DefaultTransport keeping enough idle
// connections per registry for the concurrency.
func WithTransport(t http.RoundTripper) RegistryOption {
	return func(o *registryOptions) error {
		if t == nil {
			return errors.New("WithTransport: nil transport")
		}
		o.transport = t
		return nil
	}
}

// WithKeychain sets where registry credentials come from. Default:
// authn.DefaultKeychain (the Docker config file).
func WithKeychain(k authn.Keychain) RegistryOption {
	return func(o *registryOptions) error {
		if k == nil {
			return errors.New("WithKeychain: nil keychain")
		}
		o.keychain = k
		return nil
	}
}

// WithRequestTimeout bounds each registry request (each attempt). Default:
// 60s. A registry that stops answering then fails the images it holds up
// instead of hanging the fleet.
func WithRequestTimeout(d time.Duration) RegistryOption {
	return func(o *registryOptions) error {
		if d <= 0 {
			return fmt.Errorf("WithRequestTimeout: %v is not a positive duration", d)
		}
		o.timeout = d
		return nil
	}
}

// WithRetries sets how many times a request that failed on the network or
// with 429/5xx is retried (after 0.1s, 0.4s, 1.6s...). Default: 2. Every
// request goldenpath makes can be repeated safely.
func WithRetries(n int) RegistryOption {
	return func(o *registryOptions) error {
		if n < 0 {
			return fmt.Errorf("WithRetries: %d is negative", n)
		}
		o.retries = n
		return nil
	}
}

// WithCircuitBreaker fails the requests to a registry at once, without
// trying them, after n requests to it in a row failed on the network,
// timed out or got 429/5xx: a fleet rebase against a registry that went
// away reports its remaining images failed in seconds instead of waiting
// out every timeout, and a rerun finishes them. One request a second still
// goes through, so work resumes when the registry is back. Default: 16;
// 0 turns it off.
func WithCircuitBreaker(n int) RegistryOption {
	return func(o *registryOptions) error {
		if n < 0 {
			return fmt.Errorf("WithCircuitBreaker: %d is negative", n)
		}
		o.breaker = n
		return nil
	}
}

// WithInsecureRegistries lets registries (host[:port]) speak plain HTTP.
// Loopback registries (localhost, 127.0.0.0/8) always may. Default: none.
func WithInsecureRegistries(hosts ...string) RegistryOption {
	return func(o *registryOptions) error {
		for _, h := range hosts {
			o.insecure[h] = true
		}
		return nil
	}
}

// RegistryStats counts registry requests by kind (manifest-get, blob-get,
// blob-mount, blob-head, blob-upload, manifest-put, ping) and the time
// spent in them, summed over the concurrent workers.
type RegistryStats struct {
	Requests map[string]int     `json:"count"`
	Seconds  map[string]float64 `json:"seconds"`
}

// Total is the number of requests.
func (s RegistryStats) Total() int {
	n := 0
	for _, c := range s.Requests {
		n += c
	}
	return n
}

func (s RegistryStats) sub(t RegistryStats) RegistryStats {
	out := RegistryStats{Requests: map[string]int{}, Seconds: map[string]float64{}}
	for k, v := range s.Requests {
		if d := v - t.Requests[k]; d != 0 {
			out.Requests[k] = d
			out.Seconds[k] = s.Seconds[k] - t.Seconds[k]
		}
	}
	return out
}

type requestStats struct {
	mu sync.Mutex
	s  RegistryStats
}

func (r *requestStats) add(kind string, d time.Duration) {
	r.mu.Lock()
	r.s.Requests[kind]++
	r.s.Seconds[kind] += d.Seconds()
	r.mu.Unlock()
}

func (r *requestStats) snapshot() RegistryStats {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := RegistryStats{Requests: map[string]int{}, Seconds: map[string]float64{}}
	for k, v := range r.s.Requests {
		out.Requests[k] = v
		out.Seconds[k] = r.s.Seconds[k]
	}
	return out
}

// registryClient speaks the distribution API directly: the few requests a
// rebase needs, each with a timeout and retries, over one connection pool
// and one authentication handshake per registry (per repository with
// bearer tokens).
type registryClient struct {
	o     registryOptions
	stats *requestStats

	mu       sync.Mutex
	conns    map[string]*regConn          // by registry
	bearer   map[string]http.RoundTripper // by scope
	scopeSeq map[string]*sync.Mutex       // serialises bearer handshakes per scope
	breakers map[string]*breaker          // by registry
}

type regConn struct {
	mu     sync.Mutex
	ch     *transport.Challenge
	rt     http.RoundTripper
	scheme string
}

type runEntry struct {
	mu  sync.Mutex
	img *imageData
}

// callCache is what one Rebase or Plan call remembers: the run and builder
// images it read (once per call, so a long-lived rebaser sees a run image
// patched since its last call) and the blobs it knows are in repositories.
type callCache struct {
	mu       sync.Mutex
	images   map[string]*runEntry
	resolved map[string]ResolvedImage
	present  map[string]bool
}

func newCallCache() *callCache {
	return &callCache{images: map[string]*runEntry{}, resolved: map[string]ResolvedImage{}, present: map[string]bool{}}
}

func newRegistryClient(opts []RegistryOption) (*registryClient, error) {
	o := registryOptions{
		concurrency: DefaultRebaseConcurrency,
		keychain:    authn.DefaultKeychain,
		timeout:     60 * time.Second,
		retries:     2,
		breaker:     16,
		insecure:    map[string]bool{},
	}
	for _, opt := range opts {
		if err := opt(&o); err != nil {
			return nil, err
		}
	}
	if o.transport == nil {
		t := http.DefaultTransport.(*http.Transport).Clone()
		t.MaxIdleConns = 4 * o.concurrency
		t.MaxIdleConnsPerHost = 2 * o.concurrency
		t.ForceAttemptHTTP2 = true
		o.transport = t
	}
	return &registryClient{
		o:        o,
		stats:    &requestStats{s: RegistryStats{Requests: map[string]int{}, Seconds: map[string]float64{}}},
		conns:    map[string]*regConn{},
		bearer:   map[string]http.RoundTripper{},
		scopeSeq: map[string]*sync.Mutex{},
		breakers: map[string]*breaker{},
	}, nil
}

// insecure reports whether the registry of reference s may speak plain
// HTTP: a loopback registry, or one WithInsecureRegistries names.
func (c *registryClient) insecure(s string) bool {
	return IsLoopbackRegistry(s) || c.o.insecure[strings.SplitN(s, "/", 2)[0]]
}

func (c *registryClient) parse(s string) (name.Reference, error) {
	var opts []name.Option
	if c.insecure(s) {
		opts = append(opts, name.Insecure)
	}
	ref, err := name.ParseReference(s, opts...)
	if err != nil {
		return nil, fmt.Errorf("invalid image reference %q: %w", s, err)
	}
	return ref, nil
}

// conn pings a registry once (again after a failure) and keeps its
// scheme, challenge and, for anonymous or basic auth, the transport.
func (c *registryClient) conn(ctx context.Context, reg name.Registry) (*regConn, error) {
	c.mu.Lock()
	rc := c.conns[reg.RegistryStr()]
	if rc == nil {
		rc = &regConn{}
		c.conns[reg.RegistryStr()] = rc
	}
	c.mu.Unlock()
	rc.mu.Lock()
	defer rc.mu.Unlock()
	if rc.ch != nil {
		return rc, nil
	}
	var ch *transport.Challenge
	err := c.withRetries(ctx, reg.RegistryStr(), func(ctx context.Context) error {
		start := time.Now()
		var err error
		ch, err = transport.Ping(ctx, reg, c.o.transport)
		c.stats.add("ping", time.Since(start))
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("reaching registry %s: %w", reg.RegistryStr(), err)
	}
	rc.scheme = "https"
	if ch.Insecure {
		rc.scheme = "http"
	}
	if !strings.EqualFold(ch.Scheme, "bearer") {
		auth, err := c.o.keychain.Resolve(reg)
		if err != nil {
			return nil, fmt.Errorf("credentials for %s: %w", reg.RegistryStr(), err)
		}
		if rc.rt, err = transport.FromToken(reg, auth, c.o.transport, ch, &transport.Token{}); err != nil {
			return nil, err
		}
	}
	rc.ch = ch
	return rc, nil
}

// transportFor returns an authenticated transport for pushing to (or, with
// push false, pulling from) repo and pulling from the other repositories.
func (c *registryClient) transportFor(ctx context.Context, repo name.Repository, push bool, pull ...name.Repository) (http.RoundTripper, string, error) {
	rc, err := c.conn(ctx, repo.Registry)
	if err != nil {
		return nil, "", err
	}
	if rc.rt != nil {
		return rc.rt, rc.scheme, nil
	}
	action := transport.PullScope
	if push {
		action = transport.PushScope
	}
	scopes := []string{repo.Scope(action)}
	for _, p := range pull {
		if p.RegistryStr() == repo.RegistryStr() && p.RepositoryStr() != repo.RepositoryStr() {
			scopes = append(scopes, p.Scope(transport.PullScope))
		}
	}
	key := strings.Join(scopes, " ")
	c.mu.Lock()
	if rt := c.bearer[key]; rt != nil {
		c.mu.Unlock()
		return rt, rc.scheme, nil
	}
	seq := c.scopeSeq[key]
	if seq == nil {
		seq = &sync.Mutex{}
		c.scopeSeq[key] = seq
	}
	c.mu.Unlock()
	seq.Lock()
	defer seq.Unlock()
	c.mu.Lock()
	rt := c.bearer[key]
	c.mu.Unlock()
	if rt != nil {
		return rt, rc.scheme, nil
	}
	auth, err := c.o.keychain.Resolve(repo)
	if err != nil {
		return nil, "", fmt.Errorf("credentials for %s: %w", repo, err)
	}
	start := time.Now()
	rt, err = transport.NewWithContext(ctx, repo.Registry, auth, c.o.transport, scopes)
	c.stats.add("auth", time.Since(start))
	if err != nil {
		return nil, "", fmt.Errorf("authenticating to %s: %w", repo, err)
	}
	c.mu.Lock()
	c.bearer[key] = rt
	c.mu.Unlock()
	return rt, rc.scheme, nil
}

// retryable reports whether a failed attempt may succeed if repeated.
func retryable(err error) bool {
	var terr *transport.Error
	if errors.As(err, &terr) {
		switch terr.StatusCode {
		case http.StatusTooManyRequests, http.StatusInternalServerError, http.StatusBadGateway,
			http.StatusServiceUnavailable, http.StatusGatewayTimeout:
			return true
		}
		return false
	}
	var nerr net.Error
	return errors.As(err, &nerr) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) ||
		errors.Is(err, context.DeadlineExceeded) || strings.Contains(err.Error(), "connection reset") ||
		strings.Contains(err.Error(), "connection refused")
}

// withRetries runs attempt with the per-request timeout, repeating it on
// retryable errors while ctx lasts. Attempts go through the registry's
// circuit breaker.
func (c *registryClient) withRetries(ctx context.Context, registry string, attempt func(context.Context) error) error {
	br := c.breaker(registry)
	backoff := 100 * time.Millisecond
	for try := 0; ; try++ {
		if err := br.allow(); err != nil {
			return err
		}
		actx, cancel := context.WithTimeout(ctx, c.o.timeout)
		err := attempt(actx)
		cancel()
		if ctx.Err() == nil {
			br.record(err, err != nil && retryable(err))
		}
		if err == nil || ctx.Err() != nil || try >= c.o.retries || !retryable(err) {
			if err != nil && ctx.Err() != nil {
				return fmt.Errorf("%w (%v)", ctx.Err(), err)
			}
			return err
		}
		select {
		case <-time.After(backoff):
		case <-ctx.Done():
			return ctx.Err()
		}
		backoff *= 4
	}
}

// ErrRegistryDown is returned, wrapped, for requests not even tried
// because their registry failed the breaker's number of requests in a row
// (see WithCircuitBreaker).
var ErrRegistryDown = errors.New("registry is not answering")

// breaker fails requests to a registry at once after threshold attempts in
// a row failed on the network, timed out or got a 5xx/429, letting one
// request through per second to notice the registry come back.
type breaker struct {
	registry  string
	threshold int
	mu        sync.Mutex
	fails     int
	last      error
	probeAt   time.Time
}

func (c *registryClient) breaker(registry string) *breaker {
	c.mu.Lock()
	defer c.mu.Unlock()
	b := c.breakers[registry]
	if b == nil {
		b = &breaker{registry: registry, threshold: c.o.breaker}
		c.breakers[registry] = b
	}
	return b
}

func (b *breaker) allow() error {
	if b.threshold <= 0 {
		return nil
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.fails < b.threshold {
		return nil
	}
	if now := time.Now(); now.After(b.probeAt) {
		b.probeAt = now.Add(time.Second) // this request probes
		return nil
	}
	return fmt.Errorf("%w: %s failed %d requests in a row (last: %v); not tried", ErrRegistryDown, b.registry, b.fails, b.last)
}

func (b *breaker) record(err error, failure bool) {
	if b.threshold <= 0 {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	switch {
	case !failure: // the registry answered
		b.fails, b.last = 0, nil
	default:
		b.fails++
		b.last = err
		if b.fails == b.threshold {
			b.probeAt = time.Now().Add(time.Second)
		}
	}
}

// request is one registry request; body is resent on retries.
type request struct {
	kind   string
	method string
	url    string
	header http.Header
	body   []byte
	codes  []int // accepted status codes
	limit  int64 // most response body bytes read; 0: none
}

type response struct {
	status int
	header http.Header
	body   []byte
	url    *url.URL
}

func (c *registryClient) do(ctx context.Context, rt http.RoundTripper, r request) (*response, error) {
	var out *response
	host := r.url
	if u, err := url.Parse(r.url); err == nil {
		host = u.Host
	}
	err := c.withRetries(ctx, host, func(ctx context.Context) error {
		var body io.Reader
		if r.body != nil {
			body = bytes.NewReader(r.body)
		}
		req, err := http.NewRequestWithContext(ctx, r.method, r.url, body)
		if err != nil {
			return err
		}
		for k, v := range r.header {
			req.Header[k] = v
		}
		if r.body != nil {
			req.ContentLength = int64(len(r.body))
		}
		start := time.Now()
		resp, err := rt.RoundTrip(req)
		if err != nil {
			c.stats.add(r.kind, time.Since(start))
			return err
		}
		defer resp.Body.Close()
		if err := transport.CheckError(resp, r.codes...); err != nil {
			c.stats.add(r.kind, time.Since(start))
			return err
		}
		var data []byte
		if r.limit > 0 {
			data, err = io.ReadAll(io.LimitReader(resp.Body, r.limit+1))
			if err == nil && int64(len(data)) > r.limit {
				err = fmt.Errorf("response larger than %d bytes", r.limit)
			}
		} else {
			_, err = io.Copy(io.Discard, resp.Body)
		}
		c.stats.add(r.kind, time.Since(start))
		if err != nil {
			return err
		}
		out = &response{status: resp.StatusCode, header: resp.Header, body: data, url: req.URL}
		return nil
	})
	return out, err
}

func (c *registryClient) url(scheme string, repo name.Repository, path string) string {
	return fmt.Sprintf("%s://%s/v2/%s/%s", scheme, repo.RegistryStr(), repo.RepositoryStr(), path)
}

// imageData is an image's manifest and config as read from a registry.
type imageData struct {
	ref       name.Reference
	digest    v1.Hash
	mediaType types.MediaType
	raw       []byte
	manifest  *v1.Manifest
	config    *v1.ConfigFile
	rawConfig []byte
}

func (d *imageData) top() v1.Hash {
	ids := d.config.RootFS.DiffIDs
	if len(ids) == 0 {
		return v1.Hash{}
	}
	return ids[len(ids)-1]
}

func (d *imageData) platform() *v1.Platform {
	return &v1.Platform{OS: d.config.OS, Architecture: d.config.Architecture, Variant: d.config.Variant}
}

var manifestAccept = strings.Join([]string{
	string(types.OCIManifestSchema1), string(types.DockerManifestSchema2),
	string(types.OCIImageIndex), string(types.DockerManifestList),
}, ", ")

const maxManifestBytes = 16 << 20

// image reads an image's manifest and config. For an index it takes the
// child of the platform given (an error without one).
func (c *registryClient) image(ctx context.Context, ref name.Reference, platform *v1.Platform) (*imageData, error) {
	rt, scheme, err := c.transportFor(ctx, ref.Context(), false)
	if err != nil {
		return nil, err
	}
	resp, err := c.do(ctx, rt, request{
		kind: "manifest-get", method: http.MethodGet, url: c.url(scheme, ref.Context(), "manifests/"+ref.Identifier()),
		header: http.Header{"Accept": {manifestAccept}}, codes: []int{http.StatusOK}, limit: maxManifestBytes,
	})
	if err != nil {
		return nil, fmt.Errorf("manifest of %s: %w", ref, err)
	}
	d := &imageData{ref: ref, raw: resp.body}
	d.digest, _, _ = v1.SHA256(bytes.NewReader(resp.body))
	if dg, ok := ref.(name.Digest); ok && dg.DigestStr() != d.digest.String() {
		return nil, fmt.Errorf("manifest of %s has digest %s", ref, d.digest)
	}
	var probe struct {
		MediaType types.MediaType `json:"mediaType"`
		Manifests json.RawMessage `json:"manifests"`
	}
	if err := json.Unmarshal(resp.body, &probe); err != nil {
		return nil, fmt.Errorf("manifest of %s: %w", ref, err)
	}
	d.mediaType = probe.MediaType
	if d.mediaType == "" {
		d.mediaType = types.MediaType(strings.TrimSpace(strings.Split(resp.header.Get("Content-Type"), ";")[0]))
	}
	if d.mediaType.IsIndex() || (probe.MediaType == "" && probe.Manifests != nil) {
		return c.child(ctx, ref, resp.body, platform)
	}
	if d.mediaType != types.OCIManifestSchema1 && d.mediaType != types.DockerManifestSchema2 {
		return nil, fmt.Errorf("%s: unsupported manifest type %q", ref, d.mediaType)
	}
	if d.manifest, err = v1.ParseManifest(bytes.NewReader(resp.body)); err != nil {
		return nil, fmt.Errorf("manifest of %s: %w", ref, err)
	}
	if d.rawConfig, err = c.blob(ctx, rt, scheme, ref.Context(), d.manifest.Config); err != nil {
		return nil, fmt.Errorf("config of %s: %w", ref, err)
	}
	if d.config, err = v1.ParseConfigFile(bytes.NewReader(d.rawConfig)); err != nil {
		return nil, fmt.Errorf("config of %s: %w", ref, err)
	}
	return d, nil
}

func (c *registryClient) child(ctx context.Context, ref name.Reference, raw []byte, platform *v1.Platform) (*imageData, error) {
	if platform == nil {
		return nil, fmt.Errorf("%s is an image index: rebase each platform's image by its digest", ref)
	}
	idx, err := v1.ParseIndexManifest(bytes.NewReader(raw))
	if err != nil {
		return nil, fmt.Errorf("index of %s: %w", ref, err)
	}
	for _, m := range idx.Manifests {
		if m.Platform != nil && m.Platform.OS == platform.OS && m.Platform.Architecture == platform.Architecture &&
			(platform.Variant == "" || m.Platform.Variant == "" || m.Platform.Variant == platform.Variant) {
			d, err := c.image(ctx, ref.Context().Digest(m.Digest.String()), nil)
			if err != nil {
				return nil, err
			}
			d.ref = ref
			return d, nil
		}
	}
	return nil, fmt.Errorf("index %s has no image for %s/%s", ref, platform.OS, platform.Architecture)
}

// blob reads a small blob and checks its digest.
func (c *registryClient) blob(ctx context.Context, rt http.RoundTripper, scheme string, repo name.Repository, desc v1.Descriptor) ([]byte, error) {
	if desc.Size > maxManifestBytes {
		return nil, fmt.Errorf("blob %s is too large (%d bytes)", desc.Digest, desc.Size)
	}
	resp, err := c.do(ctx, rt, request{
		kind: "blob-get", method: http.MethodGet, url: c.url(scheme, repo, "blobs/"+desc.Digest.String()),
		codes: []int{http.StatusOK}, limit: maxManifestBytes,
	})
	if err != nil {
		return nil, err
	}
	if got, _, _ := v1.SHA256(bytes.NewReader(resp.body)); got != desc.Digest {
		return nil, fmt.Errorf("blob %s has digest %s", desc.Digest, got)
	}
	return resp.body, nil
}

// runImage reads a run image once per call (again after a failure) and
// records it for the report.
func (c *registryClient) runImage(ctx context.Context, cc *callCache, s string, platform *v1.Platform) (*imageData, error) {
	img, err := c.cachedImage(ctx, cc, s, platform, true)
	if err != nil {
		return nil, err
	}
	if len(img.manifest.Layers) == 0 || len(img.config.RootFS.DiffIDs) != len(img.manifest.Layers) {
		return nil, fmt.Errorf("run image %s: %d layers, %d diff IDs", s, len(img.manifest.Layers), len(img.config.RootFS.DiffIDs))
	}
	return img, nil
}

// cachedImage reads an image once per call (again after a failure).
func (c *registryClient) cachedImage(ctx context.Context, cc *callCache, s string, platform *v1.Platform, record bool) (*imageData, error) {
	key := s + "|" + platform.OS + "/" + platform.Architecture + "/" + platform.Variant
	cc.mu.Lock()
	e := cc.images[key]
	if e == nil {
		e = &runEntry{}
		cc.images[key] = e
	}
	cc.mu.Unlock()
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.img != nil {
		return e.img, nil
	}
	ref, err := c.parse(s)
	if err != nil {
		return nil, err
	}
	img, err := c.image(ctx, ref, platform)
	if err != nil {
		return nil, err
	}
	e.img = img
	if record {
		cc.mu.Lock()
		cc.resolved[s] = ResolvedImage{Name: s, Digest: img.digest.String(), TopLayer: img.top().String(), Layers: len(img.manifest.Layers)}
		cc.mu.Unlock()
	}
	return img, nil
}

func (cc *callCache) resolvedRunImages() []ResolvedImage {
	cc.mu.Lock()
	defer cc.mu.Unlock()
	out := make([]ResolvedImage, 0, len(cc.resolved))
	for _, r := range cc.resolved {
		out = append(out, r)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

func (cc *callCache) known(repo name.Repository, d v1.Hash) bool {
	cc.mu.Lock()
	defer cc.mu.Unlock()
	return cc.present[repo.String()+"@"+d.String()]
}

func (cc *callCache) remember(repo name.Repository, d v1.Hash) {
	cc.mu.Lock()
	cc.present[repo.String()+"@"+d.String()] = true
	cc.mu.Unlock()
}

// ensureBlob makes a blob of src present in dst: a cross-repository mount
// on the same registry (one request), else a streamed copy.
func (c *registryClient) ensureBlob(ctx context.Context, cc *callCache, dst, src name.Repository, desc v1.Descriptor) error {
	if dst.String() == src.String() || cc.known(dst, desc.Digest) {
		return nil
	}
	rt, scheme, err := c.transportFor(ctx, dst, true, src)
	if err != nil {
		return err
	}
	var location string
	if dst.RegistryStr() == src.RegistryStr() {
		q := url.Values{"mount": {desc.Digest.String()}, "from": {src.RepositoryStr()}}
		resp, err := c.do(ctx, rt, request{
			kind: "blob-mount", method: http.MethodPost, url: c.url(scheme, dst, "blobs/uploads/?"+q.Encode()),
			codes: []int{http.StatusCreated, http.StatusAccepted},
		})
		if err != nil {
			return err
		}
		if resp.status == http.StatusCreated {
			cc.remember(dst, desc.Digest)
			return nil
		}
		location, err = resolveLocation(resp)
		if err != nil {
			return err
		}
	}
	// Not mounted: it may be there already (registries that share blobs
	// across repositories), else copy it.
	if _, err := c.do(ctx, rt, request{
		kind: "blob-head", method: http.MethodHead, url: c.url(scheme, dst, "blobs/"+desc.Digest.String()),
		codes: []int{http.StatusOK},
	}); err == nil {
		cc.remember(dst, desc.Digest)
		return nil
	}
	return c.copyBlob(ctx, cc, dst, src, desc, location)
}

// copyBlob streams a blob from src into dst (cross-registry rebases, or
// registries that refuse mounts).
func (c *registryClient) copyBlob(ctx context.Context, cc *callCache, dst, src name.Repository, desc v1.Descriptor, location string) error {
	srt, sscheme, err := c.transportFor(ctx, src, false)
	if err != nil {
		return err
	}
	drt, dscheme, err := c.transportFor(ctx, dst, true, src)
	if err != nil {
		return err
	}
	return c.withRetries(ctx, dst.RegistryStr(), func(actx context.Context) error {
		start := time.Now()
		defer func() { c.stats.add("blob-copy", time.Since(start)) }()
		loc := location
		location = "" // a retry starts a new upload
		if loc == "" {
			resp, err := c.do(ctx, drt, request{
				kind: "blob-upload", method: http.MethodPost, url: c.url(dscheme, dst, "blobs/uploads/"),
				codes: []int{http.StatusAccepted},
			})
			if err != nil {
				return err
			}
			if loc, err = resolveLocation(resp); err != nil {
				return err
			}
		}
		// A layer may take longer than one request's timeout: bound the
		// copy by the size instead (at least 1 MB/s).
		cctx, cancel := context.WithTimeout(ctx, c.o.timeout+time.Duration(desc.Size/(1<<20))*time.Second)
		defer cancel()
		get, err := http.NewRequestWithContext(cctx, http.MethodGet, c.url(sscheme, src, "blobs/"+desc.Digest.String()), nil)
		if err != nil {
			return err
		}
		gresp, err := srt.RoundTrip(get)
		if err != nil {
			return err
		}
		defer gresp.Body.Close()
		if err := transport.CheckError(gresp, http.StatusOK); err != nil {
			return err
		}
		put, err := http.NewRequestWithContext(cctx, http.MethodPut, withDigest(loc, desc.Digest), gresp.Body)
		if err != nil {
			return err
		}
		put.ContentLength = desc.Size
		put.Header.Set("Content-Type", "application/octet-stream")
		presp, err := drt.RoundTrip(put)
		if err != nil {
			return err
		}
		defer presp.Body.Close()
		if err := transport.CheckError(presp, http.StatusCreated); err != nil {
			return err
		}
		cc.remember(dst, desc.Digest)
		return nil
	})
}

// headBlob checks that a blob is in a repository.
func (c *registryClient) headBlob(ctx context.Context, repo name.Repository, d v1.Hash) error {
	rt, scheme, err := c.transportFor(ctx, repo, false)
	if err != nil {
		return err
	}
	_, err = c.do(ctx, rt, request{
		kind: "blob-head", method: http.MethodHead, url: c.url(scheme, repo, "blobs/"+d.String()),
		codes: []int{http.StatusOK},
	})
	return err
}

// putBlob uploads a small blob: POST for an upload, PUT with the content.
func (c *registryClient) putBlob(ctx context.Context, repo name.Repository, data []byte, d v1.Hash) error {
	rt, scheme, err := c.transportFor(ctx, repo, true)
	if err != nil {
		return err
	}
	resp, err := c.do(ctx, rt, request{
		kind: "blob-upload", method: http.MethodPost, url: c.url(scheme, repo, "blobs/uploads/"),
		codes: []int{http.StatusAccepted, http.StatusCreated},
	})
	if err != nil {
		return err
	}
	loc, err := resolveLocation(resp)
	if err != nil {
		return err
	}
	_, err = c.do(ctx, rt, request{
		kind: "blob-put", method: http.MethodPut, url: withDigest(loc, d),
		header: http.Header{"Content-Type": {"application/octet-stream"}}, body: data,
		codes: []int{http.StatusCreated},
	})
	return err
}

// putManifest writes a manifest and checks the digest the registry
// computed.
func (c *registryClient) putManifest(ctx context.Context, ref name.Reference, data []byte, mt types.MediaType, d v1.Hash) error {
	rt, scheme, err := c.transportFor(ctx, ref.Context(), true)
	if err != nil {
		return err
	}
	ctype := string(mt)
	if ctype == "" {
		ctype = string(types.OCIManifestSchema1)
	}
	resp, err := c.do(ctx, rt, request{
		kind: "manifest-put", method: http.MethodPut, url: c.url(scheme, ref.Context(), "manifests/"+ref.Identifier()),
		header: http.Header{"Content-Type": {ctype}}, body: data, codes: []int{http.StatusCreated, http.StatusOK},
	})
	if err != nil {
		return err
	}
	if got := resp.header.Get("Docker-Content-Digest"); got != "" && got != d.String() {
		return fmt.Errorf("registry stored the manifest as %s, expected %s", got, d)
	}
	return nil
}

func resolveLocation(resp *response) (string, error) {
	loc := resp.header.Get("Location")
	if loc == "" {
		return "", errors.New("registry gave no upload location")
	}
	u, err := resp.url.Parse(loc)
	if err != nil {
		return "", fmt.Errorf("upload location %q: %w", loc, err)
	}
	return u.String(), nil
}

func withDigest(loc string, d v1.Hash) string {
	u, err := url.Parse(loc)
	if err != nil {
		return loc
	}
	q := u.Query()
	q.Set("digest", d.String())
	u.RawQuery = q.Encode()
	return u.String()
}
