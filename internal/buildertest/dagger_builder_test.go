//go:build builder && dagger

package buildertest

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/goldenpath-dev/goldenpath/internal/e2e"
	"github.com/goldenpath-dev/goldenpath/internal/testenv"
)

// The Dagger part of the language matrix: every sample language built by the Dagger module's buildpack-build
// (`dagger call` through the CLI at GOLDENPATH_DAGGER_BIN, on the engine of hack/dagger/setup.sh) with the
// contract's build and a platform whose egress names the test's mirrors, the CA bundles passed as --ca-bundle
// files. The engine is a container on Docker's default bridge: the mirrors listen on that bridge's gateway (the
// host of GOLDENPATH_DAGGER_REGISTRY, where the setup's registry forwarder listens too) with certificates for that
// address from a private CA, the Maven repository, gem source and Python index served from the mirror image's
// files, the Go proxy and the npm registry forwarded to the machine's upstreams (so every language's
// dependencies go through a mirror the test counts). Each image is published under
// <registry>/dagger-langs-<time>/, run on the host and must answer GET / with the sample's body. A second build
// after a source-only change (same tag, same cache volume) must reuse the dependency layer.
//
//	go test -tags builder,dagger -count=1 -v -timeout 120m -run TestDaggerLanguages ./internal/buildertest/
//
// GOLDENPATH_BUILDER_LANGUAGES=go-modules,nodejs-npm runs a few; GOLDENPATH_DAGGER_WARM=0 skips the warm builds.

// daggerCLI runs `dagger call` in the module's folder (dagger/) against the setup's engine.
type daggerCLI struct {
	bin, dir string
	env      []string
	registry string // the registry as the engine reaches it (GATEWAY:PORT)
	host     string // the same registry as this machine reaches it (127.0.0.1:PORT)
}

func newDaggerCLI(t *testing.T) *daggerCLI {
	t.Helper()
	env, err := e2e.Require("bash hack/setup.sh && bash hack/setup.sh dagger", "GOLDENPATH_REGISTRY", "GOLDENPATH_DAGGER_BIN",
		"GOLDENPATH_DAGGER_PATH", "GOLDENPATH_DAGGER_ENGINE", "GOLDENPATH_DAGGER_REGISTRY")
	require.NoError(t, err)
	d := &daggerCLI{bin: env["GOLDENPATH_DAGGER_BIN"], dir: filepath.Join(testenv.RepoRoot(t), "dagger"),
		registry: env["GOLDENPATH_DAGGER_REGISTRY"], host: env["GOLDENPATH_REGISTRY"],
		env: append(os.Environ(), "PATH="+env["GOLDENPATH_DAGGER_PATH"]+":"+os.Getenv("PATH"),
			"_EXPERIMENTAL_DAGGER_RUNNER_HOST=docker-container://"+env["GOLDENPATH_DAGGER_ENGINE"], "DAGGER_NO_NAG=1", "DO_NOT_TRACK=1")}
	// The engine reaches the registry through the setup's forwarder on the gateway: without it every build fails
	// late (pulling the builder), so say so now.
	resp, err := (&http.Client{Timeout: 30 * time.Second}).Get("http://" + d.registry + "/v2/")
	require.NoError(t, err, "the registry forwarder for the Dagger engine (%s) does not answer: run `bash hack/setup.sh dagger`", d.registry)
	resp.Body.Close()
	return d
}

// call runs `dagger call --progress=plain ARGS` and returns its standard output (the function's result), standard
// error (the progress, with the logs of what the engine ran) and the seconds taken.
func (d *daggerCLI) call(within time.Duration, args ...string) (string, string, float64, error) {
	ctx, cancel := context.WithTimeout(context.Background(), within)
	defer cancel()
	cmd := exec.CommandContext(ctx, d.bin, append([]string{"call", "--progress=plain"}, args...)...)
	cmd.Dir, cmd.Env = d.dir, d.env
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	err := cmd.Run()
	return stdout.String(), stderr.String(), time.Since(start).Seconds(), err
}

// hostRef is ref (GATEWAY:PORT/repo@digest, as the engine published it) as this machine pulls it.
func (d *daggerCLI) hostRef(ref string) string {
	return d.host + strings.TrimPrefix(ref, d.registry)
}

func TestDaggerLanguages(t *testing.T) {
	testenv.RequireDocker(t)
	d := newDaggerCLI(t)
	R := d.registry
	gateway, _, err := net.SplitHostPort(R)
	require.NoError(t, err)

	// The mirrors, where the engine's containers reach this machine (the gateway), with certificates for it.
	m := StartMirror(t, mirrorFiles(t), gateway+":0", map[string]string{"goproxy": getenv("GOLDENPATH_TEST_GOPROXY", "https://proxy.golang.org")})
	// npm's own mirror, at the root (npm points registry.npmjs.org tarball URLs at the registry's host only).
	npm := StartMirror(t, t.TempDir(), gateway+":0", map[string]string{"": getenv("GOLDENPATH_TEST_NPM_REGISTRY", "https://registry.npmjs.org/")})
	hits := map[string]func() int{ // the requests of each language's mirror
		"maven": func() int { return m.Hits("maven") }, "gems": func() int { return m.Hits("gems") },
		"pypi": func() int { return m.Hits("pypi") }, "goproxy": func() int { return m.Hits("goproxy") }, "npm": npm.Requests,
	}
	mirrorOf := map[string]string{"java-maven": "maven", "java-gradle": "maven", "ruby": "gems", "go-modules": "goproxy",
		"nodejs-npm": "npm", "python-pip": "pypi"}

	// The platform: the local one plus an egress naming the mirrors and the CA bundles (files on this machine,
	// which the module cannot read: they are also given to it as --ca-bundle).
	local, err := os.ReadFile(filepath.Join(testenv.RepoRoot(t), "examples/platform/local.yaml"))
	require.NoError(t, err)
	platform := filepath.Join(t.TempDir(), "platform.yaml")
	require.NoError(t, os.WriteFile(platform, fmt.Appendf(local, `
egress:
  mirrors:
    goProxy: {url: "%[1]s/goproxy"}
    npmRegistry: {url: "%[2]s/"}
    mavenRepository: {url: "%[1]s/maven/"}
    gemSource: {url: "%[1]s/gems/"}
    pythonIndex: {url: "%[1]s/pypi/simple/"}
  caCertificates:
    bundles: [{file: %[3]q}, {file: %[4]q}]
`, m.URL, npm.URL, m.CAFile, npm.CAFile), 0o644))

	// The builder and run image as the engine pulls them (the development builder's when GOLDENPATH_*_REMOTE say so).
	engineRef := func(envName, def string) string {
		return strings.Replace(getenv(envName, d.host+"/"+def), d.host, R, 1)
	}
	builder := engineRef("GOLDENPATH_BUILDER_REMOTE", "goldenpath/builder:bookworm")
	runImage := engineRef("GOLDENPATH_RUN_IMAGE_REMOTE", "goldenpath/run:bookworm")
	run := fmt.Sprintf("dagger-langs-%d", time.Now().Unix())
	warmToo := os.Getenv("GOLDENPATH_DAGGER_WARM") != "0"

	// Loading the module (its first call compiles it in the engine) is not part of any language's figure.
	_, logs, secs, err := d.call(20*time.Minute, "--help")
	require.NoError(t, err, "%s", tailLines(logs, 40))
	t.Logf("dagger module loaded in %.1fs", secs)

	// checkout is a repository checkout holding the sample at its subPath (examples/apps/<app>), as its contract
	// says; build runs buildpack-build of it (with the CA bundles as --ca-bundle when ca) and returns the published
	// reference, the logs and the seconds taken.
	checkout := func(t *testing.T, l language) (src, app string) {
		t.Helper()
		src = t.TempDir()
		app = filepath.Join(src, "examples/apps", l.app)
		require.NoError(t, os.MkdirAll(filepath.Dir(app), 0o755))
		out, err := exec.Command("cp", "-r", filepath.Join(testenv.RepoRoot(t), "examples/apps", l.app), app).CombinedOutput()
		require.NoError(t, err, "%s", out)
		return src, app
	}
	build := func(src, app, repo string, ca bool, extra ...string) (string, string, float64, error) {
		args := []string{"buildpack-build", "--source=" + src, "--contracts=" + app,
			"--image=" + R + "/" + run + "/" + repo + ":latest", "--builder=" + builder, "--run-image=" + runImage,
			"--insecure-registry=" + R, "--cache-volume=" + run + "-" + repo}
		if ca {
			args = append(args, "--ca-bundle="+m.CAFile, "--ca-bundle="+npm.CAFile)
		}
		if !slices.ContainsFunc(extra, func(a string) bool { return strings.HasPrefix(a, "--platform=") }) {
			args = append(args, "--platform="+platform)
		}
		ref, logs, secs, err := d.call(45*time.Minute, append(args, extra...)...)
		return strings.TrimSpace(ref), logs, secs, err
	}

	type figure struct{ cold, warm float64 }
	results := map[string]figure{}
	for _, l := range languages {
		if !l.selected() {
			continue
		}
		t.Run(l.app, func(t *testing.T) {
			src, app := checkout(t, l)
			built := func() (string, string, float64) {
				t.Helper()
				ref, logs, secs, err := build(src, app, l.app, true)
				require.NoError(t, err, "dagger call buildpack-build %s:\n%s", l.app, tailLines(logs, 60))
				require.Regexp(t, `^`+R+`/.+@sha256:[0-9a-f]{64}$`, ref)
				return ref, logs, secs
			}

			mirror := hits[mirrorOf[l.app]]
			before := mirror()
			ref, logs, cold := built()
			assert.Greater(t, mirror(), before, "the dependencies came through the platform's %s mirror", mirrorOf[l.app])
			assert.Contains(t, logs, "trusting", "the CA bundles given as --ca-bundle are trusted in the build")
			local := d.hostRef(ref)
			t.Cleanup(func() { _ = exec.Command(testenv.Docker, "rmi", "-f", local).Run() })
			assert.Equal(t, l.body, strings.TrimSpace(testenv.Get(t, testenv.RunImage(t, local)+"/", 3*time.Minute)))
			t.Logf("%s: cold build %.1fs -> %s", l.app, cold, ref)
			f := figure{cold: cold}

			if warmToo {
				// Same tag (the lifecycle finds the previous image there) and cache volume, one source file changed
				// (a new argument: Dagger does not answer from its cache of function calls).
				touchSource(t, filepath.Join(app, l.touch))
				_, logs, f.warm = built()
				assert.Contains(t, logs, l.reuse, "the warm build reuses the dependency layer")
				assert.Contains(t, logs, l.layer, "the warm build reuses the dependency layer")
			}
			results[l.app] = f
		})
	}
	if (language{app: "nodejs-npm"}).selected() {
		// The control: the mirror's certificate really is checked. The platform names the CA files, but the module
		// runs in the engine and cannot read them: without --ca-bundle the build trusts no private CA and fails.
		t.Run("nodejs-npm without --ca-bundle", func(t *testing.T) {
			src, app := checkout(t, language{app: "nodejs-npm"})
			_, logs, _, err := build(src, app, "nodejs-npm-no-ca", false)
			require.Error(t, err, "a build that does not trust the mirror's CA must fail")
			line := regexp.MustCompile(`(?i).*(certificate|UNABLE_TO_GET_ISSUER|SELF_SIGNED).*`).FindString(logs)
			assert.NotEmpty(t, line, "npm fails on the mirror's certificate:\n%s", tailLines(logs, 40))
			t.Logf("without --ca-bundle: %s", strings.TrimSpace(regexp.MustCompile(`\x1b\[[0-9;]*m`).ReplaceAllString(line, "")))
		})
	}
	if (language{app: "java-maven"}).selected() {
		// A Maven repository that wants credentials, which the platform names as a Secret: the module gets the Secret's
		// keys as --secret-bindings (a JSON secret) and mounts them where kpack mounts the Secret; without them the
		// build is refused before it starts.
		t.Run("java-maven through a mirror that wants credentials", func(t *testing.T) {
			const user, password = "corp-ci", "corp-mirror-pw-dagger"
			m.RequireBasicAuth("maven", user, password)
			defer m.RequireBasicAuth("maven", "", "")
			data, err := os.ReadFile(platform)
			require.NoError(t, err)
			maven := `mavenRepository: {url: "` + m.URL + `/maven/"`
			require.Contains(t, string(data), maven)
			credPlatform := filepath.Join(t.TempDir(), "platform.yaml")
			require.NoError(t, os.WriteFile(credPlatform, []byte(strings.Replace(string(data), maven, maven+", credentialsSecret: corp-maven", 1)), 0o644))
			src, app := checkout(t, language{app: "java-maven"})

			_, logs, _, err := build(src, app, "java-maven-creds", true, "--platform="+credPlatform)
			require.Error(t, err)
			assert.Contains(t, logs, "names the Secret corp-maven", "refused before the build")
			before := m.Hits("maven")
			d.env = append(d.env, `GOLDENPATH_TEST_BINDINGS={"corp-maven": {"username": "`+user+`", "password": "`+password+`"}}`)
			ref, logs, secs, err := build(src, app, "java-maven-creds", true, "--platform="+credPlatform, "--secret-bindings=env://GOLDENPATH_TEST_BINDINGS")
			require.NoError(t, err, "%s", tailLines(logs, 60))
			assert.Greater(t, m.Hits("maven"), before, "Maven downloaded through the mirror with the credentials")
			assert.NotContains(t, logs, password, "the logs never show the password")
			local := d.hostRef(strings.TrimSpace(ref))
			t.Cleanup(func() { _ = exec.Command(testenv.Docker, "rmi", "-f", local).Run() })
			out, err := exec.Command(testenv.Docker, "pull", "-q", local).CombinedOutput()
			require.NoError(t, err, "%s", out)
			saved, err := exec.Command(testenv.Docker, "save", local).Output()
			require.NoError(t, err)
			assert.False(t, bytes.Contains(saved, []byte(password)), "the password is in no layer of the image")
			t.Logf("java-maven with mirror credentials: %.1fs, %d refused requests", secs, m.Refused())
		})
	}
	fmt.Println("dagger buildpack-build figures (seconds, 1 run each): language, cold build, warm build after a source-only change")
	for _, l := range languages {
		if f, ok := results[l.app]; ok {
			warm := "-"
			if f.warm > 0 {
				warm = fmt.Sprintf("%.1f", f.warm)
			}
			fmt.Printf("  %-12s cold %6.1f   warm %6s\n", l.app, f.cold, warm)
		}
	}
}

func tailLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
