package goldenpath

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/goldenpath-dev/goldenpath/contract"
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
	dir := t.TempDir()
	writeContract(t, dir, "a", "buildpack")
	writeContract(t, dir, "b", "buildpack")
	list := filepath.Join(dir, "images.txt")
	require.NoError(t, os.WriteFile(list, []byte("# fleet\n\nreg.example.com/apps/dev/a@sha256:"+strings.Repeat("1", 64)+"  # pinned\nreg.example.com/other/c:1\n"), 0o644))
	o, err := makeOptions(nil)
	require.NoError(t, err)
	req := FleetRequest{
		Paths:      []string{dir},
		Registry:   "reg.example.com/apps",
		Images:     []string{"reg.example.com/apps/dev/a:canary"},
		ImagesFile: list,
	}
	targets, err := req.targets(context.Background(), o)
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

	_, err = FleetRequest{}.targets(context.Background(), o)
	assert.ErrorContains(t, err, "no images or contracts")
	_, err = FleetRequest{Images: []string{"Not A Ref"}}.targets(context.Background(), o)
	assert.ErrorContains(t, err, "invalid image reference")
	require.NoError(t, os.WriteFile(list, []byte("a b\n"), 0o644))
	_, err = FleetRequest{ImagesFile: list}.targets(context.Background(), o)
	assert.ErrorContains(t, err, "images.txt:1: one image reference per line")
	_, err = FleetRequest{ImagesFile: "-"}.targets(context.Background(), o)
	assert.Error(t, err)
	images, err := readImageList("-", strings.NewReader("x/y:1\n"))
	require.NoError(t, err)
	assert.Equal(t, []string{"x/y:1"}, images)
}

func TestRebaseRefusesOnlyDockerfileContracts(t *testing.T) {
	dir := t.TempDir()
	writeContract(t, dir, "d", "dockerfile")
	_, err := Rebase(context.Background(), RebaseRequest{FleetRequest: FleetRequest{Paths: []string{dir}}})
	assert.ErrorContains(t, err, "Dockerfile builds")

	writeContract(t, dir, "bad", "nonsense")
	_, err = Rebase(context.Background(), RebaseRequest{FleetRequest: FleetRequest{Paths: []string{dir}}})
	assert.NotEmpty(t, contract.AsErrors(err), "contract problems come back as contract.Errors")

	_, err = LoadRebaseReport(filepath.Join(dir, "d.yaml"))
	assert.ErrorContains(t, err, "not a rebase report")
}
