package gitops

import (
	"context"
	"net"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/goldenpath-dev/goldenpath/internal/gitserver"
	"github.com/goldenpath-dev/goldenpath/internal/testenv"
)

// server is a real git server (git http-backend) with one repository,
// gitops.git, holding dev/app/deployment.yaml; pushes need user u,
// password p.
func server(t *testing.T, opts gitserver.Options) (repoURL, authURL string, s *gitserver.Server) {
	t.Helper()
	root := t.TempDir()
	_, err := gitserver.Init(root, "gitops", "main")
	require.NoError(t, err)
	opts.Users = map[string]string{"u": "p"}
	s, err = gitserver.NewHandler(root, opts)
	require.NoError(t, err)
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	u, _ := url.Parse(srv.URL)
	work := t.TempDir()
	testenv.Git(t, work, "init", "--quiet", "--initial-branch=main")
	require.NoError(t, os.MkdirAll(filepath.Join(work, "dev/app"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(work, "dev/app/deployment.yaml"), []byte("image: v1\n"), 0o644))
	testenv.Git(t, work, "add", ".")
	testenv.Git(t, work, "commit", "--quiet", "-m", "first")
	authURL = "http://u:p@" + u.Host + "/gitops.git"
	testenv.Git(t, work, "push", "--quiet", authURL, "main")
	return srv.URL + "/gitops.git", authURL, s
}

func setImage(img string) Change {
	return func(tr *Tree) (string, error) {
		if _, err := tr.ReadFile("dev/app/deployment.yaml"); err != nil {
			return "", err
		}
		return "pin " + img, tr.WriteFile("dev/app/deployment.yaml", []byte("image: "+img+"\n"))
	}
}

func TestUpdateCommitsAndPushes(t *testing.T) {
	repoURL, authURL, _ := server(t, gitserver.Options{})
	r := &Repo{URL: repoURL, Auth: Auth{Username: "u", Password: "p"}}
	ctx := context.Background()
	res, err := r.Update(ctx, 3, setImage("v2"))
	require.NoError(t, err)
	assert.NotEmpty(t, res.Commit)
	assert.Equal(t, []string{"dev/app/deployment.yaml"}, res.Changed)
	assert.Equal(t, 1, res.Attempts)

	clone := filepath.Join(t.TempDir(), "c")
	testenv.Git(t, t.TempDir(), "clone", "--quiet", authURL, clone)
	assert.Equal(t, res.Commit, testenv.Git(t, clone, "rev-parse", "HEAD"))
	assert.Equal(t, "pin v2", testenv.Git(t, clone, "log", "-1", "--format=%s"))
	data, _ := os.ReadFile(filepath.Join(clone, "dev/app/deployment.yaml"))
	assert.Equal(t, "image: v2\n", string(data))

	// The same change again commits nothing.
	again, err := r.Update(ctx, 3, setImage("v2"))
	require.NoError(t, err)
	assert.Empty(t, again.Commit)
	assert.Equal(t, res.Commit, again.Head)
	testenv.Git(t, clone, "fetch", "--quiet")
	assert.Equal(t, "2", testenv.Git(t, clone, "rev-list", "--count", "origin/main"))

	commits, err := r.Commits(10)
	require.NoError(t, err)
	require.Len(t, commits, 2)
	assert.Equal(t, "pin v2", commits[0].Message)
}

// Someone pushes between our fetch and our push: the push is refused (no
// force), the change is redone on the new head, both commits survive.
func TestUpdateRetriesOnTheNewHead(t *testing.T) {
	repoURL, authURL, _ := server(t, gitserver.Options{})
	other := filepath.Join(t.TempDir(), "o")
	testenv.Git(t, t.TempDir(), "clone", "--quiet", authURL, other)
	r := &Repo{URL: repoURL, Auth: Auth{Username: "u", Password: "p"}}
	calls := 0
	res, err := r.Update(context.Background(), 3, func(tr *Tree) (string, error) {
		calls++
		if calls == 1 {
			// a concurrent push lands after our fetch
			require.NoError(t, os.WriteFile(filepath.Join(other, "README"), []byte("x\n"), 0o644))
			testenv.Git(t, other, "add", ".")
			testenv.Git(t, other, "commit", "--quiet", "-m", "concurrent")
			testenv.Git(t, other, "push", "--quiet", "origin", "main")
		}
		return setImage("v3")(tr)
	})
	require.NoError(t, err)
	assert.Equal(t, 2, res.Attempts)
	assert.Equal(t, 2, calls)
	testenv.Git(t, other, "pull", "--quiet", "--ff-only")
	assert.Equal(t, "pin v3\nconcurrent\nfirst", testenv.Git(t, other, "log", "--format=%s"))
	assert.FileExists(t, filepath.Join(other, "README"))
}

func TestUpdateNeedsCredentials(t *testing.T) {
	repoURL, _, _ := server(t, gitserver.Options{})
	r := &Repo{URL: repoURL}
	_, err := r.Update(context.Background(), 3, setImage("v2"))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "authentication required")
}

func TestTreeRefusesPathsOutside(t *testing.T) {
	repoURL, _, _ := server(t, gitserver.Options{})
	r := &Repo{URL: repoURL, Auth: Auth{Username: "u", Password: "p"}}
	for _, p := range []string{"../x", "/../../etc/passwd", ".git/config", "."} {
		_, err := r.Update(context.Background(), 1, func(tr *Tree) (string, error) { return "x", tr.WriteFile(p, []byte("x")) })
		assert.ErrorContains(t, err, "outside the tree", p)
	}
}

// The server down: Update fails with the error, and once it is back the
// same change lands once.
func TestUpdateServerDown(t *testing.T) {
	root := t.TempDir()
	_, err := gitserver.Init(root, "gitops", "main")
	require.NoError(t, err)
	s, err := gitserver.NewHandler(root, gitserver.Options{})
	require.NoError(t, err)
	srv := httptest.NewServer(s)
	work := t.TempDir()
	testenv.Git(t, work, "init", "--quiet", "--initial-branch=main")
	require.NoError(t, os.MkdirAll(filepath.Join(work, "dev/app"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(work, "dev/app/deployment.yaml"), []byte("image: v1\n"), 0o644))
	testenv.Git(t, work, "add", ".")
	testenv.Git(t, work, "commit", "--quiet", "-m", "first")
	testenv.Git(t, work, "push", "--quiet", srv.URL+"/gitops.git", "main")
	r := &Repo{URL: srv.URL + "/gitops.git"}
	_, err = r.Head(context.Background())
	require.NoError(t, err)
	addr := srv.Listener.Addr().String()
	srv.Close()
	_, err = r.Update(context.Background(), 3, setImage("v2"))
	require.Error(t, err)
	// back on the same address
	srv2 := httptest.NewUnstartedServer(s)
	l, err := netListen(addr)
	require.NoError(t, err)
	srv2.Listener = l
	srv2.Start()
	defer srv2.Close()
	res, err := r.Update(context.Background(), 3, setImage("v2"))
	require.NoError(t, err)
	assert.NotEmpty(t, res.Commit)
	res, err = r.Update(context.Background(), 3, setImage("v2"))
	require.NoError(t, err)
	assert.Empty(t, res.Commit)
	assert.Equal(t, "2", countRemote(t, work, srv2.URL+"/gitops.git"), "one pin commit on top of the first")
}

func countRemote(t *testing.T, dir, u string) string {
	testenv.Git(t, dir, "fetch", "--quiet", u, "main")
	return testenv.Git(t, dir, "rev-list", "--count", "FETCH_HEAD")
}

func netListen(addr string) (net.Listener, error) { return net.Listen("tcp", addr) }
