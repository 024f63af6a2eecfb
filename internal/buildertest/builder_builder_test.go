//go:build builder

package buildertest

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/goldenpath-dev/goldenpath/contract"
	"github.com/goldenpath-dev/goldenpath/goldenpath"
	"github.com/goldenpath-dev/goldenpath/goldenpath/build"
	"github.com/goldenpath-dev/goldenpath/internal/testenv"
)

// writeApp writes an app (files by name) and its contract (build env as given) into a new folder.
func writeApp(t *testing.T, application string, env map[string]string, files map[string]string) (contractFile, dir string) {
	t.Helper()
	dir = filepath.Join(t.TempDir(), application)
	require.NoError(t, os.MkdirAll(dir, 0o755))
	for name, data := range files {
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), []byte(data), 0o644))
	}
	var envYAML strings.Builder
	if len(env) > 0 {
		envYAML.WriteString("    env:\n")
		for k, v := range env {
			fmt.Fprintf(&envYAML, "      %s: %q\n", k, v)
		}
	}
	c := fmt.Sprintf(`apiVersion: goldenpath.io/v1
kind: AppDeploymentRequest
id: APP-9001
environment: dev
owner: platform-team
application: %s
spec:
  source:
    git: {url: "https://git.example/apps", branch: main}
  build:
    type: buildpack
%s  runtime:
    port: 8080
`, application, envYAML.String())
	contractFile = filepath.Join(dir, "goldenpath.yaml")
	require.NoError(t, os.WriteFile(contractFile, []byte(c), 0o644))
	return contractFile, dir
}

// buildErr runs a build that must fail and returns its error text (with the build's log).
func (e *env) buildErr(t *testing.T, contractFile, dir string) string {
	t.Helper()
	var log strings.Builder
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Minute)
	defer cancel()
	_, err := build.Ship(ctx, build.Request{Paths: []string{contractFile}, Source: dir}, goldenpath.WithPlatform(e.platform), goldenpath.WithOutput(&log))
	require.Error(t, err, "the build should have failed:\n%s", log.String())
	return err.Error() + "\n" + log.String()
}

// What hack/smoke-builder.sh used to check (a Procfile app, metadata, a reproducible Go build, detection failure), and the failures the language buildpacks owe a clear message for.
func TestBuilder(t *testing.T) {
	e := newEnv(t)

	t.Run("procfile only", func(t *testing.T) {
		c, dir := writeApp(t, "bp-procfile", nil, map[string]string{
			"index.html": "hello from goldenpath procfile app\n", "healthz": "ok\n",
			"Procfile": `web: exec python3 -m http.server --bind 127.0.0.1 "$PORT"` + "\n"})
		res, _, _ := e.build(t, c, dir, false)
		t.Cleanup(func() { _ = exec.Command(testenv.Docker, "rmi", "-f", res.Tag).Run() })
		assert.Equal(t, "hello from goldenpath procfile app", strings.TrimSpace(testenv.Get(t, testenv.RunImage(t, res.Tag)+"/", 2*time.Minute)))
		assert.Equal(t, "1000:1000", strings.TrimSpace(dockerRun(t, time.Minute, "image", "inspect", "-f", "{{.Config.User}}", res.Tag)))
		for _, label := range []string{"io.buildpacks.lifecycle.metadata", "io.buildpacks.build.metadata", "io.buildpacks.stack.id"} {
			assert.NotEmpty(t, strings.TrimSpace(dockerRun(t, time.Minute, "image", "inspect", "-f", `{{index .Config.Labels "`+label+`"}}`, res.Tag)), label)
		}
	})

	t.Run("reproducible Go build", func(t *testing.T) {
		c, dir := e.app(t, "go")
		first, _, cold := e.build(t, c, dir, false)
		t.Cleanup(func() { _ = exec.Command(testenv.Docker, "rmi", "-f", first.Tag).Run() })
		second, log, warm := e.build(t, c, dir, false)
		assert.Contains(t, log, `Restoring data for "goldenpath/go:go-cache"`)
		assert.Equal(t, first.Digest, second.Digest, "the same source gives the same image ID (cold %.1fs, warm %.1fs)", cold, warm)
		fmt.Printf("builder figures: Go app (no dependencies, Debian's Go) cold %.1fs, warm %.1fs, same image ID %s\n", cold, warm, first.Digest)
	})

	t.Run("nothing to detect", func(t *testing.T) {
		c, dir := writeApp(t, "bp-nothing", nil, map[string]string{"README": "nothing to build here\n"})
		msg := e.buildErr(t, c, dir)
		assert.Contains(t, msg, "No buildpack recognised the app")
		assert.Contains(t, msg, "java looks for pom.xml")
	})

	t.Run(".NET says why", func(t *testing.T) {
		c, dir := writeApp(t, "bp-dotnet", nil, map[string]string{"app.csproj": `<Project Sdk="Microsoft.NET.Sdk.Web"></Project>` + "\n"})
		msg := e.buildErr(t, c, dir)
		assert.Contains(t, msg, "this builder cannot build .NET")
		assert.Contains(t, msg, "Adding a .NET buildpack")
	})

	t.Run("Java version the stack cannot serve", func(t *testing.T) {
		c, dir := e.app(t, "java-maven")
		data, err := os.ReadFile(c)
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(c, []byte(strings.Replace(string(data), "    builder: default\n", "    builder: default\n    env:\n      BP_JAVA_VERSION: \"21\"\n", 1)), 0o644))
		msg := e.buildErr(t, c, dir)
		assert.Contains(t, msg, "BP_JAVA_VERSION=21 cannot be served: this stack (Debian 12) has Java 17")
	})

	t.Run("missing dependency names the phase and shows the tool's error", func(t *testing.T) {
		c, dir := e.app(t, "python-pip")
		require.NoError(t, os.WriteFile(filepath.Join(dir, "requirements.txt"), []byte("goldenpath-no-such-package==9.9\n"), 0o644))
		msg := e.buildErr(t, c, dir)
		assert.Contains(t, msg, "goldenpath/python: dependency install failed")
		assert.Contains(t, msg, "No matching distribution found for goldenpath-no-such-package==9.9", "pip's own error")
	})

	t.Run("compile error names the phase", func(t *testing.T) {
		c, dir := e.app(t, "go")
		require.NoError(t, os.WriteFile(filepath.Join(dir, "broken.go"), []byte("package main\n\nfunc broken() { undefinedThing() }\n"), 0o644))
		msg := e.buildErr(t, c, dir)
		assert.Contains(t, msg, "goldenpath/go: compile failed")
		assert.Contains(t, msg, "undefined: undefinedThing", "the compiler's own error")
	})
}

// The platform's CA reaches the app image only when it says launch: true, and so does the build proxy: an app
// that calls an HTTPS endpoint signed by the private CA works then, and fails without.
func TestLaunchTrust(t *testing.T) {
	e := newEnv(t)
	app := map[string]string{
		"Procfile": "web: exec python3 app.py\n",
		"app.py": `import os, ssl, urllib.request
from http.server import BaseHTTPRequestHandler, HTTPServer

class H(BaseHTTPRequestHandler):
    def do_GET(self):
        try:
            with urllib.request.urlopen(os.environ["MIRROR"] + "/pypi/simple/", timeout=10) as r:
                body = "reached the private-CA endpoint: %d" % r.status
        except Exception as e:
            body = "failed: %s" % e
        proxy = os.environ.get("HTTPS_PROXY", "none")
        b = (body + "; proxy " + proxy + "\n").encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(b)))
        self.end_headers()
        self.wfile.write(b)

HTTPServer(("127.0.0.1", int(os.environ["PORT"])), H).serve_forever()
`,
	}
	// The proxy is never used (NO_PROXY holds 127.0.0.1; the build fetches nothing): it is here to be seen.
	for _, launch := range []bool{false, true} {
		t.Run(fmt.Sprintf("launch=%v", launch), func(t *testing.T) {
			p := *e.platform
			n := p.Egress
			ca := *n.CACertificates
			ca.Launch = launch
			n.CACertificates = &ca
			n.Proxy = &contract.Proxy{HTTPSProxy: "http://127.0.0.1:9", NoProxy: "127.0.0.1,localhost", Launch: launch}
			p.Egress = n
			le := *e
			le.platform = &p
			c, dir := writeApp(t, fmt.Sprintf("bp-launch-trust-%v", launch), nil, app)
			res, log, _ := le.build(t, c, dir, false)
			t.Cleanup(func() { _ = exec.Command(testenv.Docker, "rmi", "-f", res.Tag).Run() })
			assert.Contains(t, log, "goldenpath/ca-certificates")
			port := testenv.FreePort(t)
			name := fmt.Sprintf("bp-launch-trust-%d", port)
			dockerRun(t, time.Minute, "run", "-d", "--rm", "--name", name, "--network", "host", "-e", fmt.Sprintf("PORT=%d", port), "-e", "MIRROR="+e.mirror.URL, res.Tag)
			t.Cleanup(func() { _ = exec.Command(testenv.Docker, "rm", "-f", name).Run() })
			body := testenv.Get(t, fmt.Sprintf("http://127.0.0.1:%d/", port), 2*time.Minute)
			if launch {
				assert.Contains(t, body, "reached the private-CA endpoint: 200")
				assert.Contains(t, body, "proxy http://127.0.0.1:9", "the proxy is in the app image when asked")
			} else {
				assert.Contains(t, body, "CERTIFICATE_VERIFY_FAILED", "without launch trust the app does not trust the private CA")
				assert.Contains(t, body, "proxy none", "the build proxy is not baked into the app image")
			}
		})
	}
}
