package cluster_test

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	appsv1 "k8s.io/api/apps/v1"

	"github.com/goldenpath-dev/goldenpath/goldenpath/cluster"
	"github.com/goldenpath-dev/goldenpath/goldenpath/output"
	"github.com/goldenpath-dev/goldenpath/internal/fleettest"
	"github.com/goldenpath-dev/goldenpath/render"
)

// waitingWorld is a fleet under a platform whose controller verifies
// signatures: ctl-go is pinned (the gate opened), ctl-unsigned was refused
// and waits for its first verified pin, ctl-new's first build has not been
// verified yet.
func waitingWorld(t *testing.T, verify bool) *fleettest.World {
	t.Helper()
	w := fleettest.New(start)
	if verify {
		w.VerifySignatures()
	}
	for _, a := range []fleettest.App{
		{Env: "dev", Name: "ctl-go", Owner: "team-go", ID: "APP-9000", Pinned: 1, Builds: []fleettest.Build{
			{Result: "succeeded", Reasons: "STACK", Run: 1, At: time.Second, Verified: "true", Pin: true}}},
		{Env: "dev", Name: "ctl-new", Owner: "team-web", ID: "APP-9001", Builds: []fleettest.Build{
			{Result: "succeeded", Reasons: "CONFIG", Run: 1, At: time.Second}}},
		{Env: "test", Name: "ctl-unsigned", Owner: "team-go", ID: "APP-9003", Builds: []fleettest.Build{
			{Result: "succeeded", Reasons: "CONFIG", Run: 1, At: time.Second, Verified: "false", Refused: "unsigned: the digest is not signed"}}},
	} {
		require.NoError(t, w.Add(a))
	}
	return w
}

func byApp(f *cluster.Fleet) map[string]cluster.AppStatus {
	out := map[string]cluster.AppStatus{}
	for _, a := range f.Apps {
		out[a.Environment+"/"+a.Application] = a
	}
	return out
}

// textOf is `goldenpath status`'s table.
func textOf(t *testing.T, f *cluster.Fleet) string {
	t.Helper()
	var b bytes.Buffer
	require.NoError(t, cluster.StatusOutput[output.Text].Print(&b, f))
	return b.String()
}

// An unpinned application under a verifying platform is reported as
// waiting for its first verified pin (the Deployment's annotation), in the
// fleet, its JSON and the table; a pinned one, or one under a platform
// that does not verify, is not.
func TestStatusWaitingForPin(t *testing.T) {
	f := fleetOf(t, waitingWorld(t, true))
	apps := byApp(f)
	for _, name := range []string{"dev/ctl-new", "test/ctl-unsigned"} {
		a := apps[name]
		assert.True(t, strings.HasPrefix(a.WaitingFor, "waiting for the first verified pin: the platform verifies signatures"), "%s: %q", name, a.WaitingFor)
		assert.Empty(t, a.Pinned, name)
		assert.Zero(t, a.Replicas, "%s runs no pod", name)
	}
	goApp := apps["dev/ctl-go"]
	assert.Empty(t, goApp.WaitingFor, "pinned: the gate is open")
	assert.NotEmpty(t, goApp.Pinned)
	assert.Equal(t, int32(2), goApp.Replicas, "the contract's replicas, back with the pin")

	js, err := json.Marshal(f)
	require.NoError(t, err)
	var back struct {
		Apps []map[string]any `json:"apps"`
	}
	require.NoError(t, json.Unmarshal(js, &back))
	waiting := map[string]bool{}
	for _, a := range back.Apps {
		_, ok := a["waitingFor"]
		waiting[a["environment"].(string)+"/"+a["application"].(string)] = ok
	}
	assert.Equal(t, map[string]bool{"dev/ctl-go": false, "dev/ctl-new": true, "test/ctl-unsigned": true}, waiting, "waitingFor in the JSON")

	text := textOf(t, f)
	rows := map[string]string{}
	for _, l := range strings.Split(text, "\n") {
		if fields := strings.Fields(l); len(fields) > 2 {
			rows[fields[0]+"/"+fields[1]] = l
		}
	}
	assert.Contains(t, rows["dev/ctl-new"], "  waiting for first verified pin  ")
	assert.Contains(t, rows["test/ctl-unsigned"], "  waiting for first verified pin  ")
	assert.NotContains(t, rows["dev/ctl-go"], "waiting")
	assert.Contains(t, text, "\ntest/ctl-unsigned runs no pod: waiting for the first verified pin: the platform verifies signatures (controller.publicKey)")
	assert.NotContains(t, text, "dev/ctl-go runs no pod")

	// No verify gate: an unpinned Deployment follows kpack's tag and runs.
	for name, a := range byApp(fleetOf(t, waitingWorld(t, false))) {
		assert.Empty(t, a.WaitingFor, name)
		assert.NotZero(t, a.Replicas, name)
	}
	assert.NotContains(t, textOf(t, fleetOf(t, waitingWorld(t, false))), "waiting")
}

// The annotation is read from the cluster: a stale one beside a pinned
// digest is not believed, an empty one still says what it waits for, a
// huge one is cut, and terminal escapes in it are not printed.
func TestStatusWaitingForAnnotation(t *testing.T) {
	w := waitingWorld(t, true)
	for _, o := range w.Objects() {
		d, ok := o.(*appsv1.Deployment)
		if !ok {
			continue
		}
		switch d.Name {
		case "ctl-go":
			d.Annotations[render.WaitingForPinAnnotation] = "stale"
		case "ctl-new":
			d.Annotations[render.WaitingForPinAnnotation] = "  "
		case "ctl-unsigned":
			d.Annotations[render.WaitingForPinAnnotation] = "\x1b]0;pwned\x07" + strings.Repeat("é", 4096)
		}
	}
	f := fleetOf(t, w)
	apps := byApp(f)
	assert.Empty(t, apps["dev/ctl-go"].WaitingFor)
	assert.Equal(t, "waiting for the first verified pin", apps["dev/ctl-new"].WaitingFor)
	long := apps["test/ctl-unsigned"].WaitingFor
	assert.LessOrEqual(t, len(long), 1024+len("…"))
	assert.True(t, strings.HasSuffix(long, "…"))
	assert.True(t, utf8.ValidString(long), "cut on a rune boundary")
	text := textOf(t, f)
	assert.NotContains(t, text, "\x1b")
	assert.NotContains(t, text, "\x07")
}
