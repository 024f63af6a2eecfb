//go:build e2e || argocd || dagger || incluster

// Each of the e2e, argocd, dagger and incluster suites uses a subset of these helpers.
//
//lint:file-ignore U1000 shared by four build tags; each tag alone leaves some unused

package e2e_test

import (
	"context"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/goldenpath-dev/goldenpath/internal/e2e"
)

// logWriter sends the harness's progress to the test log.
type logWriter struct{ t testing.TB }

func (w logWriter) Write(p []byte) (int, error) {
	w.t.Helper()
	for _, line := range strings.Split(strings.TrimRight(string(p), "\n"), "\n") {
		w.t.Log(line) // one line each: no indented continuation lines, which .ci/run shows as figures
	}
	return len(p), nil
}

// connect fails (never skips) when the cluster is missing.
func connect(t *testing.T) *e2e.Cluster {
	t.Helper()
	c, err := e2e.Connect(context.Background())
	require.NoError(t, err, "the e2e cluster is missing: run `bash hack/setup.sh && bash hack/setup.sh kind`")
	c.Log = logWriter{t}
	return c
}

// prefix is e2e.Prefix, checked: it starts namespace and repository names.
func prefix(t *testing.T) string {
	t.Helper()
	p := e2e.Prefix()
	require.Regexp(t, regexp.MustCompile(`^([a-z0-9][a-z0-9-]{0,19})?$`), p,
		"GOLDENPATH_E2E_PREFIX must be lowercase letters, digits and dashes (at most 20), as it starts namespace names")
	return p
}

// require fails the test when the setup scripts wrote none of keys.
func requireEnv(t *testing.T, setup string, keys ...string) map[string]string {
	t.Helper()
	env, err := e2e.Require(setup, keys...)
	require.NoError(t, err)
	return env
}

// run runs a command and returns its standard output; on failure it fails
// the test with the command's standard error.
func run(t *testing.T, dir string, env []string, name string, args ...string) string {
	t.Helper()
	out, err := runErr(dir, env, name, args...)
	require.NoError(t, err)
	return out
}

func runErr(dir string, env []string, name string, args ...string) (string, error) {
	cmd := exec.Command(name, args...)
	cmd.Dir, cmd.Env = dir, env
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return string(out), &cmdError{cmd: name + " " + strings.Join(args, " "), err: err, stderr: tail(stderr.String(), 40)}
	}
	return string(out), nil
}

type cmdError struct {
	cmd, stderr string
	err         error
}

func (e *cmdError) Error() string { return e.cmd + ": " + e.err.Error() + "\n" + e.stderr }

// eventually polls cond every half second until it holds or timeout passes;
// on timeout it fails the test with what describe returns.
func eventually(t *testing.T, timeout time.Duration, what string, cond func() bool, describe func() string) time.Duration {
	t.Helper()
	start := time.Now()
	for !cond() {
		if time.Since(start) > timeout {
			d := ""
			if describe != nil {
				d = describe()
			}
			t.Fatalf("timed out after %s waiting for %s\n%s", timeout, what, d)
		}
		time.Sleep(500 * time.Millisecond)
	}
	return time.Since(start)
}

func short(s string) string {
	if _, h, ok := strings.Cut(s, ":"); ok && len(h) > 12 {
		return h[:12]
	}
	return s
}

func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
