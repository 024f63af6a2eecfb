package fleet_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/buildpacks/pack/pkg/client"
	"github.com/buildpacks/pack/pkg/logging"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"github.com/google/go-containerregistry/pkg/v1/validate"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/goldenpath-dev/goldenpath/internal/testregistry"
	"github.com/goldenpath-dev/goldenpath/pipeline/cnb"
	"github.com/goldenpath-dev/goldenpath/pipeline/fleet"
	"github.com/goldenpath-dev/goldenpath/pipeline/registry"
)

func rbRef(t *testing.T, s string) name.Reference {
	t.Helper()
	ref, err := name.ParseReference(s, name.Insecure)
	require.NoError(t, err)
	return ref
}

const testStack = "io.goldenpath.stacks.test"

// runImageOpts shape a synthetic run image.
type runImageOpts struct {
	layers  int
	stackID string
	arch    string
	labels  map[string]string
}

// newRunImage makes a CNB run image: random Docker layers with a history
// that has empty-layer entries, the stack and distro labels.
func newRunImage(t *testing.T, o runImageOpts) v1.Image {
	t.Helper()
	if o.stackID == "" {
		o.stackID = testStack
	}
	if o.arch == "" {
		o.arch = "amd64"
	}
	img := empty.Image
	for i := range o.layers {
		l, err := random.Layer(256, types.DockerLayer)
		require.NoError(t, err)
		img, err = mutate.Append(img, mutate.Addendum{Layer: l, History: v1.History{CreatedBy: fmt.Sprintf("RUN step %d", i)}})
		require.NoError(t, err)
	}
	img, err := mutate.Append(img, mutate.Addendum{History: v1.History{CreatedBy: "USER 1000:1000", EmptyLayer: true}})
	require.NoError(t, err)
	cf, err := img.ConfigFile()
	require.NoError(t, err)
	cf = cf.DeepCopy()
	cf.OS, cf.Architecture = "linux", o.arch
	cf.Config.Env = []string{"CNB_USER_ID=1000", "CNB_GROUP_ID=1000", "CNB_STACK_ID=" + o.stackID}
	cf.Config.User = "1000:1000"
	cf.Config.Labels = map[string]string{
		cnb.LabelStackID:                    o.stackID,
		cnb.LabelDistroName:                 "debian",
		cnb.LabelDistroVersion:              "12",
		"io.buildpacks.base.id":             "goldenpath/run:test",
		"io.buildpacks.base.description":    "test run image",
		"io.buildpacks.stack.maintainer":    "goldenpath",
		"org.opencontainers.image.revision": "run-1",
	}
	for k, v := range o.labels {
		if v == "" {
			delete(cf.Config.Labels, k)
		} else {
			cf.Config.Labels[k] = v
		}
	}
	img, err = mutate.ConfigFile(img, cf)
	require.NoError(t, err)
	return img
}

// patchRunImage adds one more layer and a label, as a base-image fix would.
func patchRunImage(t *testing.T, run v1.Image, id string) v1.Image {
	t.Helper()
	l, err := random.Layer(128, types.DockerLayer)
	require.NoError(t, err)
	img, err := mutate.Append(run, mutate.Addendum{Layer: l, History: v1.History{CreatedBy: "COPY goldenpath-patch /etc/goldenpath-patch"}})
	require.NoError(t, err)
	cf, err := img.ConfigFile()
	require.NoError(t, err)
	cf = cf.DeepCopy()
	cf.Config.Labels["io.goldenpath.patch"] = id
	cf.Config.Labels["io.buildpacks.base.description"] = "test run image, patch " + id
	img, err = mutate.ConfigFile(img, cf)
	require.NoError(t, err)
	return img
}

// appImageOpts shape a synthetic app image.
type appImageOpts struct {
	runName     string   // runImage.image
	mirrors     []string // runImage.mirrors
	reference   string   // runImage.reference
	appLayers   int
	platformAPI string
	oci         bool
	noHistory   bool
	labels      map[string]string
}

// newAppImage makes what the lifecycle exports: the run image's layers,
// app layers, one history entry per layer, the lifecycle, build and
// project metadata labels, and an unknown metadata field to preserve.
func newAppImage(t *testing.T, run v1.Image, o appImageOpts) v1.Image {
	t.Helper()
	if o.platformAPI == "" {
		o.platformAPI = "0.13"
	}
	if o.appLayers == 0 {
		o.appLayers = 2
	}
	runCfg, err := run.ConfigFile()
	require.NoError(t, err)
	ids := runCfg.RootFS.DiffIDs
	top := ids[len(ids)-1]
	img := run
	var appSHAs []map[string]string
	for i := range o.appLayers {
		l, err := random.Layer(200+int64(i), types.DockerLayer)
		require.NoError(t, err)
		d, err := l.DiffID()
		require.NoError(t, err)
		appSHAs = append(appSHAs, map[string]string{"sha": d.String()})
		img, err = mutate.Append(img, mutate.Addendum{Layer: l, History: v1.History{CreatedBy: "Buildpacks Application Launcher"}})
		require.NoError(t, err)
	}
	md := map[string]any{
		"app":           appSHAs,
		"buildpacks":    []map[string]any{{"key": "goldenpath/go", "version": "0.1.0", "layers": map[string]any{}}},
		"config":        map[string]string{"sha": "sha256:" + strings.Repeat("c", 64)},
		"launcher":      map[string]string{"sha": "sha256:" + strings.Repeat("d", 64)},
		"process-types": map[string]string{"sha": "sha256:" + strings.Repeat("e", 64)},
		"runImage": map[string]any{
			"topLayer": top.String(), "reference": o.reference, "image": o.runName, "mirrors": o.mirrors,
			"futureField": "kept",
		},
		"futureTopLevel": map[string]any{"kept": true},
	}
	mdJSON, err := json.Marshal(md)
	require.NoError(t, err)
	cf, err := img.ConfigFile()
	require.NoError(t, err)
	cf = cf.DeepCopy()
	cf.Config.Env = append(cf.Config.Env, "CNB_PLATFORM_API="+o.platformAPI, "PORT=8080")
	cf.Config.Entrypoint = []string{"/cnb/process/web"}
	cf.Config.Labels[cnb.LabelLifecycleMetadata] = string(mdJSON)
	cf.Config.Labels[cnb.LabelBuildMetadata] = `{"buildpacks":[{"id":"goldenpath/go","version":"0.1.0"}],"launcher":{"version":"0.21.0","source":{"git":{"repository":"github.com/buildpacks/lifecycle","commit":"abc"}}},"processes":[]}`
	cf.Config.Labels["org.opencontainers.image.title"] = "app"
	for k, v := range o.labels {
		cf.Config.Labels[k] = v
	}
	// The lifecycle normalises history to one entry per layer.
	var hist []v1.History
	if !o.noHistory {
		for _, h := range cf.History {
			if !h.EmptyLayer {
				hist = append(hist, h)
			}
		}
	}
	cf.History = hist
	img, err = mutate.ConfigFile(img, cf)
	require.NoError(t, err)
	if o.oci {
		img = mutate.MediaType(img, types.OCIManifestSchema1)
		img = mutate.ConfigMediaType(img, types.OCIConfigJSON)
	}
	return img
}

// rbFleet is a run image and app images in a registry.
type rbFleet struct {
	reg     *testregistry.Registry
	runRef  string // the run image's tag in the registry
	run     v1.Image
	runDig  string
	apps    []string
	appImgs []v1.Image
}

// newFleet pushes a run image and n app images (apps/dev/app-<i>:latest),
// built on it, as pack builds them: runImage.image the short name,
// runImage.mirrors the registry copy.
func newFleet(t *testing.T, reg *testregistry.Registry, n int, mod func(i int, o *appImageOpts)) *rbFleet {
	t.Helper()
	f := &rbFleet{reg: reg, runRef: reg.Host + "/goldenpath/run:test"}
	f.run = newRunImage(t, runImageOpts{layers: 3})
	f.runDig = reg.Push(t, f.runRef, f.run)
	for i := range n {
		o := appImageOpts{
			runName: "goldenpath/run:test", mirrors: []string{f.runRef},
			reference: reg.Host + "/goldenpath/run@" + f.runDig,
		}
		if mod != nil {
			mod(i, &o)
		}
		img := newAppImage(t, f.run, o)
		ref := fmt.Sprintf("%s/apps/dev/app-%d:latest", reg.Host, i)
		reg.Push(t, ref, img)
		f.apps = append(f.apps, ref)
		f.appImgs = append(f.appImgs, img)
	}
	return f
}

func newRebaser(t *testing.T, opts ...registry.Option) *fleet.RegistryRebaser {
	t.Helper()
	r, err := fleet.NewRegistryRebaser(append([]registry.Option{registry.WithRetries(0)}, opts...)...)
	require.NoError(t, err)
	return r
}

func lifecycleMD(t *testing.T, img v1.Image) (*cnb.LifecycleMetadata, map[string]json.RawMessage, *v1.ConfigFile) {
	t.Helper()
	cf, err := img.ConfigFile()
	require.NoError(t, err)
	md, err := cnb.ParseLifecycleMetadata(cf.Config.Labels[cnb.LabelLifecycleMetadata])
	require.NoError(t, err)
	var raw map[string]json.RawMessage
	require.NoError(t, json.Unmarshal([]byte(cf.Config.Labels[cnb.LabelLifecycleMetadata]), &raw))
	return md, raw, cf
}

func layerDigests(t *testing.T, img v1.Image) []v1.Hash {
	t.Helper()
	m, err := img.Manifest()
	require.NoError(t, err)
	var out []v1.Hash
	for _, l := range m.Layers {
		out = append(out, l.Digest)
	}
	return out
}

// assertRebased checks an image in the registry runs on newRun: layers,
// diff IDs, history, metadata, labels, and that the image is whole.
func assertRebased(t *testing.T, reg *testregistry.Registry, ref string, orig v1.Image, newRun v1.Image, newRunRepo string) {
	t.Helper()
	assertRebasedBy(t, reg, ref, orig, newRun, newRunRepo, false)
}

// assertRebasedBy is assertRebased; byPack skips what pack's rebase does
// not keep (unknown metadata fields, the creation time).
func assertRebasedBy(t *testing.T, reg *testregistry.Registry, ref string, orig v1.Image, newRun v1.Image, newRunRepo string, byPack bool) {
	t.Helper()
	img := reg.Get(t, ref)
	require.NoError(t, validate.Image(img), "%s is not a valid image", ref)
	runLayers, origLayers := layerDigests(t, newRun), layerDigests(t, orig)
	origMD, origRaw, origCfg := lifecycleMD(t, orig)
	k := 0
	for i, d := range origCfg.RootFS.DiffIDs {
		if d.String() == origMD.RunImage.TopLayer {
			k = i
			break
		}
	}
	assert.Equal(t, append(append([]v1.Hash{}, runLayers...), origLayers[k+1:]...), layerDigests(t, img), "layers of %s", ref)

	md, raw, cf := lifecycleMD(t, img)
	runCfg, err := newRun.ConfigFile()
	require.NoError(t, err)
	runDigest, err := newRun.Digest()
	require.NoError(t, err)
	assert.Equal(t, runCfg.RootFS.DiffIDs[len(runCfg.RootFS.DiffIDs)-1].String(), md.RunImage.TopLayer)
	assert.Equal(t, newRunRepo+"@"+runDigest.String(), md.RunImage.Reference)
	assert.Equal(t, append(append([]v1.Hash{}, runCfg.RootFS.DiffIDs...), origCfg.RootFS.DiffIDs[k+1:]...), cf.RootFS.DiffIDs)
	nonEmpty := 0
	for _, h := range cf.History {
		if !h.EmptyLayer {
			nonEmpty++
		}
	}
	assert.Equal(t, len(cf.RootFS.DiffIDs), nonEmpty, "history describes every layer")
	// Every other field of the label is kept, byte for byte.
	for k, v := range origRaw {
		if byPack && strings.HasPrefix(k, "future") {
			continue
		}
		if k != "runImage" {
			assert.JSONEq(t, string(v), string(raw[k]), "metadata field %s", k)
		}
	}
	if !byPack {
		var ri map[string]any
		require.NoError(t, json.Unmarshal(raw["runImage"], &ri))
		assert.Equal(t, "kept", ri["futureField"])
		assert.Equal(t, origCfg.Created, cf.Created)
	}
	// Base labels come from the run image; the app's own stay.
	for k, v := range runCfg.Config.Labels {
		if strings.HasPrefix(k, "io.buildpacks.base.") || strings.HasPrefix(k, "io.buildpacks.stack.") {
			assert.Equal(t, v, cf.Config.Labels[k], "label %s", k)
		}
	}
	assert.Equal(t, "app", cf.Config.Labels["org.opencontainers.image.title"])
	assert.Empty(t, cf.Config.Labels["io.goldenpath.patch"], "non-base labels of the run image are not copied")
	assert.Equal(t, origCfg.Config.Entrypoint, cf.Config.Entrypoint)
	assert.Equal(t, origCfg.Config.Env, cf.Config.Env)
}

func TestRebaseFleetThenRerunIsUpToDate(t *testing.T) {
	reg := testregistry.New(t)
	f := newFleet(t, reg, 6, func(i int, o *appImageOpts) {
		o.oci = i%2 == 1
		o.noHistory = i == 2
		o.appLayers = 1 + i%3
	})
	patched := patchRunImage(t, f.run, "cve-1")
	reg.Push(t, f.runRef, patched)

	var seen []fleet.RebaseResult
	rep, err := newRebaser(t, registry.WithConcurrency(3)).Rebase(context.Background(), &fleet.RebaseSpec{
		Images:   append(f.apps, f.apps[0]), // a duplicate is rebased once
		Progress: func(r fleet.RebaseResult) { seen = append(seen, r) },
	})
	require.NoError(t, err)
	require.NoError(t, rep.Err())
	assert.Len(t, seen, len(f.apps))
	require.Len(t, rep.Results, len(f.apps))
	for i, res := range rep.Results {
		assert.Equal(t, fleet.RebaseRebased, res.Status, res.Error)
		assert.Equal(t, f.runRef, res.RunImage, "the mirror on the app's registry is chosen")
		assert.Equal(t, 3, res.OldBaseLayers)
		assert.Equal(t, 4, res.NewBaseLayers)
		assert.Contains(t, res.Labels, "io.buildpacks.base.description")
		got, err := remote.Head(rbRef(t, f.apps[i]))
		require.NoError(t, err)
		assert.Equal(t, res.NewDigest, got.Digest.String())
		assertRebased(t, reg, f.apps[i], f.appImgs[i], patched, reg.Host+"/goldenpath/run")
		mt := reg.Get(t, f.apps[i])
		m, err := mt.MediaType()
		require.NoError(t, err)
		if i%2 == 1 {
			assert.Equal(t, types.OCIManifestSchema1, m)
			man, _ := mt.Manifest()
			for _, l := range man.Layers[:4] {
				assert.Equal(t, types.OCILayer, l.MediaType, "run image layers follow the manifest's family")
			}
		} else {
			assert.Equal(t, types.DockerManifestSchema2, m)
		}
	}
	require.Len(t, rep.RunImages, 1)
	assert.Equal(t, 4, rep.RunImages[0].Layers)

	// A rerun reads and writes nothing but manifests and configs.
	reg.ResetLog()
	rep, err = newRebaser(t).Rebase(context.Background(), &fleet.RebaseSpec{Images: f.apps})
	require.NoError(t, err)
	assert.Equal(t, len(f.apps), rep.Count(fleet.RebaseUpToDate))
	assert.Zero(t, reg.Count("PUT", "/manifests/"))
	assert.Zero(t, reg.Count("POST", "/blobs/uploads/"))
}

// The rebased image is what pack's own rebase (lifecycle's rebaser over
// imgutil) makes of the same image, and pack's rebase accepts it.
func TestRebaseAgreesWithPack(t *testing.T) {
	reg := testregistry.New(t)
	f := newFleet(t, reg, 1, nil)
	twin := reg.Host + "/apps/dev/twin:latest"
	reg.Push(t, twin, f.appImgs[0])
	patched := patchRunImage(t, f.run, "cve-2")
	reg.Push(t, f.runRef, patched)

	rep, err := newRebaser(t).Rebase(context.Background(), &fleet.RebaseSpec{Images: f.apps[:1], RunImage: f.runRef})
	require.NoError(t, err)
	require.NoError(t, rep.Err())

	pack, err := client.NewClient(client.WithLogger(logging.NewSimpleLogger(io.Discard)))
	require.NoError(t, err)
	packRebase := func(image string) {
		t.Helper()
		require.NoError(t, pack.Rebase(context.Background(), client.RebaseOptions{
			RepoName: image, RunImage: f.runRef, Publish: true, InsecureRegistries: []string{reg.Host},
		}))
	}
	packRebase(twin)
	ours, theirs := reg.Get(t, f.apps[0]), reg.Get(t, twin)
	assert.Equal(t, layerDigests(t, theirs), layerDigests(t, ours))
	oMD, _, oCfg := lifecycleMD(t, ours)
	tMD, _, tCfg := lifecycleMD(t, theirs)
	assert.Equal(t, tMD.RunImage.TopLayer, oMD.RunImage.TopLayer)
	assert.Equal(t, tMD.RunImage.Reference, oMD.RunImage.Reference)
	assert.Equal(t, tMD.RunImage.Image, oMD.RunImage.Image)
	assert.Equal(t, tMD.RunImage.Mirrors, oMD.RunImage.Mirrors)
	assert.Equal(t, tCfg.RootFS.DiffIDs, oCfg.RootFS.DiffIDs)
	for k, v := range tCfg.Config.Labels {
		if k != cnb.LabelLifecycleMetadata {
			assert.Equal(t, v, oCfg.Config.Labels[k], "label %s", k)
		}
	}
	assert.Len(t, oCfg.Config.Labels, len(tCfg.Config.Labels))
	// pack (the lifecycle's typed struct) drops the metadata fields it does
	// not know; goldenpath keeps them. The rest is the same.
	var tRaw, oRaw map[string]any
	require.NoError(t, json.Unmarshal([]byte(tCfg.Config.Labels[cnb.LabelLifecycleMetadata]), &tRaw))
	require.NoError(t, json.Unmarshal([]byte(oCfg.Config.Labels[cnb.LabelLifecycleMetadata]), &oRaw))
	delete(oRaw, "futureTopLevel")
	delete(oRaw["runImage"].(map[string]any), "futureField")
	assert.Equal(t, tRaw, oRaw)
	assert.Equal(t, tCfg.Config.Env, oCfg.Config.Env)
	assert.Equal(t, tCfg.OS+tCfg.Architecture, oCfg.OS+oCfg.Architecture)

	// pack rebases the image goldenpath rebased onto the next patch.
	patched2 := patchRunImage(t, patched, "cve-3")
	reg.Push(t, f.runRef, patched2)
	packRebase(f.apps[0])
	assertRebasedBy(t, reg, f.apps[0], ours, patched2, reg.Host+"/goldenpath/run", true)
}

func TestRebaseDryRunWritesNothingAndPredictsTheDigest(t *testing.T) {
	reg := testregistry.New(t)
	f := newFleet(t, reg, 3, nil)
	reg.Push(t, f.runRef, patchRunImage(t, f.run, "cve-4"))
	before := map[string]string{}
	for _, a := range f.apps {
		d, err := remote.Head(rbRef(t, a))
		require.NoError(t, err)
		before[a] = d.Digest.String()
	}
	reg.ResetLog()
	dry, err := newRebaser(t).Rebase(context.Background(), &fleet.RebaseSpec{Images: f.apps, DryRun: true})
	require.NoError(t, err)
	assert.True(t, dry.DryRun)
	assert.Zero(t, reg.Count("PUT", ""))
	assert.Zero(t, reg.Count("POST", ""))
	for _, res := range dry.Results {
		assert.Equal(t, fleet.RebaseWouldRebase, res.Status)
		assert.Equal(t, before[res.Image], res.Digest)
		assert.NotEqual(t, res.Digest, res.NewDigest)
		assert.NotEqual(t, res.From.TopLayer, res.To.TopLayer)
	}
	real, err := newRebaser(t).Rebase(context.Background(), &fleet.RebaseSpec{Images: f.apps})
	require.NoError(t, err)
	for i, res := range real.Results {
		assert.Equal(t, dry.Results[i].NewDigest, res.NewDigest, "rebasing is deterministic")
	}
}

func TestRebaseOntoAnotherNameNeedsForce(t *testing.T) {
	reg := testregistry.New(t)
	f := newFleet(t, reg, 1, nil)
	other := reg.Host + "/goldenpath/run-patched:2025-11-25"
	patched := patchRunImage(t, f.run, "cve-5")
	reg.Push(t, other, patched)

	rep, err := newRebaser(t).Rebase(context.Background(), &fleet.RebaseSpec{Images: f.apps, RunImage: other})
	require.NoError(t, err)
	require.Error(t, rep.Err())
	assert.Contains(t, rep.Results[0].Error, "not found in existing run image metadata")
	assert.Contains(t, rep.Results[0].Error, "force")

	rep, err = newRebaser(t).Rebase(context.Background(), &fleet.RebaseSpec{Images: f.apps, RunImage: other, Force: true})
	require.NoError(t, err)
	require.NoError(t, rep.Err())
	assert.NotEmpty(t, rep.Results[0].Warnings)
	assertRebased(t, reg, f.apps[0], f.appImgs[0], patched, reg.Host+"/goldenpath/run-patched")
	md, raw, _ := lifecycleMD(t, reg.Get(t, f.apps[0]))
	assert.Equal(t, other, md.RunImage.Image, "the new name is recorded, as lifecycle rebase -force does")
	assert.Empty(t, md.RunImage.Mirrors)
	require.NotNil(t, md.Stack)
	assert.Equal(t, other, md.Stack.RunImage.Image)
	assert.Contains(t, string(raw["runImage"]), `"futureField":"kept"`)

	// The image now follows the new name: a rebase without a run image
	// uses it, and finds it up to date.
	rep, err = newRebaser(t).Rebase(context.Background(), &fleet.RebaseSpec{Images: f.apps})
	require.NoError(t, err)
	assert.Equal(t, fleet.RebaseUpToDate, rep.Results[0].Status, rep.Results[0].Error)
}

func TestRebaseRefusesWhatTheLifecycleRefuses(t *testing.T) {
	reg := testregistry.New(t)
	f := newFleet(t, reg, 3, func(i int, o *appImageOpts) {
		switch i {
		case 0:
			o.platformAPI = "0.11" // stack IDs are compared
		case 1:
			o.labels = map[string]string{cnb.LabelRebasable: "false"}
		}
	})
	otherStack := newRunImage(t, runImageOpts{layers: 2, stackID: "io.other.stack"})
	arm := newRunImage(t, runImageOpts{layers: 2, arch: "arm64"})
	reg.Push(t, reg.Host+"/goldenpath/run:other-stack", otherStack)
	reg.Push(t, reg.Host+"/goldenpath/run:arm", arm)

	rb := newRebaser(t)
	rep, err := rb.Rebase(context.Background(), &fleet.RebaseSpec{Images: f.apps[:1], RunImage: reg.Host + "/goldenpath/run:other-stack", Force: true})
	require.NoError(t, err)
	assert.Contains(t, rep.Results[0].Error, "incompatible stack: 'io.other.stack' is not compatible with '"+testStack+"'", "force does not override the stack")

	rep, err = rb.Rebase(context.Background(), &fleet.RebaseSpec{Images: f.apps[1:2], RunImage: f.runRef + "-x"})
	require.NoError(t, err)
	assert.Equal(t, fleet.RebaseFailed, rep.Results[0].Status, "a run image that does not exist")
	assert.Contains(t, rep.Results[0].Error, "reading the run image")

	reg.Push(t, f.runRef, patchRunImage(t, f.run, "p"))
	rep, err = rb.Rebase(context.Background(), &fleet.RebaseSpec{Images: f.apps[1:2]})
	require.NoError(t, err)
	assert.Contains(t, rep.Results[0].Error, "app image is not marked as rebasable")

	rep, err = rb.Rebase(context.Background(), &fleet.RebaseSpec{Images: f.apps[2:], RunImage: reg.Host + "/goldenpath/run:arm"})
	require.NoError(t, err)
	assert.Contains(t, rep.Results[0].Error, "unable to satisfy target os/arch constraints")

	rep, err = rb.Rebase(context.Background(), &fleet.RebaseSpec{Images: []string{f.runRef}})
	require.NoError(t, err)
	assert.Contains(t, rep.Results[0].Error, "not a Cloud Native Buildpacks app image")
}

// Faults: images whose writes fail are reported and left as they were (a
// valid image under the old digest); a rerun finishes them and skips the
// rest. No tag ever points at an image with a missing blob.
func TestRebaseSurvivesRegistryFaults(t *testing.T) {
	reg := testregistry.New(t)
	f := newFleet(t, reg, 12, nil)
	patched := patchRunImage(t, f.run, "cve-6")
	reg.Push(t, f.runRef, patched)
	before := map[string]string{}
	for _, a := range f.apps {
		d, err := remote.Head(rbRef(t, a))
		require.NoError(t, err)
		before[a] = d.Digest.String()
	}

	// Odd apps fail at the manifest, apps 0 and 4 at the config upload,
	// and after 40 requests the registry "stops" for everything.
	var n atomic.Int64
	reg.SetFault(func(r *http.Request) bool {
		if n.Add(1) > 40 {
			return true
		}
		for i := 1; i < len(f.apps); i += 2 {
			if r.Method == http.MethodPut && strings.HasSuffix(r.URL.Path, fmt.Sprintf("/app-%d/manifests/latest", i)) {
				return true
			}
		}
		return r.Method == http.MethodPost && (strings.Contains(r.URL.Path, "/app-0/") || strings.Contains(r.URL.Path, "/app-4/"))
	})
	rep, err := newRebaser(t, registry.WithConcurrency(4)).Rebase(context.Background(), &fleet.RebaseSpec{Images: f.apps})
	require.NoError(t, err)
	require.Error(t, rep.Err())
	failed := rep.Count(fleet.RebaseFailed)
	assert.Greater(t, failed, len(f.apps)/2)
	reg.SetFault(nil)

	for i, res := range rep.Results {
		d, err := remote.Head(rbRef(t, f.apps[i]))
		require.NoError(t, err)
		require.NoError(t, validate.Image(reg.Get(t, f.apps[i])), "%s must stay a whole image", f.apps[i])
		switch res.Status {
		case fleet.RebaseFailed:
			assert.Equal(t, before[f.apps[i]], d.Digest.String(), "%s: a failed rebase leaves the tag alone", f.apps[i])
			assert.NotEmpty(t, res.Error)
		case fleet.RebaseRebased:
			assert.Equal(t, res.NewDigest, d.Digest.String())
		default:
			t.Errorf("%s: unexpected status %s", f.apps[i], res.Status)
		}
	}

	rep2, err := newRebaser(t).Rebase(context.Background(), &fleet.RebaseSpec{Images: f.apps})
	require.NoError(t, err)
	require.NoError(t, rep2.Err())
	assert.Equal(t, failed, rep2.Count(fleet.RebaseRebased), "the rerun finishes what failed")
	assert.Equal(t, len(f.apps)-failed, rep2.Count(fleet.RebaseUpToDate), "and skips what was done")
	for i := range f.apps {
		assertRebased(t, reg, f.apps[i], f.appImgs[i], patched, reg.Host+"/goldenpath/run")
	}
}

// A registry that stops answering (SIGSTOP-like) fails the images it holds
// up within the request timeout instead of hanging the fleet.
func TestRebaseTimesOutOnAHungRegistry(t *testing.T) {
	reg := testregistry.New(t)
	f := newFleet(t, reg, 3, nil)
	reg.Push(t, f.runRef, patchRunImage(t, f.run, "cve-7"))
	release := make(chan struct{})
	reg.SetFault(func(r *http.Request) bool {
		if r.Method == http.MethodPut {
			select {
			case <-release:
			case <-r.Context().Done():
			}
		}
		return false
	})
	defer close(release)
	start := time.Now()
	rep, err := newRebaser(t, registry.WithRequestTimeout(300*time.Millisecond), registry.WithRetries(1)).Rebase(context.Background(), &fleet.RebaseSpec{Images: f.apps})
	require.NoError(t, err)
	assert.Less(t, time.Since(start), 5*time.Second)
	assert.Equal(t, len(f.apps), rep.Count(fleet.RebaseFailed))
	assert.Contains(t, rep.Results[0].Error, "deadline exceeded")
}

// A registry that went away fails the rest of the fleet at once (the
// circuit breaker), and work resumes when it is back.
func TestRebaseFailsFastWhenTheRegistryIsDown(t *testing.T) {
	reg := testregistry.New(t)
	f := newFleet(t, reg, 40, nil)
	reg.Push(t, f.runRef, patchRunImage(t, f.run, "cve-10"))
	var down atomic.Bool
	down.Store(true)
	reg.SetFault(func(*http.Request) bool { return down.Load() })
	rb := newRebaser(t, registry.WithConcurrency(4), registry.WithCircuitBreaker(5))
	reg.ResetLog()
	rep, err := rb.Rebase(context.Background(), &fleet.RebaseSpec{Images: f.apps})
	require.NoError(t, err)
	assert.Equal(t, len(f.apps), rep.Count(fleet.RebaseFailed))
	assert.LessOrEqual(t, reg.Count("GET", ""), 10, "requests stop once the breaker is open")
	assert.ErrorIs(t, rep.Results[len(f.apps)-1].Err, registry.ErrRegistryDown)

	down.Store(false)
	time.Sleep(1100 * time.Millisecond) // one probe a second
	rep, err = rb.Rebase(context.Background(), &fleet.RebaseSpec{Images: f.apps})
	require.NoError(t, err)
	require.NoError(t, rep.Err(), "%v", rep.Results[0].Error)
	_, err = fleet.NewRegistryRebaser(registry.WithCircuitBreaker(-1))
	assert.Error(t, err)
}

// A tag the registry broke (it died while writing the tag's link) is
// repaired from the report of the interrupted run, then rebased as usual.
func TestRebaseResumeRepairsAnUnreadableTag(t *testing.T) {
	reg := testregistry.New(t)
	f := newFleet(t, reg, 2, nil)
	patched := patchRunImage(t, f.run, "cve-11")
	reg.Push(t, f.runRef, patched)
	rb := newRebaser(t)
	first, err := rb.Rebase(context.Background(), &fleet.RebaseSpec{Images: f.apps})
	require.NoError(t, err)
	require.NoError(t, first.Err())

	var broken atomic.Bool
	broken.Store(true)
	reg.SetFault(func(r *http.Request) bool {
		if r.Method == http.MethodPut && strings.HasSuffix(r.URL.Path, "/app-1/manifests/latest") {
			broken.Store(false)
		}
		return broken.Load() && r.Method == http.MethodGet && strings.HasSuffix(r.URL.Path, "/app-1/manifests/latest")
	})
	rep, err := rb.Rebase(context.Background(), &fleet.RebaseSpec{Images: f.apps})
	require.NoError(t, err)
	assert.Equal(t, fleet.RebaseFailed, rep.Results[1].Status, "without the earlier report the tag cannot be repaired")

	rep, err = rb.Rebase(context.Background(), &fleet.RebaseSpec{Images: f.apps, Resume: first})
	require.NoError(t, err)
	require.NoError(t, rep.Err())
	assert.Contains(t, rep.Results[1].Repaired, "re-pointed at "+first.Results[1].NewDigest)
	assert.Equal(t, fleet.RebaseUpToDate, rep.Results[1].Status)
	assert.Empty(t, rep.Results[0].Repaired)
	assertRebased(t, reg, f.apps[1], f.appImgs[1], patched, reg.Host+"/goldenpath/run")
}

// One rebaser, two patches: each call reads the run image again.
func TestRebaserSeesTheRunImageChange(t *testing.T) {
	reg := testregistry.New(t)
	f := newFleet(t, reg, 1, nil)
	rb := newRebaser(t)
	p1 := patchRunImage(t, f.run, "one")
	reg.Push(t, f.runRef, p1)
	rep, err := rb.Rebase(context.Background(), &fleet.RebaseSpec{Images: f.apps})
	require.NoError(t, err)
	require.NoError(t, rep.Err())
	p2 := patchRunImage(t, p1, "two")
	reg.Push(t, f.runRef, p2)
	rep, err = rb.Rebase(context.Background(), &fleet.RebaseSpec{Images: f.apps})
	require.NoError(t, err)
	assert.Equal(t, fleet.RebaseRebased, rep.Results[0].Status)
	assertRebased(t, reg, f.apps[0], f.appImgs[0], p2, reg.Host+"/goldenpath/run")
}

func TestRebaseByDigestWritesANewImage(t *testing.T) {
	reg := testregistry.New(t)
	f := newFleet(t, reg, 1, nil)
	patched := patchRunImage(t, f.run, "cve-8")
	reg.Push(t, f.runRef, patched)
	d, err := f.appImgs[0].Digest()
	require.NoError(t, err)
	byDigest := reg.Host + "/apps/dev/app-0@" + d.String()
	rep, err := newRebaser(t).Rebase(context.Background(), &fleet.RebaseSpec{Images: []string{byDigest}})
	require.NoError(t, err)
	require.NoError(t, rep.Err())
	tag, err := remote.Head(rbRef(t, f.apps[0]))
	require.NoError(t, err)
	assert.Equal(t, d, tag.Digest, "the tag does not move")
	assertRebased(t, reg, reg.Host+"/apps/dev/app-0@"+rep.Results[0].NewDigest, f.appImgs[0], patched, reg.Host+"/goldenpath/run")
}

// Run image layers the app repository lacks are made present once per
// repository: ggcr checks (HEAD) and mounts from the run image's
// repository when missing (the in-process registry shares blobs across
// repositories, so here the check finds them; the integration test's
// distribution registry mounts).
func TestRebaseMountsNewRunImageLayers(t *testing.T) {
	reg := testregistry.New(t)
	f := newFleet(t, reg, 3, nil)
	more := reg.Host + "/apps/dev/app-0:v2"
	reg.Push(t, more, f.appImgs[0])
	patched := patchRunImage(t, f.run, "cve-9")
	reg.Push(t, f.runRef, patched)
	layers := layerDigests(t, patched)
	newLayer := layers[len(layers)-1].String()
	reg.ResetLog()
	rep, err := newRebaser(t, registry.WithConcurrency(1)).Rebase(context.Background(), &fleet.RebaseSpec{Images: append(f.apps, more)})
	require.NoError(t, err)
	require.NoError(t, rep.Err())
	// One new layer, three repositories (app-0 twice).
	assert.Equal(t, 3, reg.Count("HEAD", "/blobs/"+newLayer)+reg.Count("POST", "mount="+newLayer))
	assert.Contains(t, rep.Requests.Requests, "manifest-put")
	assert.Equal(t, 4, rep.Requests.Requests["manifest-put"])
}

func TestRebaseCancelled(t *testing.T) {
	reg := testregistry.New(t)
	f := newFleet(t, reg, 2, nil)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	rep, err := newRebaser(t).Rebase(ctx, &fleet.RebaseSpec{Images: f.apps})
	require.ErrorIs(t, err, context.Canceled)
	assert.Equal(t, 2, rep.Count(fleet.RebaseFailed))
	_, err = newRebaser(t).Rebase(context.Background(), &fleet.RebaseSpec{})
	require.Error(t, err)
}

func TestRegistryOptionsRejectNonsense(t *testing.T) {
	for _, opt := range []registry.Option{
		registry.WithConcurrency(0), registry.WithRequestTimeout(0), registry.WithRetries(-1),
		registry.WithTransport(nil), registry.WithKeychain(nil),
	} {
		_, err := fleet.NewRegistryRebaser(opt)
		assert.Error(t, err)
	}
}
