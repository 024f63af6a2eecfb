package statuspage_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/goldenpath-dev/goldenpath/goldenpath/statuspage"
	"github.com/goldenpath-dev/goldenpath/internal/browser"
)

// startBrowser starts Debian's Chromium, or skips when it is not installed
// (it fails instead when GOLDENPATH_BROWSER_TESTS=1, as in CI).
func startBrowser(t *testing.T) (*browser.Browser, context.Context) {
	t.Helper()
	if !browser.Available() {
		if os.Getenv("GOLDENPATH_BROWSER_TESTS") == "1" {
			t.Fatalf("%s is missing: apt-get install -y chromium", browser.Path)
		}
		t.Skipf("SKIPPED: no %s (apt-get install -y chromium); GOLDENPATH_BROWSER_TESTS=1 makes this a failure", browser.Path)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	t.Cleanup(cancel)
	b, err := browser.Start(ctx)
	require.NoError(t, err)
	t.Cleanup(b.Close)
	return b, ctx
}

// openPage serves the world's page (refresh as Config.Refresh) and opens
// path in a 1280×800 page of the browser.
func openPage(t *testing.T, refresh time.Duration, path string) (*browser.Page, *countingServer, context.Context) {
	t.Helper()
	b, ctx := startBrowser(t)
	h, err := statuspage.New(statuspage.Config{Source: source(t, world(t)), Refresh: refresh})
	require.NoError(t, err)
	srv := serve(t, h)
	page, err := b.NewPage(ctx, 1280, 800, false)
	require.NoError(t, err)
	require.NoError(t, page.Navigate(ctx, srv.URL+path))
	return page, srv, ctx
}

// countingServer serves the page and counts the requests per URL.
type countingServer struct {
	*httptest.Server
	mu   sync.Mutex
	hits map[string]int
}

func serve(t *testing.T, h http.Handler) *countingServer {
	s := &countingServer{hits: map[string]int{}}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.hits[r.URL.RequestURI()]++
		s.mu.Unlock()
		h.ServeHTTP(w, r)
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *countingServer) count(uri string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.hits[uri]
}

// The page in a real browser: every application with its state, read from
// the DOM; contract and log values holding HTML shown as text with no
// script run; filters and search; the roll-out view.
func TestPageInBrowser(t *testing.T) {
	page, srv, ctx := openPage(t, -1, "/")
	var title string
	require.NoError(t, page.Eval(ctx, "document.title", &title))

	rows, err := page.Apps(ctx)
	require.NoError(t, err)
	byName := map[string]browser.AppRow{}
	for _, r := range rows {
		byName[r.Environment+"/"+r.Application] = r
	}
	require.Len(t, byName, 5)
	goRow := byName["dev/ctl-go"]
	assert.Equal(t, "rebuild needed", goRow.State)
	assert.Equal(t, "failed", goRow.Result)
	assert.Equal(t, "build", goRow.FailedStep)
	assert.Equal(t, "./main.go:18:6: undefined: brokenOnPurpose", goRow.Excerpt)
	assert.False(t, goRow.ExcerptShown, "the excerpt is collapsed until asked for")
	assert.Contains(t, goRow.Why, "build 3 failed in step build (exit 51)")
	assert.Equal(t, "team-go", goRow.Owner)
	assert.Equal(t, "APP-9000", goRow.ID)
	assert.Equal(t, "yes", goRow.Signed)
	assert.Equal(t, "Synced", goRow.Sync)
	assert.Equal(t, "Healthy", goRow.Health)
	for _, name := range []string{"dev/ctl-nodejs", "dev/ctl-python"} {
		assert.Equal(t, "patched", byName[name].State, name)
		assert.Equal(t, "succeeded", byName[name].Result, name)
	}
	unsigned := byName["test/ctl-unsigned"]
	assert.Equal(t, "rebuild needed", unsigned.State)
	assert.Equal(t, "no", unsigned.Signed)
	assert.Contains(t, unsigned.Refused, "unsigned: the digest is not signed")
	assert.Equal(t, "waiting for the first verified pin", unsigned.Waiting, "render's verify gate, read from the Deployment")
	assert.Contains(t, unsigned.WaitingFor, "no pod runs until a signed digest is pinned")
	assert.Contains(t, unsigned.Pinned, "0/0 ready")
	for _, name := range []string{"dev/ctl-go", "dev/ctl-nodejs", "dev/ctl-python"} {
		assert.Empty(t, byName[name].Waiting, "%s is pinned", name)
		assert.NotContains(t, byName[name].Pinned, "waiting", name)
	}

	// HTML in a contract value (the branch) and in a build log is text.
	xss := byName["dev/ctl-xss"]
	assert.Equal(t, xssBranch, xss.Revision)
	assert.Equal(t, xssExcerpt, xss.Excerpt)
	var injected struct {
		Scripts, Images int
		Title           string
	}
	require.NoError(t, page.Eval(ctx, `({Scripts: document.querySelectorAll('script').length, Images: document.querySelectorAll('img').length, Title: document.title})`, &injected))
	assert.Zero(t, injected.Scripts, "no script element")
	assert.Zero(t, injected.Images, "no img element")
	assert.Equal(t, title, injected.Title)
	assert.NotEqual(t, "pwned", injected.Title)
	assert.Zero(t, page.Dialogs, "no alert ran")

	// Expanding the excerpt.
	require.NoError(t, page.Eval(ctx, `document.querySelector('#app-dev-ctl-go summary').click()`, nil))
	rows, err = page.Apps(ctx)
	require.NoError(t, err)
	for _, r := range rows {
		assert.Equal(t, r.Application == "ctl-go", r.ExcerptShown, r.Application)
	}

	// Filters and search, in the URL.
	for query, want := range map[string][]string{
		"?env=test":                    {"test/ctl-unsigned"},
		"?owner=team-web":              {"dev/ctl-nodejs", "dev/ctl-xss"},
		"?state=patched":               {"dev/ctl-nodejs", "dev/ctl-python"},
		"?state=unsigned&env=test":     {"test/ctl-unsigned"},
		"?state=waiting-for-pin":       {"test/ctl-unsigned"},
		"?q=brokenOnPurpose":           {"dev/ctl-go"},
		"?q=APP-9001":                  {"dev/ctl-nodejs"},
		"?env=dev&state=build-failed":  {"dev/ctl-go", "dev/ctl-xss"},
		"?q=" + "%3Cscript%3Edocument": {"dev/ctl-xss"},
	} {
		require.NoError(t, page.Navigate(ctx, srv.URL+"/"+query))
		rows, err := page.Apps(ctx)
		require.NoError(t, err)
		var got []string
		for _, r := range rows {
			got = append(got, r.Environment+"/"+r.Application)
		}
		assert.ElementsMatch(t, want, got, query)
	}
	// The form keeps what the URL says.
	require.NoError(t, page.Navigate(ctx, srv.URL+"/?q=%3Cscript%3Edocument&env=dev"))
	var selected struct{ Env, Q string }
	require.NoError(t, page.Eval(ctx, `({Env: document.querySelector('select[name=env]').value, Q: document.querySelector('input[name=q]').value})`, &selected))
	assert.Equal(t, "dev", selected.Env)
	assert.Equal(t, "<script>document", selected.Q)
	require.NoError(t, page.Navigate(ctx, srv.URL+"/?env=dev&owner=team-go"))
	require.NoError(t, page.Eval(ctx, `document.querySelector('input[name=q]').value = 'ctl'; document.querySelector('form.filters button').click()`, nil))
	waitFor(t, ctx, page, `location.search`, "?env=dev&owner=team-go&state=&q=ctl")

	// The roll-out view.
	require.NoError(t, page.Navigate(ctx, srv.URL+"/rollout"))
	rollouts, err := page.Rollouts(ctx)
	require.NoError(t, err)
	require.Len(t, rollouts, 1)
	r := rollouts[0]
	assert.Equal(t, "default", r.Stack)
	assert.Equal(t, "2", r.Serving)
	assert.Equal(t, "5", r.Apps)
	assert.Equal(t, "40%", r.Share)
	assert.Equal(t, 3, r.Lines, "serving, pinned and built")
	assert.GreaterOrEqual(t, r.Points, 4, "a step per application that came to serve")
	var behind []string
	for _, x := range r.Behind {
		behind = append(behind, x.Environment+"/"+x.Application+": "+x.State)
	}
	assert.ElementsMatch(t, []string{"dev/ctl-go: rebuild needed", "dev/ctl-xss: rebuild needed", "test/ctl-unsigned: rebuild needed"}, behind)
	assert.Zero(t, page.Dialogs)
}

// waitFor polls a JavaScript expression until it gives want (a failure
// guard: 30 s).
func waitFor(t *testing.T, ctx context.Context, page *browser.Page, expr, want string) {
	t.Helper()
	var got string
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		if err := page.Eval(ctx, expr, &got); err == nil && got == want {
			return
		}
	}
	t.Fatalf("%s: %q, want %q", expr, got, want)
}

// The page reloads itself with its filters (they are in the URL).
func TestAutoRefreshKeepsFilters(t *testing.T) {
	uri := "/?env=dev&state=build-failed&refresh=1"
	page, srv, ctx := openPage(t, 0, uri)
	deadline := time.Now().Add(time.Minute)
	for srv.count(uri) < 3 && time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
	}
	assert.GreaterOrEqual(t, srv.count(uri), 3, "reloaded twice with the same filters")
	rows, err := page.Apps(ctx)
	require.NoError(t, err)
	for _, r := range rows {
		assert.Equal(t, "failed", r.Result)
	}
	// Pausing: the link turns the refresh off and keeps the filters.
	var pause string
	require.NoError(t, page.Eval(ctx, `document.querySelector('header .read a').getAttribute('href')`, &pause))
	assert.Equal(t, "?env=dev&refresh=0&state=build-failed", pause)
}

// Every control can be reached with Tab, and a failure opened with Enter.
func TestKeyboard(t *testing.T) {
	page, _, ctx := openPage(t, -1, "/?env=dev&owner=team-go")
	var focused []string
	for i := 0; i < 14; i++ {
		require.NoError(t, page.Press(ctx, "Tab", false))
		var what string
		require.NoError(t, page.Eval(ctx, `(e => e.tagName.toLowerCase() + (e.name ? '[' + e.name + ']' : ':' + e.textContent.trim()))(document.activeElement)`, &what))
		focused = append(focused, what)
		if what == "summary:failed in step build (exit 51)" {
			break
		}
	}
	assert.Equal(t, []string{
		"a:Skip to the content", "a:Applications", "a:Patch roll-out", "a:JSON", "a:reload automatically",
		"select[env]", "select[owner]", "select[state]", "input[q]", "button:Filter", "a:Clear", "summary:failed in step build (exit 51)",
	}, focused)
	require.NoError(t, page.Press(ctx, "Enter", false))
	rows, err := page.Apps(ctx)
	require.NoError(t, err)
	require.Len(t, rows, 1)
	assert.True(t, rows[0].ExcerptShown, "Enter opened the failure")
}

// The page at a desktop and at a phone's width: nothing wider than the
// screen, rows become cards on the phone. Screenshots go to
// $GOLDENPATH_SCREENSHOTS when set.
func TestWidths(t *testing.T) {
	b, ctx := startBrowser(t)
	h, err := statuspage.New(statuspage.Config{Source: source(t, world(t)), Refresh: -1})
	require.NoError(t, err)
	srv := serve(t, h)
	for _, size := range []struct {
		name          string
		w, h          int
		mobile        bool
		rowDisplay    string
		headerVisible bool
	}{{"1280", 1280, 800, false, "table-row", true}, {"390", 390, 844, true, "block", false}} {
		page, err := b.NewPage(ctx, size.w, size.h, size.mobile)
		require.NoError(t, err)
		for _, path := range []string{"/", "/rollout"} {
			require.NoError(t, page.Navigate(ctx, srv.URL+path))
			var m struct {
				ScrollWidth, Inner int
				Display            string
				HeaderHeight       float64
			}
			require.NoError(t, page.Eval(ctx, `({ScrollWidth: document.documentElement.scrollWidth, Inner: window.innerWidth,
				Display: (document.querySelector('table.apps tbody tr, table.behind tbody tr') || document.body).ownerDocument.defaultView.getComputedStyle(document.querySelector('table.apps tbody tr, table.behind tbody tr')).display,
				HeaderHeight: (document.querySelector('table.apps thead, table.behind thead')).getBoundingClientRect().height})`, &m))
			assert.LessOrEqual(t, m.ScrollWidth, m.Inner, "%s %s: nothing wider than the screen", size.name, path)
			assert.Equal(t, size.rowDisplay, m.Display, "%s %s", size.name, path)
			assert.Equal(t, size.headerVisible, m.HeaderHeight > 2, "%s %s: table header", size.name, path)
			if dir := os.Getenv("GOLDENPATH_SCREENSHOTS"); dir != "" {
				png, err := page.Screenshot(ctx)
				require.NoError(t, err)
				name := map[string]string{"/": "apps", "/rollout": "rollout"}[path]
				require.NoError(t, os.WriteFile(filepath.Join(dir, "status-"+name+"-"+size.name+".png"), png, 0o644))
			}
		}
		page.Close()
	}
}
