//go:build dagger

package e2e_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/goldenpath-dev/goldenpath/goldenpath"
	"github.com/goldenpath-dev/goldenpath/goldenpath/build"
	"github.com/goldenpath-dev/goldenpath/internal/cli"
	"github.com/goldenpath-dev/goldenpath/internal/testenv"
)

// The Dagger scenario (go test -tags dagger ./internal/e2e): every function of the Dagger module (dagger/) called
// through `dagger call` on the engine of hack/dagger/setup.sh, its output compared with the CLI's and the library's
// on the same input. TestDaggerLibraryFunctions is the quick part (validate, render, render-stream, schema).

// daggerCLI runs `dagger call` in dagger/ against the engine the setup started.
type daggerCLI struct {
	bin, root, registry, hostRegistry string
	env                               []string
}

func newDagger(t *testing.T) *daggerCLI {
	t.Helper()
	env := requireEnv(t, "bash hack/setup.sh && bash hack/setup.sh dagger",
		"GOLDENPATH_REGISTRY", "GOLDENPATH_DAGGER_BIN", "GOLDENPATH_DAGGER_PATH", "GOLDENPATH_DAGGER_ENGINE", "GOLDENPATH_DAGGER_REGISTRY")
	// (the CLI by its path; PATH also gets the setup's folder, whose docker is the 20.10 client the CLI runs)
	return &daggerCLI{
		bin: env["GOLDENPATH_DAGGER_BIN"], root: testenv.RepoRoot(t), registry: env["GOLDENPATH_DAGGER_REGISTRY"], hostRegistry: env["GOLDENPATH_REGISTRY"],
		env: append(os.Environ(), "PATH="+env["GOLDENPATH_DAGGER_PATH"]+":"+os.Getenv("PATH"),
			"_EXPERIMENTAL_DAGGER_RUNNER_HOST=docker-container://"+env["GOLDENPATH_DAGGER_ENGINE"],
			"DAGGER_NO_NAG=1", "DO_NOT_TRACK=1"),
	}
}

// call runs `dagger call --silent ARGS` and returns its standard output; a failure fails the test.
func (d *daggerCLI) call(t *testing.T, args ...string) string {
	t.Helper()
	start := time.Now()
	out, err := runErr(filepath.Join(d.root, "dagger"), d.env, d.bin, append([]string{"call", "--silent"}, args...)...)
	require.NoError(t, err)
	t.Logf("dagger call %s: %.1fs", args[0], time.Since(start).Seconds())
	return out
}

// callErr runs `dagger call ARGS` with plain progress and returns standard output and standard error (which holds
// the logs of what the engine ran).
func (d *daggerCLI) callErr(args ...string) (string, string, error) {
	cmd := exec.Command(d.bin, append([]string{"call", "--progress=plain"}, args...)...)
	cmd.Dir, cmd.Env = filepath.Join(d.root, "dagger"), d.env
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	return stdout.String(), stderr.String(), err
}

// goldenpathCLI runs the CLI in process in dir and returns its standard output; a failure fails the test.
func goldenpathCLI(t *testing.T, dir string, args ...string) string {
	t.Helper()
	old, err := os.Getwd()
	require.NoError(t, err)
	require.NoError(t, os.Chdir(dir))
	defer func() { require.NoError(t, os.Chdir(old)) }()
	var out, errOut bytes.Buffer
	code := cli.Run(context.Background(), cli.Streams{In: strings.NewReader(""), Out: &out, Err: &errOut}, args)
	require.Zero(t, code, "goldenpath %s:\n%s", strings.Join(args, " "), errOut.String())
	return out.String()
}

// sameTree fails the test unless dirs a and b hold the same files with the same content.
func sameTree(t *testing.T, a, b string) int {
	t.Helper()
	read := func(dir string) map[string]string {
		files := map[string]string{}
		require.NoError(t, filepath.WalkDir(dir, func(path string, e os.DirEntry, err error) error {
			if err != nil || e.IsDir() {
				return err
			}
			data, err := os.ReadFile(path)
			rel, _ := filepath.Rel(dir, path)
			files[rel] = string(data)
			return err
		}))
		return files
	}
	fa, fb := read(a), read(b)
	require.NotEmpty(t, fa)
	assert.Equal(t, fa, fb, "the module's tree differs from the CLI's")
	return len(fa)
}

// copyTree copies the files of src (a folder of the repository) to the same relative path under dst.
func copyTree(t *testing.T, root, rel, dst string) {
	t.Helper()
	require.NoError(t, filepath.WalkDir(filepath.Join(root, rel), func(path string, e os.DirEntry, err error) error {
		if err != nil || e.IsDir() {
			return err
		}
		r, _ := filepath.Rel(root, path)
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		require.NoError(t, os.MkdirAll(filepath.Join(dst, filepath.Dir(r)), 0o755))
		return os.WriteFile(filepath.Join(dst, r), data, 0o644)
	}))
}

func writeFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		path := filepath.Join(dir, filepath.FromSlash(name))
		require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
		require.NoError(t, os.WriteFile(path, []byte(content), 0o644))
	}
}

func TestDaggerLibraryFunctions(t *testing.T) {
	d := newDagger(t)
	contracts := filepath.Join(d.root, "examples/contracts")
	platform := filepath.Join(d.root, "examples/platform/local.yaml")
	work := t.TempDir()

	assert.Equal(t, goldenpathCLI(t, contracts, "validate", "."), d.call(t, "validate", "--contracts="+contracts), "validate")
	assert.Equal(t, goldenpathCLI(t, contracts, "validate", "--platform", platform, "-o", "json", "."),
		d.call(t, "validate", "--contracts="+contracts, "--platform="+platform, "--format=json"), "validate --platform --format=json")

	bad := filepath.Join(work, "bad")
	data, err := os.ReadFile(filepath.Join(contracts, "dev/payments-api.yaml"))
	require.NoError(t, err)
	writeFiles(t, bad, map[string]string{"app.yaml": string(data) + "bogusKey: 1\n"})
	_, stderr, err := d.callErr("validate", "--contracts="+bad)
	require.Error(t, err, "validate of an invalid contract must fail")
	assert.Contains(t, stderr, "bogusKey")

	d.call(t, "render", "--contracts="+contracts, "export", "--path="+filepath.Join(work, "d-tree"))
	goldenpathCLI(t, contracts, "render", "--out", filepath.Join(work, "c-tree"), ".")
	t.Logf("render: %d files, the same", sameTree(t, filepath.Join(work, "c-tree"), filepath.Join(work, "d-tree")))

	assert.Equal(t, goldenpathCLI(t, contracts, "render", "."), d.call(t, "render-stream", "--contracts="+contracts), "render-stream")
	for _, kind := range []string{"AppDeploymentRequest", "Platform"} {
		path := filepath.Join(work, kind+".json")
		d.call(t, "schema", "--kind="+kind, "export", "--path="+path)
		got, err := os.ReadFile(path)
		require.NoError(t, err)
		assert.Equal(t, goldenpathCLI(t, d.root, "schema", "--kind", kind), string(got), "schema %s", kind)
	}
}

// imageParts is what two builds of the same app must share: the layers (diff IDs and blob digests, in order), the
// config without the lifecycle metadata label, and that label with runImage.reference's registry left out (it names
// the run image's registry as each build reached it: GATEWAY:PORT from inside the Dagger engine, 127.0.0.1:PORT for
// pack on the host; the only reason the digests differ).
type imageParts struct {
	DiffIDs, Layers []string
	Config          map[string]any
	Lifecycle       map[string]any
	RunImage        string
}

// readImage reads ref (REGISTRY/REPO@DIGEST, any registry name) from the host's registry.
func (d *daggerCLI) readImage(t *testing.T, ref string) imageParts {
	t.Helper()
	_, rest, _ := strings.Cut(ref, "/")
	r, err := name.ParseReference(d.hostRegistry + "/" + rest)
	require.NoError(t, err)
	img, err := remote.Image(r)
	require.NoError(t, err)
	var p imageParts
	m, err := img.Manifest()
	require.NoError(t, err)
	for _, l := range m.Layers {
		p.Layers = append(p.Layers, l.Digest.String())
	}
	cf, err := img.ConfigFile()
	require.NoError(t, err)
	for _, h := range cf.RootFS.DiffIDs {
		p.DiffIDs = append(p.DiffIDs, h.String())
	}
	raw, err := img.RawConfigFile()
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(raw, &p.Config))
	labels := p.Config["config"].(map[string]any)["Labels"].(map[string]any)
	require.NoError(t, json.Unmarshal([]byte(labels["io.buildpacks.lifecycle.metadata"].(string)), &p.Lifecycle))
	delete(labels, "io.buildpacks.lifecycle.metadata")
	if ri, ok := p.Lifecycle["runImage"].(map[string]any); ok {
		reference, _ := ri["reference"].(string)
		host, path, _ := strings.Cut(reference, "/")
		p.RunImage, ri["reference"] = host, "REGISTRY/"+path
	}
	return p
}

// sameBuild fails the test unless the two images are the same build (see imageParts).
func (d *daggerCLI) sameBuild(t *testing.T, library, module string) {
	t.Helper()
	a, b := d.readImage(t, library), d.readImage(t, module)
	require.NotEmpty(t, a.DiffIDs)
	assert.Equal(t, a.DiffIDs, b.DiffIDs, "the layers (diff IDs) differ from the library's pack build")
	assert.Equal(t, a.Layers, b.Layers, "the layer blobs differ from the library's pack build")
	assert.Equal(t, a.Config, b.Config, "the image config differs from the library's pack build")
	assert.Equal(t, a.Lifecycle, b.Lifecycle, "io.buildpacks.lifecycle.metadata differs beyond runImage.reference's registry")
	t.Logf("buildpack-build = the library's pack build: the same %d layers and config; the digests differ only by the run image's registry in io.buildpacks.lifecycle.metadata (%s vs %s)",
		len(a.DiffIDs), a.RunImage, b.RunImage)
}

// libraryBuild builds a contract with the library (pack, as `goldenpath build`) and publishes it under publish.
func libraryBuild(t *testing.T, contractFile, source, publish string) string {
	t.Helper()
	p, err := goldenpath.LoadPlatformFile(filepath.Join(testenv.RepoRoot(t), "examples/platform/local.yaml"))
	require.NoError(t, err)
	var out bytes.Buffer
	start := time.Now()
	built, err := build.Ship(context.Background(), build.Request{
		Paths: []string{contractFile}, Source: source, Publish: publish,
	}, goldenpath.WithPlatform(p), goldenpath.WithOutput(&out))
	require.NoError(t, err, "build output:\n%s", tail(out.String(), 40))
	t.Logf("library pack build %s: %.1fs", built.Reference, time.Since(start).Seconds())
	return built.Reference
}

func stamp() string { return fmt.Sprintf("%d", time.Now().UnixNano()) }

// The registry functions, and buildpack-build layer for layer the library's pack build: of a source folder, and of
// a contract whose build env and subPath must both be honoured.
func TestDaggerRegistryFunctions(t *testing.T) {
	testenv.RequireDocker(t)
	d := newDagger(t)
	R, LR := d.registry, d.hostRegistry
	repo := prefix(t) + "dagger-smoke"
	tag := stamp() // a fresh tag each run: Dagger caches function calls, and a cached call would not rebuild
	work := t.TempDir()

	writeFiles(t, filepath.Join(work, "ctx"), map[string]string{
		"Dockerfile": "FROM " + R + "/goldenpath/run:bookworm\nARG MSG=hi\nRUN echo \"$MSG\" > /tmp/hello.txt\n"})
	ref := strings.TrimSpace(d.call(t, "docker-build", "--source="+filepath.Join(work, "ctx"), "--build-arg=MSG="+tag,
		"publish", "--address="+R+"/"+repo+"/hello:latest"))
	require.Contains(t, ref, "@sha256:")

	t.Setenv("COSIGN_PASSWORD", "smoke")
	goldenpathCLI(t, work, "keygen", "--out", "keys")
	key, pub := filepath.Join(work, "keys/cosign.key"), filepath.Join(work, "keys/cosign.pub")
	d.env = append(d.env, "SMOKE_KEY_PASSWORD=smoke")
	d.call(t, "sign", "--image="+R+"/"+repo+"/hello:latest", "--key=file://"+key, "--key-password=env://SMOKE_KEY_PASSWORD", "--insecure")
	d.call(t, "verify", "--image="+R+"/"+repo+"/hello:latest", "--public-key="+pub, "--insecure")
	goldenpathCLI(t, work, "verify", "--key", pub, LR+"/"+repo+"/hello:latest") // the CLI verifies the module's signature

	// buildpack-build of a source folder vs the library's build of the same app
	app := filepath.Join(d.root, "examples/apps/go")
	bp := strings.TrimSpace(d.call(t, "buildpack-build", "--source="+app, "--image="+R+"/"+repo+"/sample-go:"+tag,
		"--builder="+R+"/goldenpath/builder:bookworm", "--run-image="+R+"/goldenpath/run:bookworm", "--insecure-registry="+R))
	require.Contains(t, bp, "@sha256:")
	d.sameBuild(t, libraryBuild(t, filepath.Join(app, "goldenpath.yaml"), d.root, LR+"/"+repo+"-pack"), bp)

	sbom := d.call(t, "sbom", "--image="+bp, "--insecure")
	assert.Contains(t, sbom, `"files"`)
	d.call(t, "rebase", "--image="+bp, "--run-image="+R+"/goldenpath/run:bookworm", "--insecure-registry="+R, "--dry-run", "--force")

	t.Run("build env and subPath", func(t *testing.T) {
		// A repository whose app lives in apps/envapp, and a contract naming that folder and a build env that makes
		// the goldenpath/go buildpack build another package (BP_GO_TARGET): both builds must run ./cmd/alt.
		src := filepath.Join(work, "envrepo")
		main := "package main\n\nimport (\n\t\"fmt\"\n\t\"net/http\"\n\t\"os\"\n)\n\nfunc main() {\n" +
			"\thttp.HandleFunc(\"/\", func(w http.ResponseWriter, _ *http.Request) { fmt.Fprintln(w, %q) })\n" +
			"\t_ = http.ListenAndServe(\":\"+os.Getenv(\"PORT\"), nil)\n}\n"
		writeFiles(t, src, map[string]string{
			"apps/envapp/go.mod":          "module goldenpath.io/e2e/envapp\n\ngo 1.19\n",
			"apps/envapp/main.go":         fmt.Sprintf(main, "the default package"),
			"apps/envapp/cmd/alt/main.go": fmt.Sprintf(main, "the package BP_GO_TARGET names"),
			"contract/goldenpath.yaml":    envContract,
		})
		contracts := filepath.Join(src, "contract")
		platform := filepath.Join(d.root, "examples/platform/local.yaml")
		bp := strings.TrimSpace(d.call(t, "buildpack-build", "--source="+src, "--contracts="+contracts, "--platform="+platform,
			"--image="+R+"/"+repo+"/envapp:"+tag, "--builder="+R+"/goldenpath/builder:bookworm",
			"--run-image="+R+"/goldenpath/run:bookworm", "--insecure-registry="+R))
		lib := libraryBuild(t, filepath.Join(contracts, "goldenpath.yaml"), src, LR+"/"+repo+"-pack")
		d.sameBuild(t, lib, bp)
		for _, ref := range []string{lib, LR + "/" + strings.SplitN(bp, "/", 2)[1]} {
			body := testenv.Get(t, testenv.RunImage(t, ref), 2*time.Minute)
			assert.Equal(t, "the package BP_GO_TARGET names\n", body, "%s runs what the build env asked for", ref)
		}
	})

	t.Run("ship", func(t *testing.T) {
		// ship: validate -> build (as the contract asks, subPath applied to the repository) -> sign -> verify ->
		// SBOM -> the tree pinned to the digest, as the CLI renders it. A buildpack app and a Dockerfile app.
		src := filepath.Join(work, "shiprepo")
		for _, s := range []string{"go", "dockerfile"} {
			copyTree(t, d.root, "examples/apps/"+s, src)
			contracts := filepath.Join(src, "examples/apps", s)
			out := filepath.Join(work, "d-ship-"+s)
			d.call(t, "ship", "--contracts="+contracts, "--source="+src, "--image="+R+"/"+repo+"/ship-"+s+":latest",
				"--builder="+R+"/goldenpath/builder:bookworm", "--run-image="+R+"/goldenpath/run:bookworm", "--insecure-registry="+R,
				"--key=file://"+key, "--key-password=env://SMOKE_KEY_PASSWORD", "--public-key="+pub, "export", "--path="+out)
			ref := regexp.MustCompile(regexp.QuoteMeta(R+"/"+repo+"/ship-"+s) + `@sha256:[0-9a-f]{64}`).FindString(readTree(t, out))
			require.NotEmpty(t, ref, "ship: the tree names no image digest")
			goldenpathCLI(t, contracts, "render", "--image", ref, "--out", filepath.Join(work, "c-ship-"+s), ".")
			sameTree(t, filepath.Join(work, "c-ship-"+s), out)
			t.Logf("ship %s -> %s", s, ref)
		}
	})
}

const envContract = `apiVersion: goldenpath.io/v1
kind: AppDeploymentRequest
id: APP-0901
environment: dev
owner: platform-team
application: envapp
spec:
  source:
    git:
      url: https://github.com/goldenpath-dev/goldenpath
      branch: main
      subPath: apps/envapp
  build:
    type: buildpack
    env:
      BP_GO_TARGET: ./cmd/alt
  runtime:
    port: 8080
    resources:
      memory: 128Mi
      cpu: 100m
`

func readTree(t *testing.T, dir string) string {
	t.Helper()
	var b strings.Builder
	require.NoError(t, filepath.WalkDir(dir, func(path string, e os.DirEntry, err error) error {
		if err == nil && !e.IsDir() {
			data, err := os.ReadFile(path)
			b.Write(data)
			return err
		}
		return err
	}))
	return b.String()
}

// buildpack-build cold (an empty cache volume) and warm (the app's volume, after a build of the same source, and
// after a source change), GOLDENPATH_E2E_ROUNDS (3) times: the figures, and the lifecycle restoring the buildpacks'
// cache layers from the volume in every warm build (in no cold one).
func TestDaggerBuildpackBuildCache(t *testing.T) {
	d := newDagger(t)
	R := d.registry
	repo := R + "/" + prefix(t) + "dagger-cache/sample-go"
	src := t.TempDir()
	copyTree(t, d.root, "examples/apps/go", src)
	app := filepath.Join(src, "examples/apps/go")
	rounds := 3
	if n, err := fmt.Sscan(os.Getenv("GOLDENPATH_E2E_ROUNDS"), &rounds); n != 1 || err != nil || rounds < 1 {
		rounds = 3
	}
	build := func(volume string) (float64, string) {
		t.Helper()
		args := []string{"buildpack-build", "--source=" + app, "--image=" + repo + ":" + stamp(),
			"--builder=" + R + "/goldenpath/builder:bookworm", "--run-image=" + R + "/goldenpath/run:bookworm", "--insecure-registry=" + R,
			"--cache-volume=" + volume}
		start := time.Now()
		out, logs, err := d.callErr(args...)
		require.NoError(t, err, "%s", tail(logs, 40))
		require.Contains(t, out, "@sha256:")
		return time.Since(start).Seconds(), logs
	}
	restored := regexp.MustCompile(`Restoring data for "goldenpath/go:go-cache" from cache`)
	var cold, warm, changed []float64
	for i := 0; i < rounds; i++ {
		volume := "goldenpath-e2e-cache-" + stamp()
		s, logs := build(volume)
		assert.False(t, restored.MatchString(logs), "a cold build restores nothing")
		cold = append(cold, s)
		s, logs = build(volume)
		assert.True(t, restored.MatchString(logs), "a warm build restores the Go build cache from the volume:\n%s", tail(logs, 30))
		warm = append(warm, s)
		writeFiles(t, app, map[string]string{"nonce.txt": stamp()})
		s, logs = build(volume)
		assert.True(t, restored.MatchString(logs), "a warm build after a source change restores the cache too")
		changed = append(changed, s)
	}
	figures := func(xs []float64) string {
		sorted := append([]float64(nil), xs...)
		sort.Float64s(sorted)
		parts := make([]string, len(xs))
		for i, x := range xs {
			parts[i] = fmt.Sprintf("%.1f", x)
		}
		return fmt.Sprintf("%s s (median %.1f s)", strings.Join(parts, " "), sorted[len(sorted)/2])
	}
	t.Logf(`dagger call buildpack-build of examples/apps/go, %d rounds:
  cold (empty cache volume)            %s
  warm (same source, new tag)          %s
  warm after a source change           %s`, rounds, figures(cold), figures(warm), figures(changed))
}

// end-to-end deploys a buildpack-built and a docker-built image to the kind cluster through the engine, and must
// fail, saying why, on an image the cluster cannot pull.
func TestDaggerEndToEnd(t *testing.T) {
	d := newDagger(t)
	env := requireEnv(t, "bash hack/setup.sh kind dagger (the dagger setup links the engine to the cluster)",
		"GOLDENPATH_DAGGER_KUBECONFIG", "GOLDENPATH_KUBECTL", "GOLDENPATH_KUBECONFIG")
	R, LR := d.registry, d.hostRegistry
	repo := prefix(t) + "dagger-smoke"
	tag := stamp()
	kube := []string{"--kubeconfig=file://" + env["GOLDENPATH_DAGGER_KUBECONFIG"], "--kubectl=" + env["GOLDENPATH_KUBECTL"]}
	for _, s := range []struct{ app, body string }{
		{"go", "hello from goldenpath go app"}, {"dockerfile", "hello from goldenpath dockerfile app"},
	} {
		src := filepath.Join(d.root, "examples/apps", s.app)
		var ref string
		if s.app == "go" {
			ref = d.call(t, "buildpack-build", "--source="+src, "--image="+R+"/"+repo+"/sample-go:"+tag,
				"--builder="+R+"/goldenpath/builder:bookworm", "--run-image="+R+"/goldenpath/run:bookworm", "--insecure-registry="+R)
		} else {
			ref = d.call(t, "docker-build", "--source="+src, "--build-arg=BASE_IMAGE="+R+"/goldenpath/run:bookworm",
				"publish", "--address="+R+"/"+repo+"/web:"+tag)
		}
		ref = strings.TrimSpace(ref)
		require.Contains(t, ref, "@sha256:")
		// The cluster's nodes pull 127.0.0.1:PORT/... (hack/kind/setup.sh's hosts.toml): the same image, by the host's name.
		clusterRef := LR + "/" + strings.SplitN(ref, "/", 2)[1]
		// (--timeout: the rollout and the first answer each; the first pull on a cold, loaded node takes minutes)
		body := d.call(t, append([]string{"end-to-end", "--image=" + clusterRef, "--contracts=" + src, "--expect=" + s.body,
			"--timeout=600"}, kube...)...)
		assert.Contains(t, body, s.body)
		t.Logf("end-to-end: %s answered %q", clusterRef, strings.TrimSpace(body))
	}
	_, logs, err := d.callErr(append([]string{"end-to-end", "--image=" + LR + "/" + repo + "/absent@sha256:" + strings.Repeat("0", 64),
		"--contracts=" + filepath.Join(d.root, "examples/apps/go"), "--timeout=15"}, kube...)...)
	require.Error(t, err, "end-to-end must fail with an image that does not exist")
	assert.Contains(t, logs, "did not roll out within 15s")
}
