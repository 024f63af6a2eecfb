package statuspage_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/goldenpath-dev/goldenpath/goldenpath/cluster"
	"github.com/goldenpath-dev/goldenpath/goldenpath/output"
	"github.com/goldenpath-dev/goldenpath/goldenpath/statuspage"
	"github.com/goldenpath-dev/goldenpath/internal/fleettest"
)

var start = time.Date(2026, 11, 29, 9, 0, 0, 0, time.UTC)

// xssBranch is a git branch name the contract accepts (a valid ref) that
// is HTML with script in it.
const xssBranch = `"><img/src=x/onerror=alert(1)><script>alert(2)</script>`

// xssExcerpt is a build log excerpt (what the compiler printed of the
// source) that is HTML with script in it.
const xssExcerpt = "./main.go:3:1: syntax error near <script>document.title='pwned'</script>\n<img src=x onerror=\"document.title='pwned'\">"

// world is a fleet after a patched run image and broken commits, with an
// application whose contract and build log hold HTML.
func world(t testing.TB) *fleettest.World {
	t.Helper()
	w := fleettest.New(start)
	w.VerifySignatures() // as the in-cluster scenario's platform: ctl-unsigned waits for its first verified pin
	old := func() []fleettest.Build {
		return []fleettest.Build{{Result: "succeeded", Reasons: "COMMIT", Run: 0, At: -time.Hour, Verified: "true", Pin: true}}
	}
	apps := []fleettest.App{
		{Env: "dev", Name: "ctl-go", Owner: "team-go", ID: "APP-9000", Pinned: 1, Builds: append(old(),
			fleettest.Build{Result: "failed", Reasons: "COMMIT", At: -time.Minute, Step: "build", Exit: 51, Excerpt: "./main.go:18:6: undefined: brokenOnPurpose"},
			fleettest.Build{Result: "failed", Reasons: "STACK", At: 10 * time.Second, Step: "build", Exit: 51, Excerpt: "./main.go:18:6: undefined: brokenOnPurpose"})},
		{Env: "dev", Name: "ctl-nodejs", Owner: "team-web", ID: "APP-9001", Pinned: 2, Builds: append(old(),
			fleettest.Build{Result: "succeeded", Reasons: "STACK", Run: 1, At: 20 * time.Second, Verified: "true", Pin: true})},
		{Env: "dev", Name: "ctl-python", Owner: "team-data", ID: "APP-9002", Pinned: 2, Builds: append(old(),
			fleettest.Build{Result: "succeeded", Reasons: "STACK", Run: 1, At: 30 * time.Second, Verified: "true", Pin: true})},
		{Env: "dev", Name: "ctl-xss", Owner: "team-web", ID: "APP-9004", Branch: xssBranch, Pinned: 1, Builds: append(old(),
			fleettest.Build{Result: "failed", Reasons: "COMMIT", At: 40 * time.Second, Step: "build", Exit: 1, Excerpt: xssExcerpt})},
		{Env: "test", Name: "ctl-unsigned", Owner: "team-go", ID: "APP-9003", Builds: []fleettest.Build{
			{Result: "succeeded", Reasons: "CONFIG", Run: 0, At: -time.Hour, Verified: "false", Refused: "unsigned: the digest is not signed"},
			{Result: "succeeded", Reasons: "STACK", Run: 1, At: 15 * time.Second, Verified: "false", Refused: "unsigned: the digest is not signed"},
		}},
	}
	for _, a := range apps {
		require.NoError(t, w.Add(a))
	}
	return w
}

// source reads the world through cluster.Status, as the controller and
// `status --serve` do.
func source(t testing.TB, w *fleettest.World) statuspage.Source {
	t.Helper()
	r, err := w.Reader()
	require.NoError(t, err)
	return func(ctx context.Context) (*cluster.Fleet, error) {
		return cluster.Status(ctx, cluster.StatusRequest{Platform: w.Platform, Reader: r, Now: func() time.Time { return start.Add(10 * time.Minute) }})
	}
}

func get(t *testing.T, h http.Handler, path string, header ...string) *http.Response {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, path, nil)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec.Result()
}

func TestHeadersAndRoutes(t *testing.T) {
	h, err := statuspage.New(statuspage.Config{Source: source(t, world(t))})
	require.NoError(t, err)
	for _, path := range []string{"/", "/rollout", "/api/v1/status", "/static/style.css"} {
		resp := get(t, h, path)
		assert.Equal(t, http.StatusOK, resp.StatusCode, path)
		csp := resp.Header.Get("Content-Security-Policy")
		assert.Contains(t, csp, "default-src 'none'", path)
		assert.NotContains(t, csp, "script-src", path)
		assert.Equal(t, "nosniff", resp.Header.Get("X-Content-Type-Options"), path)
		assert.Equal(t, "no-store", resp.Header.Get("Cache-Control"), path)
	}
	assert.Equal(t, "text/html; charset=utf-8", get(t, h, "/").Header.Get("Content-Type"))
	assert.Equal(t, "application/json", get(t, h, "/api/v1/status").Header.Get("Content-Type"))
	assert.Equal(t, http.StatusNotFound, get(t, h, "/nope").StatusCode)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/", strings.NewReader("x")))
	assert.Equal(t, http.StatusMethodNotAllowed, rec.Code)
}

// The JSON API is `goldenpath status -o json`'s document, through the
// page's filters.
func TestAPI(t *testing.T) {
	src := source(t, world(t))
	h, err := statuspage.New(statuspage.Config{Source: src})
	require.NoError(t, err)
	f, err := src(context.Background())
	require.NoError(t, err)
	var want bytes.Buffer
	require.NoError(t, cluster.StatusOutput[output.JSON].Print(&want, f))
	got, err := io.ReadAll(get(t, h, "/api/v1/status").Body)
	require.NoError(t, err)
	assert.JSONEq(t, want.String(), string(got))

	var filtered cluster.Fleet
	require.NoError(t, json.NewDecoder(get(t, h, "/api/v1/status?state=rebuild-needed").Body).Decode(&filtered))
	var names []string
	for _, a := range filtered.Apps {
		names = append(names, a.Environment+"/"+a.Application)
	}
	assert.ElementsMatch(t, []string{"dev/ctl-go", "dev/ctl-xss", "test/ctl-unsigned"}, names)
	for _, b := range filtered.Rollouts[0].Behind {
		assert.Equal(t, cluster.StateRebuildNeeded, b.State)
	}
}

func TestToken(t *testing.T) {
	var logs bytes.Buffer
	const token = "s3cret-token-value"
	h, err := statuspage.New(statuspage.Config{Source: source(t, world(t)), Token: token, Log: slog.New(slog.NewTextHandler(&logs, nil))})
	require.NoError(t, err)
	for _, auth := range []string{"", "Bearer", "Bearer wrong", "Basic " + token, "Bearer " + token + "x", "Bearer  x" + token} {
		for _, path := range []string{"/", "/rollout", "/api/v1/status", "/static/style.css"} {
			resp := get(t, h, path, "Authorization", auth)
			assert.Equal(t, http.StatusUnauthorized, resp.StatusCode, "%q %s", auth, path)
			assert.Contains(t, resp.Header.Get("WWW-Authenticate"), "Bearer")
		}
	}
	assert.Equal(t, http.StatusOK, get(t, h, "/", "Authorization", "Bearer "+token).StatusCode)
	assert.Equal(t, http.StatusOK, get(t, h, "/api/v1/status", "Authorization", "bearer "+token).StatusCode, "the scheme is case-insensitive")
	assert.Equal(t, http.StatusOK, get(t, h, "/healthz").StatusCode, "health needs no token")
	assert.NotEmpty(t, logs.String())
	assert.NotContains(t, logs.String(), token, "the token is never logged")
	assert.NotContains(t, logs.String(), "wrong")
}

// A source that fails answers 502 as text, its message escaped by being
// text/plain.
func TestSourceError(t *testing.T) {
	h, err := statuspage.New(statuspage.Config{Source: func(context.Context) (*cluster.Fleet, error) {
		return nil, errors.New(`forbidden: <script>alert(1)</script>`)
	}})
	require.NoError(t, err)
	resp := get(t, h, "/")
	assert.Equal(t, http.StatusBadGateway, resp.StatusCode)
	assert.Equal(t, "text/plain; charset=utf-8", resp.Header.Get("Content-Type"))
}

func TestCheckAddr(t *testing.T) {
	for _, ok := range []string{"127.0.0.1:8082", "localhost:0", "[::1]:8082", "127.1.2.3:9"} {
		assert.NoError(t, statuspage.CheckAddr(ok, false), ok)
	}
	for _, bad := range []string{":8082", "0.0.0.0:8082", "[::]:8082", "10.0.0.1:8082", "example.com:80"} {
		assert.ErrorContains(t, statuspage.CheckAddr(bad, false), "not a loopback address", bad)
		assert.NoError(t, statuspage.CheckAddr(bad, true), "with a token: %s", bad)
	}
	assert.ErrorContains(t, statuspage.CheckAddr("8082", false), "host:port")
}
