//go:build incluster

package e2e_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/goldenpath-dev/goldenpath/goldenpath/cluster"
	"github.com/goldenpath-dev/goldenpath/internal/browser"
	"github.com/goldenpath-dev/goldenpath/internal/testenv"
	"github.com/goldenpath-dev/goldenpath/render"
)

// statusPage is the controller's status page as a user reaches it: kubectl
// port-forward to the controller's status port (with no status token it
// listens on 127.0.0.1 in the pod, README "The fleet at a glance"), opened
// in Debian's Chromium (internal/browser), read from the DOM the browser
// built.
type statusPage struct {
	s    *scenario
	ctx  context.Context
	url  string
	b    *browser.Browser
	page *browser.Page
	stop func()
}

// openStatusPage port-forwards the controller's status port and opens a
// 1280×800 page. Close ends both.
func (s *scenario) openStatusPage() *statusPage {
	s.t.Helper()
	require.True(s.t, browser.Available(), "%s is missing: apt-get install -y chromium (bash hack/setup.sh tools)", browser.Path)
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	port := testenv.FreePort(s.t)
	fwd := s.c.Command(ctx, "-n", ctlSystem, "port-forward", "deploy/"+render.ControllerName,
		fmt.Sprintf("%d:%d", port, render.ControllerStatusPort), "--address", "127.0.0.1")
	fwd.Stdout, fwd.Stderr = io.Discard, logWriter{s.t} // stdout says "Handling connection" per request
	require.NoError(s.t, fwd.Start())
	p := &statusPage{s: s, ctx: ctx, url: fmt.Sprintf("http://127.0.0.1:%d", port)}
	p.stop = func() { cancel(); _ = fwd.Wait() }
	s.eventually(time.Minute, "the status page through kubectl port-forward", func() error {
		resp, err := (&http.Client{Timeout: 5 * time.Second}).Get(p.url + "/healthz")
		if err != nil {
			return err
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("/healthz: %s", resp.Status)
		}
		return nil
	})
	b, err := browser.Start(ctx)
	if err != nil {
		p.stop()
	}
	require.NoError(s.t, err)
	p.b = b
	p.page, err = b.NewPage(ctx, 1280, 800, false)
	if err != nil {
		p.Close()
	}
	require.NoError(s.t, err)
	return p
}

func (p *statusPage) Close() {
	if p.b != nil {
		p.b.Close()
	}
	p.stop()
}

// apps loads the applications table (every row, no auto-refresh) and
// reads it, per environment/application.
func (p *statusPage) apps() (map[string]browser.AppRow, error) {
	if err := p.page.Navigate(p.ctx, p.url+"/?per=all&refresh=0"); err != nil {
		return nil, err
	}
	rows, err := p.page.Apps(p.ctx)
	if err != nil {
		return nil, err
	}
	out := map[string]browser.AppRow{}
	for _, r := range rows {
		out[r.Environment+"/"+r.Application] = r
	}
	return out, nil
}

// fleet is `goldenpath status -o json` for every application.
func (s *scenario) fleet() *cluster.Fleet {
	s.t.Helper()
	out, err := s.goldenpath("status", "--platform", s.platform, "-o", "json")
	require.NoError(s.t, err)
	var f cluster.Fleet
	require.NoError(s.t, json.Unmarshal([]byte(out), &f))
	return &f
}

// sameAsStatus says how the page's rows differ from what `goldenpath
// status -o json` says ("" when they agree): a row per application, and
// per row the run image state, the latest build's result and failed step,
// the signature, the pinned digest and whether it waits for its first
// verified pin.
func sameAsStatus(f *cluster.Fleet, rows map[string]browser.AppRow) string {
	var diff []string
	if len(rows) != len(f.Apps) {
		diff = append(diff, fmt.Sprintf("%d rows on the page, %d applications in status", len(rows), len(f.Apps)))
	}
	for _, a := range f.Apps {
		name := a.Environment + "/" + a.Application
		r, ok := rows[name]
		if !ok {
			diff = append(diff, name+": no row")
			continue
		}
		result, step := "", ""
		if b := a.LatestBuild; b != nil {
			result, step = b.Result, b.FailedStep
		}
		waiting := ""
		if a.WaitingFor != "" {
			waiting = "waiting for the first verified pin"
		}
		for _, c := range []struct{ what, page, status string }{
			{"state", r.State, a.State}, {"result", r.Result, result}, {"failed step", r.FailedStep, step},
			{"signed", r.Signed, a.Signed}, {"waiting", r.Waiting, waiting},
		} {
			if c.page != c.status {
				diff = append(diff, fmt.Sprintf("%s: %s %q on the page, %q in status", name, c.what, c.page, c.status))
			}
		}
		if pinned := cluster.ShortDigest(a.Pinned); a.Pinned != "" && !strings.Contains(r.Pinned, pinned) {
			diff = append(diff, fmt.Sprintf("%s: pinned %q on the page, %s in status", name, r.Pinned, pinned))
		}
		if a.Pinned == "" && strings.Contains(r.Pinned, "sha256:") {
			diff = append(diff, fmt.Sprintf("%s: pinned %q on the page, not pinned in status", name, r.Pinned))
		}
	}
	return strings.Join(diff, "\n")
}

// agreeWithStatus waits until the page shows what `goldenpath status -o
// json` says for every application (the controller's page reads its
// informer cache, the CLI the API server: they may differ for a moment)
// and returns both.
func (p *statusPage) agreeWithStatus(what string) (*cluster.Fleet, map[string]browser.AppRow) {
	p.s.t.Helper()
	var f *cluster.Fleet
	var rows map[string]browser.AppRow
	p.s.eventually(3*time.Minute, "the page in Chromium shows what goldenpath status says ("+what+")", func() error {
		var err error
		f = p.s.fleet()
		if rows, err = p.apps(); err != nil {
			return err
		}
		if d := sameAsStatus(f, rows); d != "" {
			return fmt.Errorf("%s", d)
		}
		return nil
	})
	return f, rows
}

// screenshots writes the page at path at 1280×800 and 390×844 to
// $GOLDENPATH_SCREENSHOTS/status-kind-NAME-{1280,390}.png when that is set;
// open, when not "", is JavaScript run before (such as opening a failure).
func (p *statusPage) screenshots(path, name, open string) {
	p.s.t.Helper()
	dir := os.Getenv("GOLDENPATH_SCREENSHOTS")
	if dir == "" {
		return
	}
	for _, size := range []struct {
		w, h   int
		mobile bool
	}{{1280, 800, false}, {390, 844, true}} {
		page, err := p.b.NewPage(p.ctx, size.w, size.h, size.mobile)
		require.NoError(p.s.t, err)
		require.NoError(p.s.t, page.Navigate(p.ctx, p.url+path))
		if open != "" {
			require.NoError(p.s.t, page.Eval(p.ctx, open, nil))
		}
		png, err := page.Screenshot(p.ctx)
		require.NoError(p.s.t, err)
		file := filepath.Join(dir, fmt.Sprintf("status-kind-%s-%d.png", name, size.w))
		require.NoError(p.s.t, os.WriteFile(file, png, 0o644))
		p.s.t.Logf("screenshot %s", file)
		page.Close()
	}
}
