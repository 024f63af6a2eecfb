//go:build builder

package buildertest

import (
	"archive/tar"
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/goldenpath-dev/goldenpath/contract"
	"github.com/goldenpath-dev/goldenpath/goldenpath"
	"github.com/goldenpath-dev/goldenpath/goldenpath/build"
	"github.com/goldenpath-dev/goldenpath/goldenpath/fleet"
	"github.com/goldenpath-dev/goldenpath/goldenpath/supplychain"
	"github.com/goldenpath-dev/goldenpath/internal/testenv"
)

// language is one sample app of the language matrix (examples/apps).
type language struct {
	app   string
	body  string // GET / answers this
	reuse string // the warm build's log says the dependency layer was reused
	layer string // and the exporter reuses this layer
	purl  string // the SBOM lists this dependency
	// mirror is the folder of the test's own mirror the dependencies come from; empty: the machine's upstream
	// mirror (npm registry, Go module proxy) through the machine's CA bundle.
	mirror string
	touch  string // a source file changed for the "source-only change" build
}

var languages = []language{
	{"java-maven", "hello from goldenpath java-maven app", "dependencies unchanged: reusing the deps layer",
		"Reusing layer 'goldenpath/java:deps'", "pkg:maven/org.apache.commons/commons-lang3@3.12.0", "maven", "src/main/java/io/goldenpath/examples/App.java"},
	{"java-gradle", "hello from goldenpath java-gradle app", "dependencies unchanged: reusing the deps layer",
		"Reusing layer 'goldenpath/java:deps'", "pkg:maven/org.apache.commons/commons-lang3@3.12.0", "maven", "src/main/java/io/goldenpath/examples/App.java"},
	{"ruby", "hello from goldenpath ruby app", "Gemfile.lock unchanged: reusing the gems layer",
		"Reusing layer 'goldenpath/ruby:gems'", "pkg:gem/rack@2.2.22", "gems", "app.rb"},
	{"go-modules", "hello from goldenpath go-modules app", "go mod download: 0 files fetched",
		"Reusing cache layer 'goldenpath/go:go-toolchain'", "pkg:golang/github.com/google/uuid@v1.6.0", "", "main.go"},
	{"nodejs-npm", "hello from goldenpath nodejs-npm app", "package-lock.json unchanged, reusing the node-modules layer",
		"Reusing layer 'goldenpath/nodejs:node-modules'", "pkg:npm/ms@2.1.3", "", "server.js"},
	{"python-pip", "hello from goldenpath python-pip app", "dependencies unchanged: reusing the venv layer",
		"Reusing layer 'goldenpath/python:venv'", "pkg:pypi/goldenpath-greeting@1.0.0", "pypi", "app.py"},
}

// languageOrder is the detection groups of the sample languages (each with the CA buildpack first), as a
// platform's builder order lists them: the builder scenarios' platforms put it under "order:".
const languageOrder = `      - {language: java, buildpacks: [{id: goldenpath/ca-certificates, optional: true}, {id: goldenpath/java}]}
      - {language: go, buildpacks: [{id: goldenpath/ca-certificates, optional: true}, {id: goldenpath/go}]}
      - {language: ruby, buildpacks: [{id: goldenpath/ca-certificates, optional: true}, {id: goldenpath/ruby}]}
      - {language: python, buildpacks: [{id: goldenpath/ca-certificates, optional: true}, {id: goldenpath/python}]}
      - {language: nodejs, buildpacks: [{id: goldenpath/ca-certificates, optional: true}, {id: goldenpath/nodejs}]}
`

// env is what the scenario runs against: the registry and builder hack/setup.sh made, the test's own mirror.
type env struct {
	registry string
	prefix   string // the test's repositories: <registry>/buildpacks-test-<run>
	builder  string
	mirror   *Mirror
	platform *contract.Platform
}

func getenv(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}

// newEnv builds the mirror image (Docker's cache makes that quick after the first time), serves its files over
// HTTPS with a private CA, and writes a platform whose egress names the mirrors and the CA bundles.
func newEnv(t *testing.T) *env {
	testenv.RequireDocker(t)
	reg := testenv.Registry(t)
	e := &env{registry: reg, prefix: fmt.Sprintf("%s/buildpacks-test-%d", reg, time.Now().Unix()),
		builder: getenv("GOLDENPATH_BUILDER", "goldenpath/builder:bookworm")}
	// pack keeps each image's cache in volumes named after its repository: the test's own go with it.
	t.Cleanup(func() {
		out, _ := exec.Command(testenv.Docker, "volume", "ls", "-q", "--filter", "name="+e.prefix[strings.LastIndex(e.prefix, "/")+1:]+"_").Output()
		if vols := strings.Fields(string(out)); len(vols) > 0 {
			_ = exec.Command(testenv.Docker, append([]string{"volume", "rm", "-f"}, vols...)...).Run()
		}
	})
	srv := mirrorFiles(t)
	e.mirror = StartMirror(t, srv, "127.0.0.1:0", nil)

	// The machine's own CAs (as update-ca-certificates takes them from /usr/local/share/ca-certificates): on this
	// kind of machine the npm registry is reached through a TLS proxy whose CA only the machine trusts, which is
	// the enterprise private-CA case for the upstream mirrors.
	bundles := []string{e.mirror.CAFile}
	local, _ := filepath.Glob("/usr/local/share/ca-certificates/*.crt")
	if len(local) > 0 {
		var all []byte
		for _, f := range local {
			data, err := os.ReadFile(f)
			require.NoError(t, err)
			all = append(append(all, data...), '\n')
		}
		machine := filepath.Join(t.TempDir(), "machine-ca.pem")
		require.NoError(t, os.WriteFile(machine, all, 0o644))
		bundles = append(bundles, machine)
	}
	var ca strings.Builder
	for _, b := range bundles {
		fmt.Fprintf(&ca, "      - {file: %q}\n", b)
	}
	platform := fmt.Sprintf(`apiVersion: goldenpath.io/v1
kind: Platform
name: buildertest
registry: %[1]s
build:
  network: host # the builds reach the registry and the mirror on this machine's loopback address
builders:
  default:
    tag: %[2]s
    image: %[3]s
    stack:
      id: %[4]s
      buildImage: %[5]s
      runImage: %[6]s
    buildpacks: [%[2]s]
    order:
%[11]s      - {language: dotnet, buildpacks: [{id: goldenpath/dotnet}]}
      - {language: procfile, buildpacks: [{id: goldenpath/procfile}]}
egress:
  mirrors:
    goProxy: {url: %[7]q}
    npmRegistry: {url: %[8]q}
    mavenRepository: {url: "%[9]s/maven/"}
    gemSource: {url: "%[9]s/gems/"}
    pythonIndex: {url: "%[9]s/pypi/simple/"}
  caCertificates:
    bundles:
%[10]senvironments:
  dev:
    namespace: apps-dev
    ingressDomain: dev.goldenpath.io
    gitops: {repoURL: "https://git.example/gitops"}
`, e.prefix, getenv("GOLDENPATH_BUILDER_REMOTE", reg+"/goldenpath/builder:bookworm"), e.builder,
		getenv("GOLDENPATH_STACK_ID", "io.goldenpath.stacks.bookworm"),
		getenv("GOLDENPATH_BUILD_IMAGE_REMOTE", reg+"/goldenpath/build:bookworm"), e.runImage(),
		getenv("GOLDENPATH_TEST_GOPROXY", "https://proxy.golang.org"), getenv("GOLDENPATH_TEST_NPM_REGISTRY", "https://registry.npmjs.org/"),
		e.mirror.URL, ca.String(), languageOrder)
	p, err := contract.LoadPlatform("buildertest-platform.yaml", []byte(platform))
	require.NoError(t, err, platform)
	e.platform = p
	return e
}

// mirrorFiles builds the mirror image (Docker's cache makes that quick after the first time) and copies its /srv
// into a folder of the test.
func mirrorFiles(t *testing.T) string {
	t.Helper()
	mirrorImage := "goldenpath-buildertest/mirror:bookworm"
	dockerRun(t, 20*time.Minute, "build", "--network", "host", "--build-arg", "BASE_IMAGE="+getenv("GOLDENPATH_BASE_IMAGE", "goldenpath/debian:bookworm"),
		"-t", mirrorImage, filepath.Join(testenv.RepoRoot(t), "examples/builder/mirror"))
	srv := t.TempDir()
	cid := strings.TrimSpace(dockerRun(t, time.Minute, "create", mirrorImage))
	t.Cleanup(func() { _ = exec.Command(testenv.Docker, "rm", "-f", cid).Run() })
	cp := exec.Command(testenv.Docker, "cp", cid+":/srv/.", srv)
	if out, err := cp.CombinedOutput(); err != nil {
		t.Fatalf("docker cp: %v\n%s", err, out)
	}
	return srv
}

func (e *env) runImage() string {
	return getenv("GOLDENPATH_RUN_IMAGE_REMOTE", e.registry+"/goldenpath/run:bookworm")
}

func dockerRun(t *testing.T, within time.Duration, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), within)
	defer cancel()
	cmd := exec.CommandContext(ctx, testenv.Docker, args...)
	cmd.Env = append(os.Environ(), "DOCKER_BUILDKIT=1")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("docker %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// app copies a sample into a folder of its own with its contract (subPath dropped), so the test can change its
// source.
func (e *env) app(t *testing.T, name string) (contractFile, dir string) {
	t.Helper()
	root := testenv.RepoRoot(t)
	dir = filepath.Join(t.TempDir(), name)
	cp := exec.Command("cp", "-r", filepath.Join(root, "examples/apps", name), dir)
	if out, err := cp.CombinedOutput(); err != nil {
		t.Fatalf("cp: %v\n%s", err, out)
	}
	c := filepath.Join(dir, "goldenpath.yaml")
	data, err := os.ReadFile(c)
	require.NoError(t, err)
	data = bytes.Replace(data, []byte("      subPath: examples/apps/"+name+"\n"), nil, 1)
	require.NoError(t, os.WriteFile(c, data, 0o644))
	return c, dir
}

// build runs `goldenpath build` (the facade the CLI calls) and returns the result, the log and the seconds taken.
func (e *env) build(t *testing.T, contractFile, dir string, publish bool) (*build.Result, string, float64) {
	t.Helper()
	var log bytes.Buffer
	req := build.Request{Paths: []string{contractFile}, Source: dir}
	if publish {
		req.Publish = e.prefix
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Minute)
	defer cancel()
	start := time.Now()
	res, err := build.Ship(ctx, req, goldenpath.WithPlatform(e.platform), goldenpath.WithOutput(&log))
	secs := time.Since(start).Seconds()
	if err != nil {
		t.Fatalf("goldenpath build %s: %v\n%s", dir, err, log.String())
	}
	return res, log.String(), secs
}

// figures are the timings printed at the end, per language.
type figures struct{ cold, warm, source float64 }

// Each sample language builds on the local builder through the platform's mirrors (its own TLS mirror with a
// private CA for Maven, gems and Python; the machine's npm registry and Go proxy through the machine's CA), runs and
// answers HTTP; a second build with unchanged dependencies reuses the dependency layer, as does a build after a
// source-only change; the published image's SBOM lists the dependency; the image rebases onto a patched run
// image and still answers. Prints cold/warm/source-change seconds per language.
func TestLanguages(t *testing.T) {
	e := newEnv(t)
	patched := e.patchedRunImage(t)
	results := map[string]figures{}
	for _, l := range languages {
		if !l.selected() {
			continue
		}
		t.Run(l.app, func(t *testing.T) {
			c, dir := e.app(t, l.app)
			before := 0
			if l.mirror != "" {
				before = e.mirror.Hits(l.mirror)
			}
			res, log, cold := e.build(t, c, dir, false)
			t.Cleanup(func() { _ = exec.Command(testenv.Docker, "rmi", "-f", res.Tag).Run() })
			if l.mirror != "" {
				assert.Greater(t, e.mirror.Hits(l.mirror), before, "the dependencies came from the platform's %s mirror", l.mirror)
			}
			assert.Contains(t, log, "trusting", "the platform's CA bundles are trusted in the build")
			assert.Equal(t, l.body, strings.TrimSpace(testenv.Get(t, testenv.RunImage(t, res.Tag)+"/", 2*time.Minute)))

			_, log, warm := e.build(t, c, dir, false)
			assert.Contains(t, log, l.reuse, "warm build")
			assert.Contains(t, log, l.layer, "warm build")

			touchSource(t, filepath.Join(dir, l.touch))
			_, log, source := e.build(t, c, dir, false)
			assert.Contains(t, log, l.reuse, "build after a source-only change")
			assert.Contains(t, log, l.layer, "build after a source-only change")
			results[l.app] = figures{cold, warm, source}

			pub, _, _ := e.build(t, c, dir, true)
			require.NotEmpty(t, pub.Reference)
			sbom, err := supplychain.SBOM(context.Background(), pub.Reference)
			require.NoError(t, err)
			var all strings.Builder
			for _, f := range sbom.Files {
				all.Write(f.Data)
			}
			assert.Contains(t, all.String(), l.purl, "the SBOM lists the resolved dependency with its purl")

			rep, err := fleet.Rebase(context.Background(), fleet.RebaseRequest{
				Request: fleet.Request{Images: []string{pub.Tag}, RunImage: patched}, Force: true})
			require.NoError(t, err)
			require.Len(t, rep.Results, 1)
			r := rep.Results[0]
			require.Empty(t, r.Error, "rebase")
			require.NotEmpty(t, r.NewDigest, "rebased image")
			ref, err := name.ParseReference(pub.Tag, name.Insecure)
			require.NoError(t, err)
			image := ref.Context().Digest(r.NewDigest).String()
			dockerRun(t, 5*time.Minute, "pull", image)
			t.Cleanup(func() { _ = exec.Command(testenv.Docker, "rmi", "-f", image).Run() })
			url := testenv.RunImage(t, image)
			assert.Equal(t, l.body, strings.TrimSpace(testenv.Get(t, url+"/", 2*time.Minute)), "the rebased image still answers")
			assert.Contains(t, dockerRun(t, time.Minute, "run", "--rm", "--entrypoint", "cat", image, "/etc/goldenpath-patch"), "buildertest",
				"the rebased image runs on the patched run image")
		})
	}
	fmt.Println("builder figures (seconds, 1 run each): language, cold build, warm build (unchanged), warm build after a source-only change")
	for _, l := range languages {
		if f, ok := results[l.app]; ok {
			fmt.Printf("  %-12s cold %6.1f   warm %6.1f   source change %6.1f\n", l.app, f.cold, f.warm, f.source)
		}
	}
}

// selected says whether GOLDENPATH_BUILDER_LANGUAGES (e.g. "ruby,python-pip", to run a few; empty: all) names l.
func (l language) selected() bool {
	only := os.Getenv("GOLDENPATH_BUILDER_LANGUAGES")
	return only == "" || strings.Contains(","+only+",", ","+l.app+",")
}

// touchSource appends a comment to a source file: a source-only change (the dependencies stay as they are).
func touchSource(t *testing.T, file string) {
	t.Helper()
	src, err := os.ReadFile(file)
	require.NoError(t, err)
	comment := "\n// source-only change\n"
	if strings.HasSuffix(file, ".py") || strings.HasSuffix(file, ".rb") {
		comment = "\n# source-only change\n"
	}
	require.NoError(t, os.WriteFile(file, append(src, comment...), 0o644))
}

// patchedRunImage pushes the builder's run image plus one layer (/etc/goldenpath-patch) under the test's own
// repository: the "patched base image" apps are rebased onto. The shared run image tag is never touched.
func (e *env) patchedRunImage(t *testing.T) string {
	t.Helper()
	return pushPatchedImage(t, e.runImage(), e.prefix+"/run:patched")
}

// pushPatchedImage pushes image plus one layer (/etc/goldenpath-patch, "buildertest <time>") to target.
func pushPatchedImage(t *testing.T, image, target string) string {
	t.Helper()
	base, err := name.ParseReference(image, name.Insecure)
	require.NoError(t, err)
	img, err := remote.Image(base)
	require.NoError(t, err, "the run image %s must be in the registry (hack/setup.sh pushes it)", base)
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	data := []byte("buildertest " + time.Now().Format(time.RFC3339Nano) + "\n")
	require.NoError(t, tw.WriteHeader(&tar.Header{Name: "etc/goldenpath-patch", Mode: 0o644, Size: int64(len(data)), ModTime: time.Unix(0, 0)}))
	_, err = tw.Write(data)
	require.NoError(t, err)
	require.NoError(t, tw.Close())
	layer, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(buf.Bytes())), nil })
	require.NoError(t, err)
	patched, err := mutate.Append(img, mutate.Addendum{Layer: layer, History: v1.History{CreatedBy: "buildertest: patch", Comment: "a CVE fix"}})
	require.NoError(t, err)
	ref, err := name.ParseReference(target, name.Insecure)
	require.NoError(t, err)
	require.NoError(t, remote.Write(ref, patched))
	return ref.String()
}
