package fleet_test

import (
	"context"
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/goldenpath-dev/goldenpath/contract"
	"github.com/goldenpath-dev/goldenpath/internal/testregistry"
	"github.com/goldenpath-dev/goldenpath/pipeline/cnb"
	"github.com/goldenpath-dev/goldenpath/pipeline/fleet"
	"github.com/goldenpath-dev/goldenpath/pipeline/registry"
)

const (
	shaOld = "1111111111111111111111111111111111111111"
	shaNew = "2222222222222222222222222222222222222222"
)

// testPlatform is a platform whose default builder lives in reg; the go
// buildpack is pinned to 0.1.0 when pin is set.
func planPlatform(t *testing.T, reg string, pin bool) *contract.Platform {
	t.Helper()
	version := ""
	if pin {
		version = ", version: 0.1.0"
	}
	p, err := contract.LoadPlatform("platform.yaml", []byte(fmt.Sprintf(`apiVersion: goldenpath.io/v1
kind: Platform
name: test
registry: %[1]s/apps
builders:
  default:
    tag: %[1]s/goldenpath/builder:test
    stack:
      id: %[2]s
      buildImage: %[1]s/goldenpath/build:test
      runImage: %[1]s/goldenpath/run:test
    buildpacks: [%[1]s/goldenpath/builder:test]
    order:
      - language: go
        buildpacks: [{id: goldenpath/go%[3]s}]
environments:
  dev:
    namespace: apps-dev
    ingressDomain: dev.goldenpath.io
    gitops:
      repoURL: https://github.com/goldenpath-dev/gitops
`, reg, testStack, version)))
	require.NoError(t, err)
	return p
}

// testRequest is a contract for app in dev, pinned to revision.
func planRequest(t *testing.T, app, revision, extra string) *contract.AppDeploymentRequest {
	t.Helper()
	build := "type: buildpack\n    env:\n      BP_GO_VERSION: \"1.22\"" + extra
	if extra == "dockerfile" {
		build = "type: dockerfile\n    dockerfile: {path: Dockerfile, context: .}"
	}
	rev := ""
	if revision != "" {
		rev = "\n      revision: \"" + revision + "\""
	}
	reqs, err := contract.Load(app+".yaml", []byte(fmt.Sprintf(`apiVersion: goldenpath.io/v1
kind: AppDeploymentRequest
id: APP-0001
environment: dev
owner: team
application: %s
spec:
  source:
    git:
      url: https://github.com/org/%[1]s
      branch: main%[2]s
  build:
    %[3]s
  runtime:
    replicas: 1
`, app, rev, build)))
	require.NoError(t, err)
	return reqs[0]
}

func projectLabel(app, commit string) string {
	return fmt.Sprintf(`{"source":{"type":"git","version":{"commit":%q},"metadata":{"repository":"https://github.com/org/%s","revision":"main"}}}`, commit, app)
}

func buildConfigLabel(app, goVersion string) string {
	return cnb.BuildConfig{
		Source:  cnb.BuildConfigSource{URL: "https://github.com/org/" + app},
		Env:     map[string]string{"BP_GO_VERSION": goVersion},
		Builder: "default",
	}.Label()
}

func pushBuilder(t *testing.T, reg *testregistry.Registry, goVersion, lifecycle string) {
	t.Helper()
	img, err := random.Image(64, 1)
	require.NoError(t, err)
	cf, err := img.ConfigFile()
	require.NoError(t, err)
	cf = cf.DeepCopy()
	cf.OS, cf.Architecture = "linux", "amd64"
	cf.Config.Labels = map[string]string{cnb.LabelBuilderMetadata: fmt.Sprintf(
		`{"description":"test","buildpacks":[{"id":"goldenpath/go","version":%q},{"id":"goldenpath/procfile","version":"0.1.0"}],"lifecycle":{"version":%q}}`,
		goVersion, lifecycle)}
	img, err = mutate.ConfigFile(img, cf)
	require.NoError(t, err)
	reg.Push(t, reg.Host+"/goldenpath/builder:test", img)
}

func pushApp(t *testing.T, reg *testregistry.Registry, f *rbFleet, app string, labels map[string]string) string {
	t.Helper()
	runDigest, err := f.run.Digest()
	require.NoError(t, err)
	img := newAppImage(t, f.run, appImageOpts{
		runName: "goldenpath/run:test", mirrors: []string{f.runRef},
		reference: reg.Host + "/goldenpath/run@" + runDigest.String(), labels: labels,
	})
	ref := reg.Host + "/apps/dev/" + app + ":latest"
	reg.Push(t, ref, img)
	return ref
}

func planEvidence(it fleet.PlanItem, field string) fleet.Evidence {
	for _, e := range it.Evidence {
		if e.Field == field {
			return e
		}
	}
	return fleet.Evidence{Field: "(missing " + field + ")"}
}

func TestPlanSaysWhatEachAppNeeds(t *testing.T) {
	reg := testregistry.New(t)
	f := newFleet(t, reg, 0, nil)
	pushBuilder(t, reg, "0.1.0", "0.21.0")
	current := func(app string) map[string]string {
		return map[string]string{cnb.LabelProjectMetadata: projectLabel(app, shaNew), cnb.LabelBuildConfig: buildConfigLabel(app, "1.22")}
	}
	// Built on the run image before its patch.
	stale := pushApp(t, reg, f, "stale", current("stale"))
	patched := patchRunImage(t, f.run, "cve-1")
	f.run = patched
	reg.Push(t, f.runRef, patched)
	pushApp(t, reg, f, "fresh", current("fresh"))
	commit := current("commit")
	commit[cnb.LabelProjectMetadata] = projectLabel("commit", shaOld)
	pushApp(t, reg, f, "commit", commit)
	config := current("config")
	config[cnb.LabelBuildConfig] = buildConfigLabel("config", "1.21")
	pushApp(t, reg, f, "config", config)
	bp := current("buildpack")
	bp[cnb.LabelBuildMetadata] = `{"buildpacks":[{"id":"goldenpath/go","version":"0.0.9"}],"launcher":{"version":"0.21.0"}}`
	pushApp(t, reg, f, "buildpack", bp)
	lc := current("lifecycle")
	lc[cnb.LabelBuildMetadata] = `{"buildpacks":[{"id":"goldenpath/go","version":"0.1.0"}],"launcher":{"version":"0.20.8"}}`
	pushApp(t, reg, f, "lifecycle", lc)
	nonCNB, err := random.Image(64, 1)
	require.NoError(t, err)
	reg.Push(t, reg.Host+"/other/plain:1", nonCNB)

	spec := &fleet.PlanSpec{
		Platform: planPlatform(t, reg.Host, false),
		Targets: []fleet.PlanTarget{
			{Request: planRequest(t, "fresh", shaNew, "")},
			{Request: planRequest(t, "stale", shaNew, "")},
			{Request: planRequest(t, "commit", shaNew, "")},
			{Request: planRequest(t, "config", shaNew, "")},
			{Request: planRequest(t, "buildpack", shaNew, "")},
			{Request: planRequest(t, "lifecycle", shaNew, "")},
			{Request: planRequest(t, "missing", shaNew, "")},
			{Request: planRequest(t, "docker", "", "dockerfile")},
			{Image: stale},
			{Image: reg.Host + "/other/plain:1"},
		},
	}
	pl, err := fleet.NewPlanner()
	require.NoError(t, err)
	plan, err := pl.Plan(context.Background(), spec)
	require.NoError(t, err)
	require.Len(t, plan.Items, len(spec.Targets))
	want := []struct {
		action  fleet.Action
		reasons []fleet.Reason
	}{
		{fleet.ActionNothing, nil},
		{fleet.ActionRebase, []fleet.Reason{fleet.ReasonStack}},
		{fleet.ActionRebuild, []fleet.Reason{fleet.ReasonCommit}},
		{fleet.ActionRebuild, []fleet.Reason{fleet.ReasonConfig}},
		{fleet.ActionRebuild, []fleet.Reason{fleet.ReasonBuildpack}},
		{fleet.ActionRebuild, []fleet.Reason{fleet.ReasonLifecycle}},
		{fleet.ActionRebuild, []fleet.Reason{fleet.ReasonConfig}},
		{fleet.ActionSkip, nil},
		{fleet.ActionRebase, []fleet.Reason{fleet.ReasonStack}},
		{fleet.ActionSkip, nil},
	}
	for i, w := range want {
		it := plan.Items[i]
		assert.Equal(t, w.action, it.Action, "%s: %+v", it.Image, it)
		assert.Equal(t, w.reasons, it.Reasons, it.Image)
	}
	assert.Equal(t, reg.Host+"/apps/dev/fresh:latest", plan.Items[0].Image, "the tag builds push")

	runDigest, err := patched.Digest()
	require.NoError(t, err)
	st := planEvidence(plan.Items[1], "runImage")
	assert.True(t, st.Changed)
	assert.Contains(t, st.New, reg.Host+"/goldenpath/run@"+runDigest.String())
	assert.NotEqual(t, st.Old, st.New)
	assert.Equal(t, f.runRef, plan.Items[1].RunImage, "what to rebase onto")

	cm := planEvidence(plan.Items[2], "commit")
	assert.Equal(t, shaOld, cm.Old)
	assert.Equal(t, shaNew, cm.New)
	cf := planEvidence(plan.Items[3], "spec.build.env.BP_GO_VERSION")
	assert.Equal(t, fleet.Evidence{Reason: fleet.ReasonConfig, Field: "spec.build.env.BP_GO_VERSION", Old: "1.21", New: "1.22", Changed: true}, cf)
	b := planEvidence(plan.Items[4], "buildpack goldenpath/go")
	assert.Equal(t, "0.0.9", b.Old)
	assert.Equal(t, "0.1.0", b.New)
	l := planEvidence(plan.Items[5], "lifecycle")
	assert.Equal(t, "0.20.8", l.Old)
	assert.Equal(t, "0.21.0", l.New)
	assert.Contains(t, planEvidence(plan.Items[6], "image").Note, "first build")
	assert.Contains(t, planEvidence(plan.Items[8], "commit").Note, "no contract")
	assert.Equal(t, "default", plan.Items[8].Builder, "a bare image's builder is found by its run image")
	assert.Contains(t, plan.Items[9].Evidence[0].Note, "not a Cloud Native Buildpacks app image")

	assert.Equal(t, 2, plan.Count(fleet.ActionRebase))
	assert.Equal(t, []string{stale, stale}, plan.Images(fleet.ActionRebase))

	// What plan says to rebase, rebase does; plan then says NOTHING.
	rep, err := newRebaser(t).Rebase(context.Background(), &fleet.RebaseSpec{Images: []string{stale}})
	require.NoError(t, err)
	require.NoError(t, rep.Err())
	plan, err = pl.Plan(context.Background(), &fleet.PlanSpec{Platform: spec.Platform, Targets: spec.Targets[1:2]})
	require.NoError(t, err)
	assert.Equal(t, fleet.ActionNothing, plan.Items[0].Action, "%+v", plan.Items[0])
}

func TestPlanRebuildsWhenTheRunImageCannotBeSwapped(t *testing.T) {
	reg := testregistry.New(t)
	f := newFleet(t, reg, 1, nil)
	other := newRunImage(t, runImageOpts{layers: 2, stackID: "io.other.stack"})
	reg.Push(t, reg.Host+"/goldenpath/run:other", other)
	renamed := patchRunImage(t, f.run, "x")
	reg.Push(t, reg.Host+"/goldenpath/run-next:1", renamed)
	pl, err := fleet.NewPlanner()
	require.NoError(t, err)
	p := planPlatform(t, reg.Host, false)

	plan, err := pl.Plan(context.Background(), &fleet.PlanSpec{Platform: p, RunImage: reg.Host + "/goldenpath/run:other", Targets: []fleet.PlanTarget{{Image: f.apps[0]}}})
	require.NoError(t, err)
	it := plan.Items[0]
	assert.Equal(t, fleet.ActionRebuild, it.Action)
	assert.Equal(t, []fleet.Reason{fleet.ReasonStack}, it.Reasons)
	assert.Contains(t, planEvidence(it, "runImage").Note, "stack io.other.stack is not the image's")

	plan, err = pl.Plan(context.Background(), &fleet.PlanSpec{Platform: p, RunImage: reg.Host + "/goldenpath/run-next:1", Targets: []fleet.PlanTarget{{Image: f.apps[0]}}})
	require.NoError(t, err)
	it = plan.Items[0]
	assert.Equal(t, fleet.ActionRebase, it.Action)
	assert.Contains(t, planEvidence(it, "runImage.image").Note, "force")
}

func TestPlanComparesPinsWithoutTheBuilder(t *testing.T) {
	reg := testregistry.New(t)
	f := newFleet(t, reg, 0, nil)
	ref := pushApp(t, reg, f, "a", map[string]string{
		cnb.LabelBuildMetadata: `{"buildpacks":[{"id":"goldenpath/go","version":"0.0.9"}],"launcher":{"version":"0.21.0"}}`,
	})
	pl, err := fleet.NewPlanner()
	require.NoError(t, err)
	plan, err := pl.Plan(context.Background(), &fleet.PlanSpec{Platform: planPlatform(t, reg.Host, true), SkipBuilder: true,
		Targets: []fleet.PlanTarget{{Image: ref}}})
	require.NoError(t, err)
	it := plan.Items[0]
	assert.Equal(t, fleet.ActionRebuild, it.Action)
	assert.Equal(t, []fleet.Reason{fleet.ReasonBuildpack}, it.Reasons)
	assert.Contains(t, planEvidence(it, "lifecycle").Note, "not read")

	// Without a builder image in the registry the plan says why.
	plan, err = pl.Plan(context.Background(), &fleet.PlanSpec{Platform: planPlatform(t, reg.Host, false), Targets: []fleet.PlanTarget{{Image: ref}}})
	require.NoError(t, err)
	assert.Contains(t, planEvidence(plan.Items[0], "builder").Note, "not read")
	assert.Equal(t, fleet.ActionNothing, plan.Items[0].Action)
}

func TestPlanErrors(t *testing.T) {
	pl, err := fleet.NewPlanner(registry.WithRetries(0))
	require.NoError(t, err)
	_, err = pl.Plan(context.Background(), &fleet.PlanSpec{})
	assert.Error(t, err)
	_, err = pl.Plan(context.Background(), &fleet.PlanSpec{Platform: contract.DefaultPlatform()})
	assert.Error(t, err)
	plan, err := pl.Plan(context.Background(), &fleet.PlanSpec{Platform: contract.DefaultPlatform(), Targets: []fleet.PlanTarget{{Image: "127.0.0.1:1/nothing:here"}, {Image: "Not A Ref"}}})
	require.NoError(t, err)
	assert.Equal(t, 2, plan.Count(fleet.ActionError))
	assert.Contains(t, plan.Items[0].Error, "reaching registry")
}

func TestRevisionResolvers(t *testing.T) {
	ctx := context.Background()
	r := planRequest(t, "a", "", "")
	got, err := fleet.PinnedRevisions{}.Revision(ctx, r)
	require.NoError(t, err)
	assert.Empty(t, got, "a branch is not a commit")
	got, _ = fleet.PinnedRevisions{"a": shaOld}.Revision(ctx, r)
	assert.Equal(t, shaOld, got)
	got, _ = fleet.PinnedRevisions{"dev/a": shaNew, "a": shaOld}.Revision(ctx, r)
	assert.Equal(t, shaNew, got)
	got, _ = fleet.PinnedRevisions{}.Revision(ctx, planRequest(t, "a", shaNew, ""))
	assert.Equal(t, shaNew, got)

	// git ls-remote against a local repository.
	dir := t.TempDir()
	git := func(args ...string) string {
		cmd := exec.Command("git", append([]string{"-C", dir, "-c", "user.name=t", "-c", "user.email=t@t", "-c", "init.defaultBranch=main"}, args...)...)
		out, err := cmd.CombinedOutput()
		require.NoError(t, err, "%s", out)
		return strings.TrimSpace(string(out))
	}
	git("init", "-q")
	git("commit", "-q", "--allow-empty", "-m", "one")
	first := git("rev-parse", "HEAD")
	git("tag", "-a", "v1", "-m", "v1")
	git("commit", "-q", "--allow-empty", "-m", "two")
	head := git("rev-parse", "HEAD")
	local := *r
	local.Spec.Source.Git.URL = filepath.Join(dir, ".git")
	got, err = fleet.GitRevisions{}.Revision(ctx, &local)
	require.NoError(t, err)
	assert.Equal(t, head, got, "the branch head")
	local.Spec.Source.Git.Revision = "v1"
	got, err = fleet.GitRevisions{}.Revision(ctx, &local)
	require.NoError(t, err)
	assert.Equal(t, first, got, "an annotated tag's commit")
	local.Spec.Source.Git.Revision = "nope"
	_, err = fleet.GitRevisions{}.Revision(ctx, &local)
	assert.Error(t, err)
}
