package build

import (
	"bytes"
	"context"
	"errors"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/goldenpath-dev/goldenpath/internal/gitserver"
)

// privateRepo serves one repository (app.git, branch main, two commits:
// the first has only README, the second adds app.txt) that needs basic
// authentication (dev / s3cret-pw) to clone. It returns the repository URL
// and both commits.
func privateRepo(t *testing.T) (repoURL, first, second string) {
	t.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git is not installed")
	}
	root := t.TempDir()
	bare, err := gitserver.Init(root, "app", "main")
	require.NoError(t, err)
	work := t.TempDir()
	run := func(args ...string) string {
		cmd := exec.Command("git", args...)
		cmd.Dir = work
		cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@example.com", "GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@example.com",
			"GIT_CONFIG_NOSYSTEM=1", "HOME="+work)
		out, err := cmd.CombinedOutput()
		require.NoError(t, err, "git %v: %s", args, out)
		return strings.TrimSpace(string(out))
	}
	run("init", "--quiet", "--initial-branch=main")
	require.NoError(t, os.WriteFile(filepath.Join(work, "README"), []byte("first\n"), 0o644))
	run("add", ".")
	run("commit", "--quiet", "-m", "first")
	first = run("rev-parse", "HEAD")
	require.NoError(t, os.WriteFile(filepath.Join(work, "app.txt"), []byte("second\n"), 0o644))
	run("add", ".")
	run("commit", "--quiet", "-m", "second")
	second = run("rev-parse", "HEAD")
	run("push", "--quiet", bare, "main")

	srv, err := gitserver.NewHandler(root, gitserver.Options{Users: map[string]string{"dev": "s3cret-pw"}, AuthFetch: true})
	require.NoError(t, err)
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	return ts.URL + "/app.git", first, second
}

// gitHome gives git a home of its own (no system or user config of the
// machine): setup writes what the case needs into it.
func gitHome(t *testing.T, setup func(home string)) {
	home := t.TempDir()
	t.Setenv("HOME", home)
	t.Setenv("XDG_CONFIG_HOME", filepath.Join(home, ".config"))
	t.Setenv("GIT_CONFIG_NOSYSTEM", "1")
	t.Setenv("GIT_ASKPASS", "")
	t.Setenv("SSH_ASKPASS", "")
	if setup != nil {
		setup(home)
	}
}

func TestCloneSourceNeedsCredentials(t *testing.T) {
	repo, _, _ := privateRepo(t)
	for name, setup := range map[string]func(home string){
		"none": nil,
		"wrong password": func(home string) {
			host := strings.TrimPrefix(strings.TrimSuffix(repo, "/app.git"), "http://")
			require.NoError(t, os.WriteFile(filepath.Join(home, ".netrc"), []byte("machine "+strings.Split(host, ":")[0]+" login dev password nope\n"), 0o600))
		},
	} {
		t.Run(name, func(t *testing.T) {
			gitHome(t, setup)
			_, err := CloneSource(context.Background(), repo, "", &bytes.Buffer{})
			var auth *GitAuthError
			require.True(t, errors.As(err, &auth), "%v", err)
			assert.Contains(t, err.Error(), "authentication required for git repository "+repo+": give git credentials for "+strings.TrimPrefix(strings.TrimSuffix(repo, "/app.git"), "http://"))
			assert.Contains(t, err.Error(), "credential.helper")
		})
	}
}

// The places git users keep credentials: a credential helper, ~/.netrc,
// GIT_ASKPASS, and the URL itself (whose password never shows in output).
func TestCloneSourceWithTheUsersGitCredentials(t *testing.T) {
	repo, first, second := privateRepo(t)
	hostport := strings.TrimPrefix(strings.TrimSuffix(repo, "/app.git"), "http://")
	withUser := strings.Replace(repo, "http://", "http://dev:s3cret-pw@", 1)
	cases := []struct {
		name, url, revision, commit string
		setup                       func(home string)
	}{
		{"credential helper", repo, "", second, func(home string) {
			require.NoError(t, os.WriteFile(filepath.Join(home, ".gitconfig"), []byte("[credential]\n\thelper = store\n"), 0o600))
			require.NoError(t, os.WriteFile(filepath.Join(home, ".git-credentials"), []byte("http://dev:s3cret-pw@"+hostport+"\n"), 0o600))
		}},
		{"netrc", repo, "main", second, func(home string) {
			host, _, _ := strings.Cut(hostport, ":")
			require.NoError(t, os.WriteFile(filepath.Join(home, ".netrc"), []byte("machine "+host+" login dev password s3cret-pw\n"), 0o600))
		}},
		{"askpass, a commit", repo, first, first, func(home string) {
			script := filepath.Join(home, "askpass")
			require.NoError(t, os.WriteFile(script, []byte("#!/bin/sh\ncase \"$1\" in Username*) echo dev;; *) echo s3cret-pw;; esac\n"), 0o700))
			t.Setenv("GIT_ASKPASS", script)
		}},
		{"in the URL", withUser, first[:12], first, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			gitHome(t, tc.setup)
			var out bytes.Buffer
			c, err := CloneSource(context.Background(), tc.url, tc.revision, &out)
			require.NoError(t, err, out.String())
			defer func() { assert.NoError(t, c.Remove()); assert.NoDirExists(t, c.Dir) }()
			assert.Equal(t, tc.commit, c.Commit)
			assert.Equal(t, tc.commit, mustRevision(t, c.Dir))
			_, err = os.Stat(filepath.Join(c.Dir, "app.txt"))
			assert.Equal(t, tc.commit == second, err == nil, "app.txt is in the second commit only")
			assert.NotContains(t, out.String(), "s3cret-pw")
		})
	}
}

func mustRevision(t *testing.T, dir string) string {
	t.Helper()
	rev, err := SourceRevision(dir)
	require.NoError(t, err)
	return rev
}

func TestCloneSourceRefusesWhatGitWouldMisread(t *testing.T) {
	gitHome(t, nil)
	for _, u := range []string{
		"ext::sh -c touch% /tmp/pwned", "file:///etc", "/etc", "../other", "--upload-pack=touch /tmp/x",
		"https://-oProxyCommand=x/repo", "git@-oProxyCommand=x:repo", "git@host:-repo", "https://host/a b",
	} {
		_, err := CloneSource(context.Background(), u, "", &bytes.Buffer{})
		assert.Error(t, err, u)
		var auth *GitAuthError
		assert.False(t, errors.As(err, &auth), u)
	}
	_, err := CloneSource(context.Background(), "https://git.example.com/a.git", "--upload-pack=x", &bytes.Buffer{})
	assert.ErrorContains(t, err, "is not a commit, branch or tag name")
	assert.NoFileExists(t, "/tmp/pwned")
}

func TestIsGitSource(t *testing.T) {
	for s, want := range map[string]bool{
		"https://git.example.com/a.git": true, "http://127.0.0.1:3000/a.git": true, "ssh://git@host/a": true,
		"git@github.com:acme/app.git": true, ".": false, "/src/app": false, "examples/apps/go": false, "C:/src": false,
	} {
		assert.Equal(t, want, IsGitSource(s), s)
	}
}
