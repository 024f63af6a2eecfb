//go:build integration

package fleet_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/buildpacks/pack/pkg/client"
	"github.com/buildpacks/pack/pkg/logging"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/goldenpath-dev/goldenpath/contract"
	"github.com/goldenpath-dev/goldenpath/internal/e2e"
	"github.com/goldenpath-dev/goldenpath/internal/testenv"
	"github.com/goldenpath-dev/goldenpath/pipeline/build"
	"github.com/goldenpath-dev/goldenpath/pipeline/cnb"
	"github.com/goldenpath-dev/goldenpath/pipeline/fleet"
	"github.com/goldenpath-dev/goldenpath/pipeline/registry"
)

// rebaseNS is where these tests keep their images in the shared registry.
const rebaseNS = "gp-rebase-it"

var sampleOnce struct {
	sync.Once
	ref string
	err error
}

// rebaseSample builds the sample Go app with the pipeline (pack, the
// offline builder) and publishes it to the shared registry, once per test
// binary. Tests copy it under their own tags.
func rebaseSample(t *testing.T) string {
	t.Helper()
	testenv.RequireDocker(t)
	reg := testenv.Registry(t)
	sampleOnce.Do(func() {
		root := testenv.RepoRoot(t)
		reqs, err := contract.LoadFile(filepath.Join(root, "examples/apps/go/goldenpath.yaml"))
		if err != nil {
			sampleOnce.err = err
			return
		}
		platform, err := contract.LoadPlatformFile(filepath.Join(root, "examples/platform/local.yaml"))
		if err != nil {
			sampleOnce.err = err
			return
		}
		pack, err := build.NewPackBuilder()
		if err != nil {
			sampleOnce.err = err
			return
		}
		var out bytes.Buffer
		res, err := pack.Build(context.Background(), &build.Spec{Request: reqs[0], Platform: platform, SourceDir: root,
			Registry: reg + "/" + rebaseNS, Publish: true, Output: &out})
		if err != nil {
			sampleOnce.err = fmt.Errorf("%w\n%s", err, out.String())
			return
		}
		sampleOnce.ref = res.Reference
	})
	require.NoError(t, sampleOnce.err, "building the sample app")
	return sampleOnce.ref
}

func itRef(t *testing.T, s string) name.Reference {
	t.Helper()
	ref, err := name.ParseReference(s, name.Insecure)
	require.NoError(t, err)
	return ref
}

func itCopy(t *testing.T, from, to string) v1.Image {
	t.Helper()
	img, err := remote.Image(itRef(t, from))
	require.NoError(t, err)
	require.NoError(t, remote.Write(itRef(t, to), img), "copying %s to %s", from, to)
	return img
}

func itDigest(t *testing.T, s string) string {
	t.Helper()
	d, err := remote.Head(itRef(t, s))
	require.NoError(t, err)
	return d.Digest.String()
}

func itMD(t *testing.T, s string) *cnb.LifecycleMetadata {
	t.Helper()
	img, err := remote.Image(itRef(t, s))
	require.NoError(t, err)
	cf, err := img.ConfigFile()
	require.NoError(t, err)
	md, err := cnb.ParseLifecycleMetadata(cf.Config.Labels[cnb.LabelLifecycleMetadata])
	require.NoError(t, err)
	return md
}

// patchRun writes to target the machine's run image with one more layer
// (/etc/goldenpath-patch holding id, readable by the app's user) and a
// label, as a security fix to the base would be (e2e.PatchImage), and
// returns the patched run image's top layer.
func patchRun(t *testing.T, target, id string) string {
	t.Helper()
	src := os.Getenv("GOLDENPATH_RUN_IMAGE_REMOTE")
	require.NotEmpty(t, src, "GOLDENPATH_RUN_IMAGE_REMOTE is not set: source $GOLDENPATH_CACHE/env.sh")
	_, err := e2e.PatchImage(context.Background(), src, target, id)
	require.NoError(t, err)
	img, err := remote.Image(itRef(t, target))
	require.NoError(t, err)
	cf, err := img.ConfigFile()
	require.NoError(t, err)
	return cf.RootFS.DiffIDs[len(cf.RootFS.DiffIDs)-1].String()
}

// The sample app, built by the pipeline, rebased by goldenpath onto a run
// image patched as a base-image fix would be: plan sees it, dry-run writes
// nothing, the rebased image runs the app on the patched base, and pack's
// rebase (library and CLI) accepts it afterwards.
func TestRebaseIntegrationRealImage(t *testing.T) {
	sample := rebaseSample(t)
	reg := testenv.Registry(t)
	ctx := context.Background()
	run := reg + "/" + rebaseNS + "/run:real"
	app := reg + "/" + rebaseNS + "/dev/real:latest"
	itCopy(t, os.Getenv("GOLDENPATH_RUN_IMAGE_REMOTE"), run)
	orig := itCopy(t, sample, app)

	rb, err := fleet.NewRegistryRebaser()
	require.NoError(t, err)
	// Onto our own copy of the run image: same layers, a new name, so
	// force (as lifecycle rebase -force) and only the metadata changes.
	rep, err := rb.Rebase(ctx, &fleet.RebaseSpec{Images: []string{app}, RunImage: run})
	require.NoError(t, err)
	assert.Contains(t, rep.Results[0].Error, "force")
	rep, err = rb.Rebase(ctx, &fleet.RebaseSpec{Images: []string{app}, RunImage: run, Force: true})
	require.NoError(t, err)
	require.NoError(t, rep.Err())
	moved, err := remote.Image(itRef(t, app))
	require.NoError(t, err)
	assert.Equal(t, layerDigests(t, orig), layerDigests(t, moved), "same layers, new metadata")
	assert.Equal(t, run, itMD(t, app).RunImage.Image)

	top := patchRun(t, run, "it-real-1")
	platform, err := contract.LoadPlatformFile(filepath.Join(testenv.RepoRoot(t), "examples/platform/local.yaml"))
	require.NoError(t, err)
	planner, err := fleet.NewPlanner()
	require.NoError(t, err)
	plan, err := planner.Plan(ctx, &fleet.PlanSpec{Platform: platform, RunImage: run, Targets: []fleet.PlanTarget{{Image: app}}})
	require.NoError(t, err)
	assert.Equal(t, fleet.ActionRebase, plan.Items[0].Action, "%+v", plan.Items[0])
	assert.Equal(t, []fleet.Reason{fleet.ReasonStack}, plan.Items[0].Reasons)

	before := itDigest(t, app)
	dry, err := rb.Rebase(ctx, &fleet.RebaseSpec{Images: []string{app}, DryRun: true})
	require.NoError(t, err)
	assert.Equal(t, fleet.RebaseWouldRebase, dry.Results[0].Status, dry.Results[0].Error)
	assert.Equal(t, before, itDigest(t, app), "a dry run writes nothing")

	rep, err = rb.Rebase(ctx, &fleet.RebaseSpec{Images: []string{app}})
	require.NoError(t, err)
	require.NoError(t, rep.Err())
	assert.Equal(t, dry.Results[0].NewDigest, itDigest(t, app))
	assert.Equal(t, top, itMD(t, app).RunImage.TopLayer)

	// It runs, on the patched base.
	pinned := app[:strings.LastIndex(app, ":")] + "@" + itDigest(t, app)
	var stderr bytes.Buffer
	cat := exec.Command(testenv.Docker, "run", "--rm", "--entrypoint", "cat", pinned, "/etc/goldenpath-patch")
	cat.Stderr = &stderr
	out, err := cat.Output()
	require.NoError(t, err, "%s", stderr.String())
	assert.Equal(t, "it-real-1", strings.TrimSpace(string(out)), "the image runs on the patched run image")
	body := testenv.Get(t, testenv.RunImage(t, pinned), 60*time.Second)
	assert.Contains(t, body, "hello from goldenpath go app")

	// pack's rebase (the library) takes it from there...
	top2 := patchRun(t, run, "it-real-2")
	pc, err := client.NewClient(client.WithLogger(logging.NewSimpleLogger(io.Discard)))
	require.NoError(t, err)
	require.NoError(t, pc.Rebase(ctx, client.RebaseOptions{RepoName: app, Publish: true, InsecureRegistries: []string{reg}}),
		"pack finds the run image in goldenpath's metadata")
	assert.Equal(t, top2, itMD(t, app).RunImage.TopLayer)
	rep, err = rb.Rebase(ctx, &fleet.RebaseSpec{Images: []string{app}})
	require.NoError(t, err)
	assert.Equal(t, fleet.RebaseUpToDate, rep.Results[0].Status, rep.Results[0].Error)

	// ...and so does the pack CLI, after goldenpath rebased it once more.
	top3 := patchRun(t, run, "it-real-3")
	rep, err = rb.Rebase(ctx, &fleet.RebaseSpec{Images: []string{app}})
	require.NoError(t, err)
	require.NoError(t, rep.Err())
	patchRun(t, run, "it-real-4")
	packBin := os.Getenv("GOLDENPATH_PACK")
	require.NotEmpty(t, packBin, "GOLDENPATH_PACK is not set: source $GOLDENPATH_CACHE/env.sh")
	out, err = exec.Command(packBin, "rebase", "--publish", "--insecure-registry", reg, app).CombinedOutput()
	require.NoError(t, err, "pack rebase: %s", out)
	assert.NotEqual(t, top3, itMD(t, app).RunImage.TopLayer)
	plan, err = planner.Plan(ctx, &fleet.PlanSpec{Platform: platform, RunImage: run, Targets: []fleet.PlanTarget{{Image: app}}})
	require.NoError(t, err)
	assert.Equal(t, fleet.ActionNothing, plan.Items[0].Action, "%+v", plan.Items[0])
}

// privateRegistry is a docker-registry process of its own (the same
// distribution 2.8 binary hack/setup.sh runs), which this test may kill,
// freeze and restart without disturbing anyone else.
type privateRegistry struct {
	t      *testing.T
	config string
	addr   string
	cmd    *exec.Cmd
	log    bytes.Buffer
}

func startPrivateRegistry(t *testing.T) *privateRegistry {
	t.Helper()
	bin, err := exec.LookPath("docker-registry")
	require.NoError(t, err, "docker-registry is not installed: run `bash hack/setup.sh`")
	dir := t.TempDir()
	r := &privateRegistry{t: t, addr: fmt.Sprintf("127.0.0.1:%d", testenv.FreePort(t)), config: filepath.Join(dir, "config.yml")}
	require.NoError(t, os.WriteFile(r.config, []byte(fmt.Sprintf(`version: 0.1
log:
  level: error
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: %s
  cache:
    blobdescriptor: inmemory
http:
  addr: %s
  secret: goldenpath-rebase-fault-test
`, filepath.Join(dir, "data"), r.addr)), 0o644))
	r.cmd = exec.Command(bin, "serve", r.config)
	r.start()
	t.Cleanup(func() {
		if r.cmd.ProcessState == nil {
			_ = r.cmd.Process.Signal(syscall.SIGCONT)
			_ = r.cmd.Process.Kill()
			_ = r.cmd.Wait()
		}
		if t.Failed() {
			lines := strings.Split(strings.TrimSpace(r.log.String()), "\n")
			t.Logf("private registry log (last 10 of %d lines):\n%s", len(lines), strings.Join(lines[max(0, len(lines)-10):], "\n"))
		}
	})
	return r
}

func (r *privateRegistry) start() {
	r.t.Helper()
	if r.cmd.ProcessState != nil || r.cmd.Process != nil {
		r.cmd = exec.Command(r.cmd.Path, r.cmd.Args[1:]...)
	}
	r.cmd.Stdout, r.cmd.Stderr = &r.log, &r.log
	require.NoError(r.t, r.cmd.Start())
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if resp, err := http.Get("http://" + r.addr + "/v2/"); err == nil {
			resp.Body.Close()
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	r.t.Fatalf("the private registry did not start:\n%s", r.log.String())
}

// kill is kill -9; it may run on any goroutine.
func (r *privateRegistry) kill() {
	if err := r.cmd.Process.Kill(); err != nil {
		r.t.Errorf("killing the registry: %v", err)
	}
	_ = r.cmd.Wait()
}

func (r *privateRegistry) signal(s syscall.Signal) {
	r.t.Helper()
	require.NoError(r.t, r.cmd.Process.Signal(s))
}

// registryFleet puts n variants of the sample app (each with one small
// distinct layer, in its own repository) on reg, on the run image run.
func registryFleet(t *testing.T, sample, reg, run string, n int) ([]string, map[string]string) {
	t.Helper()
	itCopy(t, os.Getenv("GOLDENPATH_RUN_IMAGE_REMOTE"), run)
	base := reg + "/sample:latest"
	itCopy(t, sample, base)
	rb, err := fleet.NewRegistryRebaser()
	require.NoError(t, err)
	rep, err := rb.Rebase(context.Background(), &fleet.RebaseSpec{Images: []string{base}, RunImage: run, Force: true})
	require.NoError(t, err)
	require.NoError(t, rep.Err())
	app, err := remote.Image(itRef(t, base))
	require.NoError(t, err)
	p, err := remote.NewPusher()
	require.NoError(t, err)
	images := make([]string, n)
	digests := map[string]string{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	sem := make(chan struct{}, 8)
	for i := range n {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			l, err := random.Layer(64, types.DockerLayer)
			if !assert.NoError(t, err) {
				return
			}
			v, err := mutate.AppendLayers(app, l)
			if !assert.NoError(t, err) {
				return
			}
			ref := fmt.Sprintf("%s/apps/app-%03d:latest", reg, i)
			if !assert.NoError(t, remote.Write(itRef(t, ref), v, remote.Reuse(p))) {
				return
			}
			d, _ := v.Digest()
			mu.Lock()
			images[i], digests[ref] = ref, d.String()
			mu.Unlock()
		}()
	}
	wg.Wait()
	require.False(t, t.Failed())
	return images, digests
}

// patchRegistrySide adds one layer to the run image in the registry (what
// patchRun does, on top of what the registry holds) and returns its
// top layer.
func patchRegistrySide(t *testing.T, run string) string {
	t.Helper()
	img, err := remote.Image(itRef(t, run))
	require.NoError(t, err)
	patched := patchRunImage(t, img, time.Now().Format(time.RFC3339Nano))
	require.NoError(t, remote.Write(itRef(t, run), patched))
	cf, err := patched.ConfigFile()
	require.NoError(t, err)
	return cf.RootFS.DiffIDs[len(cf.RootFS.DiffIDs)-1].String()
}

// assertFleetWhole checks that every tag points at a whole image (manifest,
// config and every layer present; diff IDs matching; the lifecycle
// metadata's top layer among them) that is either the image before
// (digest in old) or one on the run image with top layer top. It returns
// how many are on top, and the tags the registry could not read at all.
func assertFleetWhole(t *testing.T, images []string, old map[string]string, top string) (int, []string) {
	t.Helper()
	onTop := 0
	var unreadable []string
	for _, ref := range images {
		img, err := remote.Image(itRef(t, ref))
		if err != nil {
			unreadable = append(unreadable, ref)
			continue
		}
		m, err := img.Manifest()
		require.NoError(t, err)
		repo := itRef(t, ref).Context()
		for _, d := range append([]v1.Descriptor{m.Config}, m.Layers...) {
			resp, herr := http.Head(fmt.Sprintf("http://%s/v2/%s/blobs/%s", repo.RegistryStr(), repo.RepositoryStr(), d.Digest))
			require.NoError(t, herr)
			resp.Body.Close()
			require.Equal(t, http.StatusOK, resp.StatusCode, "%s: blob %s of its manifest is missing", ref, d.Digest)
		}
		cf, err := img.ConfigFile()
		require.NoError(t, err)
		require.Len(t, cf.RootFS.DiffIDs, len(m.Layers), ref)
		md, err := cnb.ParseLifecycleMetadata(cf.Config.Labels[cnb.LabelLifecycleMetadata])
		require.NoError(t, err)
		found := false
		for _, d := range cf.RootFS.DiffIDs {
			found = found || d.String() == md.RunImage.TopLayer
		}
		require.True(t, found, "%s: metadata top layer is not a layer", ref)
		d, _ := img.Digest()
		switch {
		case md.RunImage.TopLayer == top:
			onTop++
		case old != nil:
			require.Equal(t, old[ref], d.String(), "%s is neither as before nor rebased", ref)
		}
	}
	return onTop, unreadable
}

// assertOnlyInFlightBroken checks that the tags the registry broke are ones
// whose manifest write was under way when it died.
func assertOnlyInFlightBroken(t *testing.T, rep *fleet.RebaseReport, unreadable []string) {
	t.Helper()
	byImage := map[string]fleet.RebaseResult{}
	for _, r := range rep.Results {
		byImage[r.Image] = r
	}
	for _, ref := range unreadable {
		r := byImage[ref]
		assert.Equal(t, fleet.RebaseFailed, r.Status, ref)
		assert.Contains(t, r.Error, "writing the manifest", "%s: only a tag being written can break", ref)
	}
}

// The registry is killed in the middle of a fleet rebase, then restarted:
// every tag still points at a whole image (as before, or rebased), the
// failures are reported per image, and a rerun finishes the rest and skips
// what was done. Then the same with the registry frozen (SIGSTOP).
func TestRebaseIntegrationRegistryKilledAndFrozen(t *testing.T) {
	sample := rebaseSample(t)
	priv := startPrivateRegistry(t)
	const n = 160
	run := priv.addr + "/goldenpath/run:bookworm"
	images, old := registryFleet(t, sample, priv.addr, run, n)
	ctx := context.Background()

	// 1. kill -9 while manifests are being written, three times (at a
	// quarter, half and three quarters of the fleet), each time restart,
	// check every tag and rerun with the interrupted run's report.
	totalBroken := 0
	for round, at := range []int{n / 4, n / 2, 3 * n / 4} {
		for _, ref := range images {
			if d, err := remote.Head(itRef(t, ref)); err == nil {
				old[ref] = d.Digest.String()
			}
		}
		top := patchRegistrySide(t, run)
		killer := &killOnNthManifestPut{n: int64(at), kill: priv.kill}
		rb, err := fleet.NewRegistryRebaser(registry.WithConcurrency(8), registry.WithRequestTimeout(2*time.Second),
			registry.WithRetries(1), registry.WithTransport(killer))
		require.NoError(t, err)
		rep, err := rb.Rebase(ctx, &fleet.RebaseSpec{Images: images})
		require.NoError(t, err)
		require.Eventually(t, killer.killed.Load, 5*time.Second, 10*time.Millisecond, "round %d: the registry was not killed", round)
		failed := rep.Count(fleet.RebaseFailed)
		t.Logf("round %d, killed at manifest write %d: %d rebased, %d failed; first error: %s", round, at, rep.Count(fleet.RebaseRebased), failed, firstError(rep))
		assert.GreaterOrEqual(t, rep.Count(fleet.RebaseRebased), at-8)
		assert.Greater(t, failed, 0, "the images after the kill fail")
		require.Error(t, rep.Err())

		priv.start()
		onTop, unreadable := assertFleetWhole(t, images, old, top)
		t.Logf("round %d, after the restart: %d tags on the new run image, %d unreadable (the registry died writing them)", round, onTop, len(unreadable))
		assert.GreaterOrEqual(t, onTop, rep.Count(fleet.RebaseRebased))
		assertOnlyInFlightBroken(t, rep, unreadable)
		totalBroken += len(unreadable)

		// The rerun with the interrupted run's report. distribution 2.8 can fail, once, the upload of a blob that
		// the kill left half-received (as the frozen case below says): the image is reported failed, and the
		// next rerun, which a user would do with the report, finishes it. More than one extra rerun is a failure.
		rb2, err := fleet.NewRegistryRebaser(registry.WithConcurrency(8))
		require.NoError(t, err)
		repaired := 0
		var rep2 *fleet.RebaseReport
		for attempt := 1; attempt <= 2; attempt++ {
			rep2, err = rb2.Rebase(ctx, &fleet.RebaseSpec{Images: images, Resume: rep})
			require.NoError(t, err)
			for _, r := range rep2.Results {
				if r.Repaired != "" {
					repaired++
				}
			}
			if rep2.Err() == nil {
				break
			}
			t.Logf("round %d, rerun %d: %d failed: %s", round, attempt, rep2.Count(fleet.RebaseFailed), firstError(rep2))
		}
		require.NoError(t, rep2.Err(), "the reruns: %s", firstError(rep2))
		assert.Equal(t, len(unreadable), repaired, "the rerun repairs the broken tags from the report")
		assert.Equal(t, n, rep2.Count(fleet.RebaseUpToDate)+rep2.Count(fleet.RebaseRebased))
		assert.GreaterOrEqual(t, rep2.Count(fleet.RebaseUpToDate), onTop-len(unreadable), "the rerun skips what is done")
		onTop, unreadable = assertFleetWhole(t, images, nil, top)
		assert.Equal(t, n, onTop)
		assert.Empty(t, unreadable)
	}
	t.Logf("tags the registry broke when killed, all repaired by the reruns: %d", totalBroken)

	// 2. kill -STOP (a hung registry) once a quarter is done; requests time
	// out, the rebase returns, SIGCONT, rerun.
	for _, ref := range images {
		old[ref] = itDigest(t, ref)
	}
	top := patchRegistrySide(t, run)
	var done atomic.Int64
	frozen := false
	// No retries while frozen: a retried upload of a blob the frozen registry still
	// holds half-received makes distribution 2.8 corrupt that blob on thaw
	// ("unlinkat ... directory not empty" completing the stale upload).
	rb3, err := fleet.NewRegistryRebaser(registry.WithConcurrency(8), registry.WithRequestTimeout(time.Second), registry.WithRetries(0))
	require.NoError(t, err)
	start := time.Now()
	rep, err := rb3.Rebase(ctx, &fleet.RebaseSpec{Images: images, Progress: func(r fleet.RebaseResult) {
		if r.Status == fleet.RebaseRebased && done.Add(1) == n/4 {
			priv.signal(syscall.SIGSTOP)
			frozen = true
		}
	}})
	require.NoError(t, err)
	require.True(t, frozen)
	t.Logf("frozen: %d rebased, %d failed in %.1fs; first error: %s", rep.Count(fleet.RebaseRebased), rep.Count(fleet.RebaseFailed), time.Since(start).Seconds(), firstError(rep))
	assert.Greater(t, rep.Count(fleet.RebaseFailed), n/4)
	priv.signal(syscall.SIGCONT)
	onTop, unreadable := assertFleetWhole(t, images, old, top)
	assert.Empty(t, unreadable, "a frozen registry breaks nothing")
	rb2, err := fleet.NewRegistryRebaser(registry.WithConcurrency(8))
	require.NoError(t, err)
	rep2, err := rb2.Rebase(ctx, &fleet.RebaseSpec{Images: images})
	require.NoError(t, err)
	require.NoError(t, rep2.Err(), "the rerun: %s", firstError(rep2))
	assert.Equal(t, onTop, rep2.Count(fleet.RebaseUpToDate))
	onTop, _ = assertFleetWhole(t, images, nil, top)
	assert.Equal(t, n, onTop)
}

// killOnNthManifestPut is a transport that kills the registry just after
// sending the nth manifest PUT: while the registry writes a tag.
type killOnNthManifestPut struct {
	n      int64
	seen   atomic.Int64
	killed atomic.Bool
	kill   func()
}

func (k *killOnNthManifestPut) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Method == http.MethodPut && strings.Contains(r.URL.Path, "/manifests/") && k.seen.Add(1) == k.n {
		go func() {
			time.Sleep(time.Duration(k.n%3) * time.Millisecond)
			k.kill()
			k.killed.Store(true)
		}()
	}
	return http.DefaultTransport.RoundTrip(r)
}

func firstError(rep *fleet.RebaseReport) string {
	for _, r := range rep.Results {
		if r.Error != "" {
			return r.Error
		}
	}
	return ""
}
