package fleet

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/goldenpath-dev/goldenpath/contract"
	"github.com/goldenpath-dev/goldenpath/goldenpath/internal/settings"
)

func writeContract(t *testing.T, dir, app, buildType string) {
	t.Helper()
	build := "{type: " + buildType + "}"
	if buildType == "dockerfile" {
		build = "{type: dockerfile, dockerfile: {path: Dockerfile, context: .}}"
	}
	require.NoError(t, os.WriteFile(filepath.Join(dir, app+".yaml"), []byte(`apiVersion: goldenpath.io/v1
kind: AppDeploymentRequest
id: APP-0001
environment: dev
owner: team
application: `+app+`
spec:
  source:
    git: {url: https://github.com/org/`+app+`}
  build: `+build+`
  runtime: {replicas: 1}
`), 0o644))
}

// Images in the repository of a contract's app are planned with that
// contract; the first replaces the contract's default tag.
func TestFleetTargets(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	writeContract(t, dir, "a", "buildpack")
	writeContract(t, dir, "b", "buildpack")
	listed, err := ParseImageList(strings.NewReader("# fleet\n\nreg.example.com/apps/dev/a@sha256:" + strings.Repeat("1", 64) + "  # pinned\nreg.example.com/other/c:1\n"))
	require.NoError(t, err)
	req := Request{
		Paths:    []string{dir},
		Registry: "reg.example.com/apps",
		Images:   append([]string{"reg.example.com/apps/dev/a:canary"}, listed...),
	}
	s := &settings.Settings{}
	p := contract.DefaultPlatform()
	targets, err := req.targets(ctx, p, s)
	require.NoError(t, err)
	var got []string
	for _, tg := range targets {
		app := "-"
		if tg.request != nil {
			app = tg.request.Application
		}
		got = append(got, app+" "+tg.image)
	}
	assert.Equal(t, []string{
		"a reg.example.com/apps/dev/a:canary",
		"b reg.example.com/apps/dev/b:latest",
		"a reg.example.com/apps/dev/a@sha256:" + strings.Repeat("1", 64),
		"- reg.example.com/other/c:1",
	}, got)

	_, err = Request{}.targets(ctx, p, s)
	assert.ErrorContains(t, err, "no images or contracts")
	_, err = Request{Images: []string{"Not A Ref"}}.targets(ctx, p, s)
	assert.EqualError(t, err, `"Not A Ref" is not an image reference (REGISTRY/REPOSITORY:TAG or @sha256:DIGEST)`)
	_, err = ParseImageList(strings.NewReader("x/y:1\na b\n"))
	assert.EqualError(t, err, `line 2: one image reference per line, got "a b"`)
	images, err := ParseImageList(strings.NewReader(""))
	require.NoError(t, err)
	assert.Empty(t, images)
}

func TestRebaseRefusesOnlyDockerfileContracts(t *testing.T) {
	dir := t.TempDir()
	writeContract(t, dir, "d", "dockerfile")
	_, err := Rebase(context.Background(), RebaseRequest{Request: Request{Paths: []string{dir}}})
	assert.ErrorContains(t, err, "Dockerfile builds")

	writeContract(t, dir, "bad", "nonsense")
	_, err = Rebase(context.Background(), RebaseRequest{Request: Request{Paths: []string{dir}}})
	assert.NotEmpty(t, contract.AsErrors(err), "contract problems come back as contract.Errors")

	_, err = ReadRebaseReport(strings.NewReader("apiVersion: goldenpath.io/v1\n"))
	assert.ErrorContains(t, err, "not a rebase report")
	rep, err := ReadRebaseReport(strings.NewReader(`{"dryRun": true, "results": [{"image": "r/a:1", "status": "failed"}]}`))
	require.NoError(t, err)
	assert.Equal(t, 1, rep.Count(RebaseFailed))
}

func TestStackUpdaterNeedsAClusterOrADryRun(t *testing.T) {
	_, err := NewStackUpdater(StackRequest{})
	assert.ErrorContains(t, err, "needs a cluster")
	u, err := NewStackUpdater(StackRequest{DryRun: true})
	require.NoError(t, err)
	assert.True(t, u.DryRun)
}
