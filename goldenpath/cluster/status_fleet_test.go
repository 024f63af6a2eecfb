package cluster_test

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/goldenpath-dev/goldenpath/goldenpath/cluster"
	"github.com/goldenpath-dev/goldenpath/goldenpath/output"
	"github.com/goldenpath-dev/goldenpath/internal/fleettest"
)

// start is when the scenario's run image moved.
var start = time.Date(2026, 11, 29, 9, 0, 0, 0, time.UTC)

// scenario is the in-cluster scenario's fleet after a patched run image
// and broken commits, one application per state.
func scenario(t testing.TB) *fleettest.World {
	t.Helper()
	w := fleettest.New(start)
	old := func() []fleettest.Build {
		return []fleettest.Build{{Result: "succeeded", Reasons: "COMMIT", Run: 0, At: -time.Hour, Verified: "true", Pin: true}}
	}
	broken := fleettest.Build{Result: "failed", Reasons: "COMMIT", At: 5 * time.Minute, Step: "build", Exit: 51,
		Excerpt: "./main.go:18:6: undefined: brokenOnPurpose"}
	apps := []fleettest.App{
		// patched, then a broken commit: still serving the patched image
		{Env: "dev", Name: "ctl-go", Owner: "team-go", ID: "APP-9000", Pinned: 2,
			Builds: append(old(), fleettest.Build{Result: "succeeded", Reasons: "STACK", Run: 1, At: 10 * time.Second, Verified: "true", Pin: true}, broken)},
		// broken before the patch: kpack's build on the new run image fails too
		{Env: "dev", Name: "ctl-broken", Owner: "team-go", ID: "APP-9004", Pinned: 1,
			Builds: append(old(), fleettest.Build{Result: "failed", Reasons: "COMMIT", At: -time.Minute, Step: "build", Exit: 51, Excerpt: "undefined: x"},
				fleettest.Build{Result: "failed", Reasons: "STACK", At: 10 * time.Second, Step: "build", Exit: 51, Excerpt: "undefined: x"})},
		{Env: "dev", Name: "ctl-nodejs", Owner: "team-web", ID: "APP-9001", Pinned: 2,
			Builds: append(old(), fleettest.Build{Result: "succeeded", Reasons: "STACK", Run: 1, At: 20 * time.Second, Verified: "true", Pin: true})},
		// built on the new run image, not pinned yet
		{Env: "dev", Name: "ctl-python", Owner: "team-data", ID: "APP-9002", Pinned: 1,
			Builds: append(old(), fleettest.Build{Result: "succeeded", Reasons: "STACK", Run: 1, At: 30 * time.Second})},
		// pinned, pods not all on it yet
		{Env: "dev", Name: "ctl-rolling", Owner: "team-data", ID: "APP-9005", Pinned: 2, RollingOut: true, Health: "Progressing",
			Builds: append(old(), fleettest.Build{Result: "succeeded", Reasons: "STACK", Run: 1, At: 40 * time.Second, Verified: "true", Pin: true})},
		{Env: "dev", Name: "ctl-running", Owner: "team-web", ID: "APP-9006", Pinned: 1,
			Builds: append(old(), fleettest.Build{Result: "running", Reasons: "STACK", At: 50 * time.Second})},
		// never signed: refused, never pinned, runs kpack's tag
		{Env: "test", Name: "ctl-unsigned", Owner: "team-go", ID: "APP-9003", Sync: "Synced", Health: "Healthy",
			Builds: []fleettest.Build{
				{Result: "succeeded", Reasons: "CONFIG", Run: 0, At: -time.Hour, Verified: "false", Refused: "unsigned: the digest is not signed"},
				{Result: "succeeded", Reasons: "STACK", Run: 1, At: 15 * time.Second, Verified: "false", Refused: "unsigned: the digest is not signed"},
			}},
	}
	for _, a := range apps {
		require.NoError(t, w.Add(a))
	}
	return w
}

func fleetOf(t testing.TB, w *fleettest.World, apps ...string) *cluster.Fleet {
	t.Helper()
	r, err := w.Reader()
	require.NoError(t, err)
	f, err := cluster.Status(context.Background(), cluster.StatusRequest{Platform: w.Platform, Reader: r, Apps: apps,
		Now: func() time.Time { return start.Add(10 * time.Minute) }})
	require.NoError(t, err)
	return f
}

func TestStatusStates(t *testing.T) {
	f := fleetOf(t, scenario(t))
	byName := map[string]cluster.AppStatus{}
	for _, a := range f.Apps {
		byName[a.Environment+"/"+a.Application] = a
	}
	want := map[string]struct{ state, why string }{
		"dev/ctl-go":        {cluster.StatePatched, ""},
		"dev/ctl-broken":    {cluster.StateRebuildNeeded, "build 3 failed in step build (exit 51)"},
		"dev/ctl-nodejs":    {cluster.StatePatched, ""},
		"dev/ctl-python":    {cluster.StateRebasePending, "build 2 is on the newest run image, awaiting the verify gate and the pin"},
		"dev/ctl-rolling":   {cluster.StateRebasePending, "build 2 is pinned, rollout in progress: 1 of 2 pods ready (Argo CD: Synced, Progressing)"},
		"dev/ctl-running":   {cluster.StateRebasePending, "build 2 (STACK) is running"},
		"test/ctl-unsigned": {cluster.StateRebuildNeeded, "build 2 on the newest run image was refused: unsigned"},
	}
	require.Len(t, f.Apps, len(want))
	for name, w := range want {
		a := byName[name]
		assert.Equal(t, w.state, a.State, name)
		if w.why == "" {
			assert.Empty(t, a.Why, name)
		} else {
			assert.Contains(t, a.Why, w.why, name)
		}
	}
	goApp := byName["dev/ctl-go"]
	assert.Equal(t, "team-go", goApp.Owner)
	assert.Equal(t, "APP-9000", goApp.ID)
	assert.Equal(t, "https://git.example/team-go/ctl-go", goApp.Source)
	assert.Equal(t, "failed", goApp.LatestBuild.Result)
	assert.Equal(t, "build", goApp.LatestBuild.FailedStep)
	assert.Equal(t, 51, goApp.LatestBuild.ExitCode)
	assert.Contains(t, goApp.LatestBuild.Excerpt, "brokenOnPurpose")
	assert.Equal(t, int64(2), goApp.PinnedBuild)
	assert.Equal(t, start.Add(10*time.Second+time.Minute+2*time.Second), goApp.PinnedAt, "the controller's pin record")
	assert.Equal(t, "yes", goApp.Signed)
	assert.Equal(t, "not required", goApp.Provenance)
	require.NotNil(t, goApp.Argo)
	assert.Equal(t, "Synced", goApp.Argo.Sync)
	assert.Equal(t, "Healthy", goApp.Argo.Health)
	assert.Equal(t, "ctl-go-dev", goApp.Argo.Application)
	assert.True(t, goApp.RolledOut)
	unsigned := byName["test/ctl-unsigned"]
	assert.Equal(t, "no", unsigned.Signed)
	assert.Empty(t, unsigned.Pinned, "it runs the tag")

	// The roll-out: every application is on the stack; two serve from it.
	require.Len(t, f.Rollouts, 1)
	r := f.Rollouts[0]
	assert.Equal(t, "default", r.Stack)
	assert.Equal(t, 7, r.Apps)
	assert.Equal(t, 2, r.Serving)
	assert.Equal(t, 3, r.Pinned, "ctl-go, ctl-nodejs, ctl-rolling")
	assert.Equal(t, 5, r.Built, "+ ctl-python and ctl-unsigned")
	assert.Equal(t, start, r.Since, "the ClusterStack's status update, before the first build on it")
	var behind []string
	for _, b := range r.Behind {
		behind = append(behind, b.Environment+"/"+b.Application+" "+b.State)
	}
	assert.ElementsMatch(t, []string{"dev/ctl-broken rebuild needed", "dev/ctl-python rebase pending", "dev/ctl-rolling rebase pending",
		"dev/ctl-running rebase pending", "test/ctl-unsigned rebuild needed"}, behind)
	// The timeline rises by one at each step, in time order, ending at the counts.
	last := r.Timeline[len(r.Timeline)-1]
	assert.Equal(t, [3]int{r.Built, r.Pinned, r.Serving}, [3]int{last.Built, last.Pinned, last.Serving})
	for i := 1; i < len(r.Timeline); i++ {
		assert.True(t, r.Timeline[i].At.After(r.Timeline[i-1].At))
		assert.GreaterOrEqual(t, r.Timeline[i].Serving, r.Timeline[i-1].Serving)
	}
	// ctl-go started serving when its patched ReplicaSet became available.
	assert.Equal(t, 1, servingAt(r, start.Add(10*time.Second+time.Minute+2*time.Second+3*time.Second+8*time.Second)))
}

// servingAt is the serving count the timeline has at t.
func servingAt(r cluster.Rollout, t time.Time) int {
	n := 0
	for _, p := range r.Timeline {
		if !p.At.After(t) {
			n = p.Serving
		}
	}
	return n
}

// The table and the JSON say the same states.
func TestStatusPrinters(t *testing.T) {
	f := fleetOf(t, scenario(t))
	var text, js bytes.Buffer
	require.NoError(t, cluster.StatusOutput[output.Text].Print(&text, f))
	require.NoError(t, cluster.StatusOutput[output.JSON].Print(&js, f))
	var back cluster.Fleet
	require.NoError(t, json.Unmarshal(js.Bytes(), &back))
	require.Len(t, back.Apps, len(f.Apps))
	lines := strings.Split(text.String(), "\n")
	for _, a := range back.Apps {
		found := false
		for _, l := range lines {
			fields := strings.Fields(l)
			if len(fields) > 2 && fields[0] == a.Environment && fields[1] == a.Application {
				found = true
				assert.Contains(t, l, "  "+a.State+"  ", "%s/%s", a.Environment, a.Application)
			}
		}
		assert.True(t, found, "a row for %s/%s", a.Environment, a.Application)
	}
	assert.Contains(t, text.String(), "dev/ctl-go build 3 failed in step build:\n    ./main.go:18:6: undefined: brokenOnPurpose")
	assert.Contains(t, text.String(), "ClusterStack default: run image sha256:")
	assert.Contains(t, text.String(), "2 of 7 applications serving from it (28%)")
	assert.Contains(t, text.String(), "    test/ctl-unsigned rebuild needed: build 2 on the newest run image was refused: unsigned")
}

// A log excerpt cannot drive the terminal.
func TestStatusTextControlCharacters(t *testing.T) {
	f := &cluster.Fleet{Generated: start, Apps: []cluster.AppStatus{{Environment: "dev", Application: "a", State: cluster.StateUnknown,
		LatestBuild: &cluster.Build{Number: 1, Result: "failed", FailedStep: "build\x1b[2J", Excerpt: "line\x1b]0;pwned\x07\nnext"}}}}
	var b bytes.Buffer
	require.NoError(t, cluster.StatusOutput[output.Text].Print(&b, f))
	assert.NotContains(t, b.String(), "\x1b")
	assert.NotContains(t, b.String(), "\x07")
	assert.Contains(t, b.String(), `line\x1b]0;pwned\x07`+"\n    next")
	assert.Contains(t, b.String(), `in step build\x1b[2J:`)
}

// Naming applications limits the report, and a missing one is an error.
func TestStatusApps(t *testing.T) {
	w := scenario(t)
	f := fleetOf(t, w, "ctl-go")
	require.Len(t, f.Apps, 1)
	assert.Equal(t, 1, f.Rollouts[0].Apps)
	r, err := w.Reader()
	require.NoError(t, err)
	_, err = cluster.Status(context.Background(), cluster.StatusRequest{Platform: w.Platform, Reader: r, Apps: []string{"nope"}})
	assert.ErrorContains(t, err, "no kpack Image for nope")
}
