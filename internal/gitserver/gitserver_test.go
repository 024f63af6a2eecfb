package gitserver

import (
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func git(t *testing.T, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@example.com",
		"GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@example.com", "GIT_TERMINAL_PROMPT=0")
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "git %v: %s", args, out)
	return strings.TrimSpace(string(out))
}

// A commit pushed over HTTP is what a clone over HTTP gets back.
func TestPushThenClone(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Fatal("git is needed: apt-get install git")
	}
	root := t.TempDir()
	_, err := Init(root, "app", "main")
	require.NoError(t, err)
	h, err := Handler(root, "")
	require.NoError(t, err)
	srv := httptest.NewServer(h)
	defer srv.Close()

	work := t.TempDir()
	git(t, work, "init", "--quiet", "--initial-branch=main")
	require.NoError(t, os.WriteFile(filepath.Join(work, "hello.txt"), []byte("v1\n"), 0o644))
	git(t, work, "add", ".")
	git(t, work, "commit", "--quiet", "-m", "v1")
	sha := git(t, work, "rev-parse", "HEAD")
	git(t, work, "push", "--quiet", srv.URL+"/app.git", "main")

	require.Equal(t, sha+"\trefs/heads/main", git(t, work, "ls-remote", srv.URL+"/app.git", "main"))
	clone := filepath.Join(t.TempDir(), "c")
	git(t, work, "clone", "--quiet", srv.URL+"/app.git", clone)
	b, err := os.ReadFile(filepath.Join(clone, "hello.txt"))
	require.NoError(t, err)
	require.Equal(t, "v1\n", string(b))

	// kpack's build-init (go-git, protocol v0) fetches the exact commit and
	// refuses a server that does not advertise it may.
	resp, err := http.Get(srv.URL + "/app.git/info/refs?service=git-upload-pack")
	require.NoError(t, err)
	adv, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	require.NoError(t, err)
	require.Contains(t, string(adv), "allow-reachable-sha1-in-want")

	resp, err = http.Get(srv.URL + "/../etc/passwd")
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusNotFound, resp.StatusCode)
	_, err = Init(root, "../x", "main")
	require.Error(t, err)
}
