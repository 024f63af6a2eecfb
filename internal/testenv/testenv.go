// Package testenv gives integration tests the real components that
// hack/setup.sh starts (a Docker engine, a registry on the loopback address,
// the offline CNB builder), and helpers to run and reach the images they
// build. Tests built with the integration tag fail, never skip, when the
// environment is missing: run `bash hack/setup.sh` first.
package testenv

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

// Docker is the Docker client binary the setup scripts use.
const Docker = "/usr/bin/docker"

// Registry returns the address of the registry hack/setup.sh started
// (GOLDENPATH_REGISTRY, e.g. 127.0.0.1:5111), failing the test when unset
// or unreachable.
func Registry(t testing.TB) string {
	t.Helper()
	reg := os.Getenv("GOLDENPATH_REGISTRY")
	if reg == "" {
		t.Fatal("GOLDENPATH_REGISTRY is not set: run `bash hack/setup.sh` and source $GOLDENPATH_CACHE/env.sh (see README)")
	}
	resp, err := http.Get("http://" + reg + "/v2/")
	if err != nil {
		t.Fatalf("registry %s is not answering: %v (run `bash hack/setup.sh`)", reg, err)
	}
	resp.Body.Close()
	return reg
}

// RequireDocker fails the test when the Docker engine is not answering.
func RequireDocker(t testing.TB) {
	t.Helper()
	if out, err := exec.Command(Docker, "version", "--format", "{{.Server.Version}}").CombinedOutput(); err != nil {
		t.Fatalf("the Docker engine is not answering: %v\n%s(run `bash hack/setup.sh`)", err, out)
	}
}

// RepoRoot is the repository's root folder.
func RepoRoot(t testing.TB) string {
	t.Helper()
	_, file, _, _ := runtime.Caller(0)
	return filepath.Clean(filepath.Join(filepath.Dir(file), "..", ".."))
}

// FreePort returns a free TCP port on 127.0.0.1.
func FreePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// RunImage starts image with the Docker engine on the host network,
// listening on a free port given as $PORT, and returns its base URL. The
// container is removed when the test ends.
func RunImage(t testing.TB, image string) string {
	t.Helper()
	port := FreePort(t)
	name := fmt.Sprintf("goldenpath-test-%d-%d", os.Getpid(), port)
	out, err := exec.Command(Docker, "run", "-d", "--rm", "--name", name, "--network", "host", "-e", fmt.Sprintf("PORT=%d", port), image).CombinedOutput()
	if err != nil {
		t.Fatalf("docker run %s: %v\n%s", image, err, out)
	}
	t.Cleanup(func() {
		if t.Failed() {
			logs, _ := exec.Command(Docker, "logs", name).CombinedOutput()
			t.Logf("container logs of %s:\n%s", image, logs)
		}
		_ = exec.Command(Docker, "rm", "-f", name).Run()
	})
	return fmt.Sprintf("http://127.0.0.1:%d", port)
}

// Get polls url until it answers 200 (or the deadline passes) and returns
// the body.
func Get(t testing.TB, url string, within time.Duration) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), within)
	defer cancel()
	var last error
	for ctx.Err() == nil {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK && len(body) > 0 {
				return string(body)
			}
			last = fmt.Errorf("status %d: %s", resp.StatusCode, strings.TrimSpace(string(body)))
		} else {
			last = err
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Fatalf("%s did not answer within %s: %v", url, within, last)
	return ""
}

// Git runs git in dir with a fixed identity and no terminal prompt, failing
// the test on error, and returns its trimmed output.
func Git(t testing.TB, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=goldenpath-test", "GIT_AUTHOR_EMAIL=test@goldenpath.invalid",
		"GIT_COMMITTER_NAME=goldenpath-test", "GIT_COMMITTER_EMAIL=test@goldenpath.invalid", "GIT_TERMINAL_PROMPT=0")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %v: %v\n%s", args, err, out)
	}
	return strings.TrimSpace(string(out))
}

// Cache is the setup scripts' cache folder: $GOLDENPATH_CACHE, default
// /var/cache/goldenpath.
func Cache() string {
	if c := os.Getenv("GOLDENPATH_CACHE"); c != "" {
		return c
	}
	return "/var/cache/goldenpath"
}
