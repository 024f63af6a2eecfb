package controller

import (
	"context"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"k8s.io/apimachinery/pkg/types"

	"github.com/goldenpath-dev/goldenpath/contract"
	"github.com/goldenpath-dev/goldenpath/internal/gitserver"
	"github.com/goldenpath-dev/goldenpath/internal/testenv"
	"github.com/goldenpath-dev/goldenpath/pipeline/gitops"
	"github.com/goldenpath-dev/goldenpath/render"
)

// renderedGitOps serves a GitOps repository (a real git server) holding
// the rendered, unpinned folder of the contract's application, and points
// the platform's environments at it; it returns its URL, a clone, the
// requests and the rendered objects.
func renderedGitOps(t *testing.T, p *contract.Platform, contractFile string) (string, string, []*contract.AppDeploymentRequest, []render.Object) {
	t.Helper()
	root := t.TempDir()
	_, err := gitserver.Init(root, "gitops", "main")
	require.NoError(t, err)
	s, err := gitserver.NewHandler(root, gitserver.Options{})
	require.NoError(t, err)
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	url := srv.URL + "/gitops.git"
	for name, env := range p.Environments {
		env.GitOps.RepoURL = url
		p.Environments[name] = env
	}
	reqs, err := contract.LoadFile(contractFile)
	require.NoError(t, err)
	objs, err := render.App(reqs[0], p, render.AppOptions{})
	require.NoError(t, err)
	files, err := render.Tree(objs)
	require.NoError(t, err)
	work := t.TempDir()
	testenv.Git(t, work, "init", "--quiet", "--initial-branch=main")
	for f, data := range files {
		require.NoError(t, os.MkdirAll(filepath.Dir(filepath.Join(work, f)), 0o755))
		require.NoError(t, os.WriteFile(filepath.Join(work, f), data, 0o644))
	}
	testenv.Git(t, work, "add", ".")
	testenv.Git(t, work, "commit", "--quiet", "-m", "render")
	testenv.Git(t, work, "push", "--quiet", url, "main")
	return url, work, reqs, objs
}

// gitopsRepo is renderedGitOps for the sample go app on the local platform.
func gitopsRepo(t *testing.T) (url, work string, p *contract.Platform, a app) {
	t.Helper()
	p, err := contract.LoadPlatformFile("../../examples/platform/local.yaml")
	require.NoError(t, err)
	url, work, reqs, _ := renderedGitOps(t, p, "../../examples/apps/go/goldenpath.yaml")
	env := reqs[0].Environment
	return url, work, p, app{Env: env, Name: reqs[0].Application, Cfg: p.Environments[env]}
}

func cand(a app, p *contract.Platform, n int64, uid, digestHex string) candidate {
	repo := p.ImageRepository(&contract.AppDeploymentRequest{Environment: a.Env, Application: a.Name})
	return candidate{App: a, ImageUID: typesUID(uid), Build: a.Name + "-build-" + itoa(n), Number: n,
		Ref: repo + "@sha256:" + strings.Repeat(digestHex, 64/len(digestHex)), Reasons: []string{"COMMIT"}, Revision: "abc123",
		Finished: time.Unix(1700000000+n, 0)}
}

func TestPinChangeOrderAndIdempotence(t *testing.T) {
	url, work, p, a := gitopsRepo(t)
	repo := &gitops.Repo{URL: url}
	ctx := context.Background()

	c3 := cand(a, p, 3, "uid-1", "a")
	ch := &pinChange{candidates: []candidate{c3}}
	res, err := repo.Update(ctx, 3, ch.apply)
	require.NoError(t, err)
	require.NotEmpty(t, res.Commit)
	require.Len(t, ch.outcomes, 1)
	assert.Equal(t, outcomePinned, ch.outcomes[0].result)

	testenv.Git(t, work, "pull", "--quiet", "--ff-only", url, "main")
	msg := testenv.Git(t, work, "log", "-1", "--format=%B")
	assert.Contains(t, msg, "goldenpath: pin dev/sample-go to build 3 (COMMIT)")
	assert.Contains(t, msg, "kpack build /sample-go-build-3 (reasons: COMMIT; revision abc123)")
	assert.Contains(t, msg, "Goldenpath-Pin: dev/sample-go build=sample-go-build-3 number=3 image-uid=uid-1 digest=sha256:"+strings.Repeat("a", 64))
	data, err := os.ReadFile(filepath.Join(work, a.Folder(), "deployment.yaml"))
	require.NoError(t, err)
	img, err := render.DeploymentImage(data)
	require.NoError(t, err)
	assert.Equal(t, c3.Ref, img)
	assert.Equal(t, []string{a.Folder() + "/deployment.yaml"}, res.Changed)

	// The same build again (a restarted controller): no commit.
	ch = &pinChange{candidates: []candidate{c3}}
	res, err = repo.Update(ctx, 3, ch.apply)
	require.NoError(t, err)
	assert.Empty(t, res.Commit)
	assert.Equal(t, outcomeUnchanged, ch.outcomes[0].result)

	// An older build of the same Image is never pinned over it.
	c2 := cand(a, p, 2, "uid-1", "b")
	ch = &pinChange{candidates: []candidate{c2}}
	res, err = repo.Update(ctx, 3, ch.apply)
	require.NoError(t, err)
	assert.Empty(t, res.Commit)
	assert.Equal(t, outcomeSuperseded, ch.outcomes[0].result)
	assert.Contains(t, ch.outcomes[0].detail, "sample-go-build-3")

	// A recreated Image (another UID) starts its numbers again: its build 1 is pinned.
	c1 := cand(a, p, 1, "uid-2", "c")
	ch = &pinChange{candidates: []candidate{c1}}
	res, err = repo.Update(ctx, 3, ch.apply)
	require.NoError(t, err)
	assert.NotEmpty(t, res.Commit)
	testenv.Git(t, work, "pull", "--quiet", "--ff-only", url, "main")
	assert.Equal(t, "3", testenv.Git(t, work, "rev-list", "--count", "HEAD"), "render + two pins")
}

func TestPinChangeNoFolder(t *testing.T) {
	url, _, p, a := gitopsRepo(t)
	other := a
	other.Name = "not-rendered"
	ch := &pinChange{candidates: []candidate{cand(other, p, 1, "u", "d"), cand(a, p, 1, "u2", "e")}}
	res, err := (&gitops.Repo{URL: url}).Update(context.Background(), 3, ch.apply)
	require.NoError(t, err)
	assert.NotEmpty(t, res.Commit, "the app that has a folder is pinned")
	assert.Equal(t, outcomeNoFolder, ch.outcomes[0].result)
	assert.Contains(t, ch.outcomes[0].detail, "no dev/not-rendered/deployment.yaml")
	assert.Equal(t, outcomePinned, ch.outcomes[1].result)
}

func TestPinMessageBatch(t *testing.T) {
	_, _, p, a := gitopsRepo(t)
	b := a
	b.Name = "other"
	msg := pinMessage([]candidate{cand(a, p, 4, "u1", "1"), cand(b, p, 9, "u2", "2")})
	assert.True(t, strings.HasPrefix(msg, "goldenpath: pin 2 applications in dev\n\n"), msg)
	pins := parsePins(msg)
	require.Len(t, pins, 2)
	assert.Equal(t, pinRecord{App: "dev/other", Build: "other-build-9", Number: 9, ImageUID: "u2", Digest: "sha256:" + strings.Repeat("2", 64)}, pins[1])
}

func TestFollows(t *testing.T) {
	push := Push{Ref: "refs/heads/main"}
	for rev, want := range map[string]bool{"main": true, "refs/heads/main": true, "HEAD": true, "dev": false, "": false,
		strings.Repeat("a", 40): false, "v1.0": false} {
		assert.Equal(t, want, follows(rev, push), rev)
	}
	tag := Push{Ref: "refs/tags/v1.0"}
	assert.True(t, follows("v1.0", tag))
	assert.False(t, follows("main", tag))
	assert.False(t, follows("HEAD", tag))
}

func TestEvictOldest(t *testing.T) {
	data := map[string]string{}
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range 10 {
		// 0.1 s, 0.12 s...: a format that trims zeros would sort these wrong
		data["k"+itoa(int64(i))] = base.Add(time.Duration(i) * 10 * time.Millisecond).Format(replayTimeFormat)
	}
	evictOldest(data, 3)
	assert.Len(t, data, 3)
	for _, k := range []string{"k7", "k8", "k9"} {
		assert.Contains(t, data, k)
	}
}

func TestPromoterOfferKeepsNewest(t *testing.T) {
	_, _, p, a := gitopsRepo(t)
	pr := newPromoter(&core{platform: p})
	pr.offer(cand(a, p, 5, "u", "1"))
	pr.offer(cand(a, p, 4, "u", "2"))
	got := pr.take(a.Env, 10)
	require.Len(t, got, 1)
	assert.Equal(t, int64(5), got[0].Number)
	assert.Empty(t, pr.take(a.Env, 10))
	// batch size
	for i, n := range []string{"a", "b", "c"} {
		o := a
		o.Name = n
		pr.offer(cand(o, p, int64(i+1), "u"+n, "3"))
	}
	assert.Len(t, pr.take(a.Env, 2), 2)
	assert.Len(t, pr.take(a.Env, 2), 1)
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func typesUID(s string) types.UID { return types.UID(s) }
