//go:build integration

package corpnet_test

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/crane"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/goldenpath-dev/goldenpath/internal/gitserver"
	"github.com/goldenpath-dev/goldenpath/internal/testenv"
	"github.com/goldenpath-dev/goldenpath/internal/testregistry"
	"github.com/goldenpath-dev/goldenpath/pipeline/cnb"
)

// cliEnv runs the goldenpath binary with an environment of its own: a home
// with no Docker or git credentials but what the case writes, the
// registry's CA trusted through SSL_CERT_FILE.
type cliEnv struct {
	bin  string
	vars []string
}

func (e cliEnv) with(vars ...string) cliEnv {
	return cliEnv{bin: e.bin, vars: append(append([]string{}, e.vars...), vars...)}
}

func (e cliEnv) run(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	cmd := exec.Command(e.bin, args...)
	cmd.Env = e.vars
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	var exit *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &exit):
		code = exit.ExitCode()
	default:
		t.Fatalf("goldenpath %v: %v", args, err)
	}
	t.Logf("goldenpath %s: exit %d\n%s%s", strings.Join(args, " "), code, out.String(), errOut.String())
	return code, out.String(), errOut.String()
}

// buildCLI compiles cmd/goldenpath.
func buildCLI(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "goldenpath")
	cmd := exec.Command("go", "build", "-o", bin, "./cmd/goldenpath")
	cmd.Dir = testenv.RepoRoot(t)
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "go build: %s", out)
	return bin
}

// baseEnv is the machine's environment without anything that carries
// credentials or trust, plus a fresh HOME and the CA.
func baseEnv(t *testing.T, caFile string) []string {
	t.Helper()
	var vars []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		switch k {
		case "HOME", "DOCKER_CONFIG", "SSL_CERT_FILE", "SSL_CERT_DIR", "GIT_ASKPASS", "SSH_ASKPASS", "XDG_CONFIG_HOME", "GIT_CONFIG_GLOBAL", "REGISTRY_AUTH_FILE":
			continue
		}
		vars = append(vars, kv)
	}
	home := t.TempDir()
	return append(vars, "HOME="+home, "GIT_CONFIG_NOSYSTEM=1", "SSL_CERT_FILE="+caFile, "DOCKER_CONFIG="+t.TempDir(), "COSIGN_PASSWORD=corpnet-pw")
}

// writeImage pushes img to the authenticated registry (as the platform team
// would, with its credentials).
func writeImage(t *testing.T, reg *testregistry.Registry, ref string, img v1.Image) string {
	t.Helper()
	r, err := name.ParseReference(ref)
	require.NoError(t, err)
	require.NoError(t, remote.Write(r, img, remote.WithAuthFromKeychain(reg.Keychain()), remote.WithTransport(reg.Transport())))
	d, err := img.Digest()
	require.NoError(t, err)
	return d.String()
}

func withConfig(t *testing.T, img v1.Image, f func(*v1.ConfigFile)) v1.Image {
	t.Helper()
	cf, err := img.ConfigFile()
	require.NoError(t, err)
	cf = cf.DeepCopy()
	if cf.Config.Labels == nil {
		cf.Config.Labels = map[string]string{}
	}
	cf.OS, cf.Architecture = "linux", "amd64"
	f(cf)
	img, err = mutate.ConfigFile(img, cf)
	require.NoError(t, err)
	return img
}

func appendLayer(t *testing.T, img v1.Image) v1.Image {
	t.Helper()
	l, err := random.Layer(256, types.DockerLayer)
	require.NoError(t, err)
	img, err = mutate.AppendLayers(img, l)
	require.NoError(t, err)
	return img
}

// privateGit serves a repository holding examples/apps/dockerfile at its
// path (the sample contract's subPath), branch main, that needs
// user/password to clone.
func privateGit(t *testing.T, root, user, password string) string {
	t.Helper()
	repos := t.TempDir()
	bare, err := gitserver.Init(repos, "sample", "main")
	require.NoError(t, err)
	work := t.TempDir()
	dst := filepath.Join(work, "examples", "apps", "dockerfile")
	require.NoError(t, os.MkdirAll(dst, 0o755))
	for _, f := range []string{"Dockerfile", "server.py", "goldenpath.yaml"} {
		data, err := os.ReadFile(filepath.Join(root, "examples", "apps", "dockerfile", f))
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(filepath.Join(dst, f), data, 0o644))
	}
	git := func(args ...string) {
		cmd := exec.Command("git", args...)
		cmd.Dir = work
		cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@example.com", "GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@example.com")
		out, err := cmd.CombinedOutput()
		require.NoError(t, err, "git %v: %s", args, out)
	}
	git("init", "--quiet", "--initial-branch=main")
	git("add", ".")
	git("commit", "--quiet", "-m", "sample")
	git("push", "--quiet", bare, "main")
	srv, err := gitserver.NewHandler(repos, gitserver.Options{Users: map[string]string{user: password}, AuthFetch: true})
	require.NoError(t, err)
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	return ts.URL + "/sample.git"
}

const platformTemplate = `apiVersion: goldenpath.io/v1
kind: Platform
name: corp
registry: %[1]s/enterprise-net/apps
build:
  network: host
builders:
  default:
    tag: %[1]s/enterprise-net/builder:test
    image: goldenpath/builder:bookworm
    stack: {id: %[2]s, buildImage: %[1]s/enterprise-net/stack/build:test, runImage: %[1]s/enterprise-net/stack/run:test}
    buildpacks: [%[1]s/enterprise-net/builder:test]
    order: [{language: go, buildpacks: [{id: goldenpath/go}]}]
environments:
  dev:
    namespace: apps-dev
    ingressDomain: dev.goldenpath.io
    gitops: {repoURL: https://git.corp.example/gitops}
`

// Issue 18: every registry command of the real CLI against an enterprise
// registry (htpasswd over TLS with a private CA): each works with the
// credentials `docker login` writes and fails with "authentication
// required for REGISTRY" without them; the source comes from a private git
// server with the user's git credentials.
func TestEveryCommandAgainstAnAuthenticatedRegistry(t *testing.T) {
	testenv.RequireDocker(t)
	if _, err := exec.LookPath("git"); err != nil {
		t.Fatal("git is not installed")
	}
	root := testenv.RepoRoot(t)
	reg := testregistry.StartDistribution(t, "corp-ci", "corp-registry-pw")
	bin := buildCLI(t)
	anon := cliEnv{bin: bin, vars: baseEnv(t, reg.CAFile(t))}
	authed := anon.with("DOCKER_CONFIG=" + reg.DockerConfig(t))
	denied := "authentication required for " + reg.Host

	// The platform team's stack and a buildpack-built app (CNB labels) in
	// the registry, for rebase, plan and update-stacks.
	const stackID = "io.goldenpath.stacks.corpnet"
	run, err := random.Image(256, 2)
	require.NoError(t, err)
	run = withConfig(t, run, func(c *v1.ConfigFile) { c.Config.Labels[cnb.LabelStackID] = stackID })
	runRef := reg.Host + "/enterprise-net/stack/run:test"
	runDigest := writeImage(t, reg, runRef, run)
	build, err := random.Image(256, 1)
	require.NoError(t, err)
	writeImage(t, reg, reg.Host+"/enterprise-net/stack/build:test", withConfig(t, build, func(c *v1.ConfigFile) { c.Config.Labels[cnb.LabelStackID] = stackID }))
	runCfg, err := run.ConfigFile()
	require.NoError(t, err)
	sbom, err := crane.Layer(map[string][]byte{"layers/sbom/launch/goldenpath_go/app/sbom.cdx.json": []byte(
		`{"bomFormat":"CycloneDX","specVersion":"1.4","components":[{"type":"library","name":"corp-lib","version":"1.0.0"}]}`)})
	require.NoError(t, err)
	sbomDiffID, err := sbom.DiffID()
	require.NoError(t, err)
	withSBOM, err := mutate.AppendLayers(run, sbom)
	require.NoError(t, err)
	app := withConfig(t, withSBOM, func(c *v1.ConfigFile) {
		c.Config.Env = []string{"CNB_PLATFORM_API=0.13"}
		c.Config.Labels[cnb.LabelLifecycleMetadata] = fmt.Sprintf(`{"app":[],"buildpacks":[],"sbom":{"sha":%q},"runImage":{"topLayer":%q,"reference":"%s/enterprise-net/stack/run@%s","image":%q}}`,
			sbomDiffID, runCfg.RootFS.DiffIDs[len(runCfg.RootFS.DiffIDs)-1], reg.Host, runDigest, runRef)
		c.Config.Labels[cnb.LabelBuildMetadata] = `{"buildpacks":[{"id":"goldenpath/go","version":"0.1.0"}],"launcher":{"version":"0.21.0"}}`
	})
	appRef := reg.Host + "/enterprise-net/apps/dev/fleet-app:latest"
	appDigest := writeImage(t, reg, appRef, app)
	writeImage(t, reg, runRef, appendLayer(t, run)) // the run image is patched: the app needs a rebase

	dir := t.TempDir()
	platform := filepath.Join(dir, "platform.yaml")
	require.NoError(t, os.WriteFile(platform, []byte(fmt.Sprintf(platformTemplate, reg.Host, stackID)), 0o644))
	contracts := filepath.Join(dir, "contracts")
	require.NoError(t, os.MkdirAll(contracts, 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(contracts, "fleet-app.yaml"), []byte(`apiVersion: goldenpath.io/v1
kind: AppDeploymentRequest
id: APP-0001
environment: dev
owner: team
application: fleet-app
spec:
  source:
    git: {url: https://git.corp.example/team/fleet-app}
  build: {type: buildpack}
  runtime: {replicas: 1}
`), 0o644))

	// The source: a private git repository.
	repo := privateGit(t, root, "dev", "corp-git-pw")
	hostport := strings.TrimPrefix(strings.TrimSuffix(repo, "/sample.git"), "http://")
	host, _, _ := strings.Cut(hostport, ":")
	netrc := filepath.Join(t.TempDir(), "home")
	require.NoError(t, os.MkdirAll(netrc, 0o700))
	require.NoError(t, os.WriteFile(filepath.Join(netrc, ".netrc"), []byte("machine "+host+" login dev password corp-git-pw\n"), 0o600))
	withGit := authed.with("HOME=" + netrc)

	keys := t.TempDir()
	code, _, _ := anon.run(t, "keygen", "--out", keys)
	require.Equal(t, 0, code)
	key, pub := filepath.Join(keys, "cosign.key"), filepath.Join(keys, "cosign.pub")
	contract := filepath.Join(root, "examples", "apps", "dockerfile", "goldenpath.yaml")
	publish := reg.Host + "/enterprise-net/apps"
	buildArgs := []string{"build", "-f", contract, "--source", repo, "--platform", platform, "--publish", publish}

	t.Run("build (Dockerfile) from private git", func(t *testing.T) {
		code, _, stderr := authed.run(t, buildArgs...)
		assert.NotEqual(t, 0, code)
		assert.Contains(t, stderr, "authentication required for git repository "+repo)

		code, _, stderr = anon.with("HOME="+netrc).run(t, buildArgs...)
		assert.NotEqual(t, 0, code)
		assert.Contains(t, stderr, denied)
	})
	code, stdout, stderr := withGit.run(t, append(buildArgs, "--sign-key", key, "--verify-key", pub)...)
	require.Equal(t, 0, code, stderr)
	ref := strings.TrimSpace(stdout)
	require.True(t, strings.HasPrefix(ref, publish+"/dev/sample-dockerfile@sha256:"), ref)
	assert.Contains(t, stderr, "goldenpath: attested SLSA provenance of "+ref)

	for _, tc := range []struct {
		name string
		args []string
		ok   string // in stdout with credentials
	}{
		{"sign", []string{"sign", ref, "--key", key}, "signed " + ref},
		{"verify", []string{"verify", ref, "--key", pub}, "verified " + ref},
		{"provenance", []string{"provenance", ref, "--key", pub}, "verified SLSA provenance of " + ref},
		{"sbom", []string{"sbom", appRef}, "1 component ("},
		{"plan", []string{"plan", contracts, "--platform", platform}, "fleet-app"},
		{"update-stacks (dry run, no cluster)", []string{"platform", "update-stacks", "--platform", platform, "--kubeconfig", "-", "--dry-run"}, "run image"},
		{"rebase", []string{"rebase", appRef, "--platform", platform}, "rebased"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, stdout, stderr := anon.run(t, tc.args...)
			assert.NotEqual(t, 0, code)
			assert.Contains(t, stdout+stderr, denied) // plan and rebase report per image, on stdout
			code, stdout, stderr = authed.run(t, tc.args...)
			assert.Equal(t, 0, code, stderr)
			assert.Contains(t, stdout, tc.ok)
		})
	}
	r, err := name.ParseReference(appRef)
	require.NoError(t, err)
	d, err := remote.Head(r, remote.WithAuthFromKeychain(reg.Keychain()), remote.WithTransport(reg.Transport()))
	require.NoError(t, err)
	assert.NotEqual(t, appDigest, d.Digest.String(), "rebase moved the tag")
}

// The buildpack path (pack with the offline builder, build.network: host)
// publishing to the enterprise registry: pack reads the run image and the
// lifecycle pushes the app image with the same credentials. On loopback
// (localhost:PORT) pack lets the lifecycle skip TLS verification; on
// another address of this machine (Docker's bridge) the lifecycle must
// trust the private CA: the platform's egress CA bundle gives it (mounted
// into the build container's /etc/ssl/certs), and without it the build
// fails on the certificate.
func TestBuildpackPathAgainstAnAuthenticatedRegistry(t *testing.T) {
	testenv.RequireDocker(t)
	if out, err := exec.Command(testenv.Docker, "image", "inspect", "goldenpath/builder:bookworm").CombinedOutput(); err != nil {
		t.Skipf("the builder goldenpath/builder:bookworm is not in the Docker engine (bash hack/setup.sh makes it): %s", out)
	}
	t.Run("loopback", func(t *testing.T) {
		reg := testregistry.StartDistribution(t, "corp-ci", "corp-registry-pw")
		anon, authed, args := buildpackScenario(t, reg, "")
		code, stdout, stderr := anon.run(t, args...)
		assert.NotEqual(t, 0, code)
		assert.Contains(t, stdout+stderr, "authentication required for "+reg.Host)
		code, stdout, stderr = authed.run(t, args...)
		require.Equal(t, 0, code, stderr)
		assert.True(t, strings.HasPrefix(strings.TrimSpace(stdout), reg.Host+"/enterprise-net/apps/dev/sample-go@sha256:"), stdout)
	})
	t.Run("private CA on the Docker bridge", func(t *testing.T) {
		reg := testregistry.StartDistribution(t, "corp-ci", "corp-registry-pw", testregistry.ListenOn(bridgeAddress(t)))
		_, authed, args := buildpackScenario(t, reg, "")
		code, stdout, stderr := authed.run(t, args...)
		assert.NotEqual(t, 0, code, "the lifecycle does not know the private CA: the build must fail")
		assert.Contains(t, stdout+stderr, "x509: certificate signed by unknown authority")
		assert.Contains(t, stdout+stderr, "name the CA that signed it in the platform's egress.caCertificates.bundles")
		_, authed, args = buildpackScenario(t, reg, reg.CAFile(t))
		code, stdout, stderr = authed.run(t, args...)
		require.Equal(t, 0, code, stderr)
		assert.True(t, strings.HasPrefix(strings.TrimSpace(stdout), reg.Host+"/enterprise-net/apps/dev/sample-go@sha256:"), stdout)
	})
}

// buildpackScenario puts the stack into reg and returns the CLI without and with reg's credentials and the build
// command publishing to reg, with a platform whose egress names caBundle ("": none).
func buildpackScenario(t *testing.T, reg *testregistry.Registry, caBundle string) (anon, authed cliEnv, args []string) {
	t.Helper()
	root := testenv.RepoRoot(t)
	local := testenv.Registry(t)
	for _, img := range []string{"run", "build"} {
		src, err := name.ParseReference(local + "/goldenpath/" + img + ":bookworm")
		require.NoError(t, err)
		i, err := remote.Image(src)
		require.NoError(t, err)
		writeImage(t, reg, reg.Host+"/enterprise-net/stack/"+img+":test", i)
	}
	anon = cliEnv{bin: buildCLI(t), vars: baseEnv(t, reg.CAFile(t))}
	authed = anon.with("DOCKER_CONFIG=" + reg.DockerConfig(t))
	text := fmt.Sprintf(platformTemplate, reg.Host, "io.goldenpath.stacks.bookworm")
	if caBundle != "" {
		text += "egress:\n  caCertificates:\n    bundles: [{file: " + strconv.Quote(caBundle) + "}]\n"
	}
	platform := filepath.Join(t.TempDir(), "platform.yaml")
	require.NoError(t, os.WriteFile(platform, []byte(text), 0o644))
	return anon, authed, []string{"build", "-f", filepath.Join(root, "examples", "apps", "go", "goldenpath.yaml"), "--source", root,
		"--platform", platform, "--publish", reg.Host + "/enterprise-net/apps"}
}

// bridgeAddress is the IPv4 address of Docker's default bridge on this machine (docker0): not loopback, and on a
// network the setup made, where the build containers (host network) reach a registry the test starts.
func bridgeAddress(t *testing.T) string {
	t.Helper()
	iface, err := net.InterfaceByName("docker0")
	if err != nil {
		t.Skipf("no Docker default bridge docker0 (bash hack/setup.sh docker makes one): %v", err)
	}
	addrs, err := iface.Addrs()
	require.NoError(t, err)
	for _, a := range addrs {
		if ipn, ok := a.(*net.IPNet); ok && ipn.IP.To4() != nil {
			return ipn.IP.String()
		}
	}
	t.Fatalf("docker0 has no IPv4 address: %v", addrs)
	return ""
}
