package fleet

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/goldenpath-dev/goldenpath/pipeline/cnb"
	"github.com/goldenpath-dev/goldenpath/pipeline/registry"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

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
