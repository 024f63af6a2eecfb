package gitserver

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

type received struct {
	header http.Header
	body   []byte
}

func hookReceiver(t *testing.T) (*httptest.Server, <-chan received) {
	t.Helper()
	ch := make(chan received, 10)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		ch <- received{r.Header.Clone(), body}
		w.WriteHeader(http.StatusAccepted)
	}))
	t.Cleanup(srv.Close)
	return srv, ch
}

func TestPushDeliversSignedWebhook(t *testing.T) {
	root := t.TempDir()
	_, err := Init(root, "app", "main")
	require.NoError(t, err)
	hook, got := hookReceiver(t)
	s, err := NewHandler(root, Options{
		Users:    map[string]string{"pusher": "s3cret"},
		Hooks:    []Hook{{URL: hook.URL, Secret: "hook-secret"}, {URL: hook.URL, Secret: "gh", Format: "github"}},
		CloneURL: "https://git.example.com:9443",
	})
	require.NoError(t, err)
	srv := httptest.NewServer(s)
	defer srv.Close()
	u, _ := url.Parse(srv.URL)

	work := t.TempDir()
	git(t, work, "init", "--quiet", "--initial-branch=main")
	require.NoError(t, os.WriteFile(filepath.Join(work, "a.txt"), []byte("a\n"), 0o644))
	git(t, work, "add", ".")
	git(t, work, "commit", "--quiet", "-m", "a")
	sha := git(t, work, "rev-parse", "HEAD")

	// Without credentials the push is refused and nothing is delivered.
	cmd := gitCmd(work, "push", "--quiet", srv.URL+"/app.git", "main")
	out, err := cmd.CombinedOutput()
	require.Error(t, err, "%s", out)
	assert.Contains(t, string(out), "could not read Username", "the server asked for credentials")
	// A wrong password too.
	_, err = gitCmd(work, "push", "--quiet", "http://pusher:wrong@"+u.Host+"/app.git", "main").CombinedOutput()
	require.Error(t, err)
	// Fetching needs none (AuthFetch is off).
	git(t, work, "ls-remote", srv.URL+"/app.git")

	git(t, work, "push", "--quiet", "http://pusher:s3cret@"+u.Host+"/app.git", "main")
	s.Wait()
	for range 2 {
		select {
		case r := <-got:
			var payload struct {
				Ref, Before, After string
				Repository         struct {
					CloneURL string `json:"clone_url"`
				}
			}
			require.NoError(t, json.Unmarshal(r.body, &payload))
			assert.Equal(t, "refs/heads/main", payload.Ref)
			assert.Equal(t, sha, payload.After)
			assert.Equal(t, "https://git.example.com:9443/app.git", payload.Repository.CloneURL)
			if sig := r.header.Get("X-Gitea-Signature"); sig != "" {
				assert.Equal(t, "push", r.header.Get("X-Gitea-Event"))
				assert.Equal(t, hexHMAC("hook-secret", r.body), sig)
			} else {
				assert.Equal(t, "sha256="+hexHMAC("gh", r.body), r.header.Get("X-Hub-Signature-256"))
				assert.Equal(t, "push", r.header.Get("X-GitHub-Event"))
			}
		case <-time.After(10 * time.Second):
			t.Fatal("no webhook delivered")
		}
	}
	select {
	case r := <-got:
		t.Fatalf("unexpected delivery: %s", r.body)
	default:
	}
}

func TestAuthFetch(t *testing.T) {
	root := t.TempDir()
	_, err := Init(root, "app", "main")
	require.NoError(t, err)
	s, err := NewHandler(root, Options{Users: map[string]string{"u": "p"}, AuthFetch: true})
	require.NoError(t, err)
	srv := httptest.NewServer(s)
	defer srv.Close()
	resp, err := http.Get(srv.URL + "/app.git/info/refs?service=git-upload-pack")
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusUnauthorized, resp.StatusCode)
	req, _ := http.NewRequest(http.MethodGet, srv.URL+"/app.git/info/refs?service=git-upload-pack", nil)
	req.SetBasicAuth("u", "p")
	resp, err = http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode)
}

// BeforePush holds a push; a second push to the same repository waits for
// the first (refs are compared per push).
func TestBeforePushHolds(t *testing.T) {
	root := t.TempDir()
	_, err := Init(root, "app", "main")
	require.NoError(t, err)
	release := make(chan struct{})
	held := make(chan string, 1)
	var once sync.Once
	s, err := NewHandler(root, Options{BeforePush: func(repo string) {
		once.Do(func() { held <- repo; <-release })
	}})
	require.NoError(t, err)
	srv := httptest.NewServer(s)
	defer srv.Close()
	work := t.TempDir()
	git(t, work, "init", "--quiet", "--initial-branch=main")
	git(t, work, "commit", "--quiet", "--allow-empty", "-m", "x")
	done := make(chan error, 1)
	go func() {
		_, err := gitCmd(work, "push", "--quiet", srv.URL+"/app.git", "main").CombinedOutput()
		done <- err
	}()
	select {
	case repo := <-held:
		assert.Equal(t, "app.git", repo)
	case <-time.After(10 * time.Second):
		t.Fatal("the push never reached BeforePush")
	}
	select {
	case <-done:
		t.Fatal("the push finished while held")
	case <-time.After(200 * time.Millisecond):
	}
	close(release)
	require.NoError(t, <-done)
}

func hexHMAC(secret string, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(body)
	return hex.EncodeToString(m.Sum(nil))
}

func gitCmd(dir string, args ...string) *exec.Cmd {
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@example.com",
		"GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@example.com", "GIT_TERMINAL_PROMPT=0")
	return cmd
}
