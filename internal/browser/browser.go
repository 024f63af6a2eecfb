// Package browser drives a real headless Chromium (Debian's chromium
// package) over the Chrome DevTools Protocol for the project's browser
// tests: open a page at a viewport size, read its DOM with JavaScript
// evaluated in the page, press keys, take screenshots.
//
// It is a small CDP client (JSON messages over one WebSocket, sessions
// flattened) on golang.org/x/net/websocket, which the module already
// requires: chromedp would add a dozen modules to go.mod for the few
// commands the tests use. Only tests import it.
package browser

import (
	"bufio"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"sync"
	"time"
)

// Path is where Debian's chromium package puts the browser.
const Path = "/usr/bin/chromium"

// Flags are what Chromium needs on these machines (no sandbox as root,
// no GPU, nothing fetched from the network behind the test's back).
var Flags = []string{
	"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
	"--disable-background-networking", "--disable-component-update", "--disable-sync",
	"--disable-default-apps", "--disable-extensions", "--mute-audio", "--hide-scrollbars",
	"--remote-debugging-address=127.0.0.1", "--remote-debugging-port=0", "--remote-allow-origins=http://127.0.0.1",
}

// Browser is a running Chromium.
type Browser struct {
	cmd  *exec.Cmd
	dir  string
	conn *conn
	done chan struct{}
}

// Available says whether Chromium is installed.
func Available() bool {
	_, err := os.Stat(Path)
	return err == nil
}

// Start launches Chromium with a fresh profile in a temporary folder and
// connects to it. Close stops it and removes the profile.
func Start(ctx context.Context) (*Browser, error) {
	dir, err := os.MkdirTemp("", "goldenpath-browser-")
	if err != nil {
		return nil, err
	}
	args := append(append([]string{}, Flags...), "--user-data-dir="+dir, "about:blank")
	cmd := exec.Command(Path, args...)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		_ = os.RemoveAll(dir)
		return nil, fmt.Errorf("starting %s: %w (install Debian's chromium package)", Path, err)
	}
	b := &Browser{cmd: cmd, dir: dir, done: make(chan struct{})}
	found := make(chan string, 1)
	var log strings.Builder
	var mu sync.Mutex
	go func() {
		re := regexp.MustCompile(`DevTools listening on (ws://\S+)`)
		sc := bufio.NewScanner(stderr)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			mu.Lock()
			if log.Len() < 16<<10 {
				log.WriteString(sc.Text() + "\n")
			}
			mu.Unlock()
			if m := re.FindStringSubmatch(sc.Text()); m != nil {
				select {
				case found <- m[1]:
				default:
				}
			}
		}
	}()
	go func() { _ = cmd.Wait(); close(b.done) }()
	var ws string
	select {
	case ws = <-found:
	case <-b.done:
		mu.Lock()
		defer mu.Unlock()
		_ = os.RemoveAll(dir)
		return nil, fmt.Errorf("chromium exited before listening:\n%s", log.String())
	case <-time.After(2 * time.Minute):
		b.Close()
		return nil, errors.New("chromium did not start within 2 minutes")
	case <-ctx.Done():
		b.Close()
		return nil, ctx.Err()
	}
	c, err := dial(ws)
	if err != nil {
		b.Close()
		return nil, err
	}
	b.conn = c
	return b, nil
}

// Close stops Chromium and removes its profile.
func (b *Browser) Close() {
	if b.conn != nil {
		_ = b.conn.call(context.Background(), "", "Browser.close", nil, nil)
		b.conn.close()
	}
	select {
	case <-b.done:
	case <-time.After(10 * time.Second):
		_ = b.cmd.Process.Kill()
		<-b.done
	}
	_ = os.RemoveAll(b.dir)
}

// Page is a tab.
type Page struct {
	b       *Browser
	session string
	target  string
	// Dialogs counts the JavaScript dialogs (alert, confirm, prompt) the
	// page opened: a script that ran.
	Dialogs int
	mu      sync.Mutex
}

// NewPage opens a tab with the viewport's size in CSS pixels (mobile: a
// phone's touch viewport).
func (b *Browser) NewPage(ctx context.Context, width, height int, mobile bool) (*Page, error) {
	var created struct {
		TargetID string `json:"targetId"`
	}
	if err := b.conn.call(ctx, "", "Target.createTarget", map[string]any{"url": "about:blank"}, &created); err != nil {
		return nil, err
	}
	var attached struct {
		SessionID string `json:"sessionId"`
	}
	if err := b.conn.call(ctx, "", "Target.attachToTarget", map[string]any{"targetId": created.TargetID, "flatten": true}, &attached); err != nil {
		return nil, err
	}
	p := &Page{b: b, session: attached.SessionID, target: created.TargetID}
	b.conn.subscribe(p.session, "Page.javascriptDialogOpening", func(json.RawMessage) {
		p.mu.Lock()
		p.Dialogs++
		p.mu.Unlock()
		go func() {
			_ = p.call(context.Background(), "Page.handleJavaScriptDialog", map[string]any{"accept": true}, nil)
		}()
	})
	for _, m := range []string{"Page.enable", "Runtime.enable"} {
		if err := p.call(ctx, m, nil, nil); err != nil {
			return nil, err
		}
	}
	if err := p.call(ctx, "Page.setLifecycleEventsEnabled", map[string]any{"enabled": true}, nil); err != nil {
		return nil, err
	}
	scale := 1.0
	if mobile {
		scale = 2
	}
	if err := p.call(ctx, "Emulation.setDeviceMetricsOverride", map[string]any{
		"width": width, "height": height, "deviceScaleFactor": scale, "mobile": mobile,
	}, nil); err != nil {
		return nil, err
	}
	return p, nil
}

func (p *Page) call(ctx context.Context, method string, params, result any) error {
	return p.b.conn.call(ctx, p.session, method, params, result)
}

// Navigate loads the URL and waits for the load event of that very
// navigation (not of one still under way).
func (p *Page) Navigate(ctx context.Context, url string) error {
	var mu sync.Mutex
	loaded := map[string]bool{} // loaderIds whose load event fired
	changed := make(chan struct{}, 1)
	cancel := p.b.conn.subscribe(p.session, "Page.lifecycleEvent", func(raw json.RawMessage) {
		var ev struct {
			LoaderID string `json:"loaderId"`
			Name     string `json:"name"`
		}
		if json.Unmarshal(raw, &ev) == nil && ev.Name == "load" {
			mu.Lock()
			loaded[ev.LoaderID] = true
			mu.Unlock()
			select {
			case changed <- struct{}{}:
			default:
			}
		}
	})
	defer cancel()
	var nav struct {
		LoaderID  string `json:"loaderId"`
		ErrorText string `json:"errorText"`
	}
	if err := p.call(ctx, "Page.navigate", map[string]any{"url": url}, &nav); err != nil {
		return err
	}
	if nav.ErrorText != "" {
		return fmt.Errorf("navigating to %s: %s", url, nav.ErrorText)
	}
	for {
		mu.Lock()
		done := loaded[nav.LoaderID]
		mu.Unlock()
		if done {
			return nil
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return fmt.Errorf("loading %s: %w", url, ctx.Err())
		}
	}
}

// Eval evaluates a JavaScript expression in the page (awaiting a
// promise) and decodes its JSON value into out.
func (p *Page) Eval(ctx context.Context, expr string, out any) error {
	var res struct {
		Result struct {
			Value json.RawMessage `json:"value"`
		} `json:"result"`
		ExceptionDetails *struct {
			Text      string `json:"text"`
			Exception struct {
				Description string `json:"description"`
			} `json:"exception"`
		} `json:"exceptionDetails"`
	}
	if err := p.call(ctx, "Runtime.evaluate", map[string]any{"expression": expr, "returnByValue": true, "awaitPromise": true}, &res); err != nil {
		return err
	}
	if e := res.ExceptionDetails; e != nil {
		return fmt.Errorf("evaluating %q: %s %s", expr, e.Text, e.Exception.Description)
	}
	if out == nil || len(res.Result.Value) == 0 {
		return nil
	}
	return json.Unmarshal(res.Result.Value, out)
}

// Press sends a key press (key down and up) to the focused element: "Tab",
// "Enter", " " ... with shift for Shift+key.
func (p *Page) Press(ctx context.Context, key string, shift bool) error {
	codes := map[string]struct {
		code string
		vk   int
		text string
	}{"Tab": {"Tab", 9, ""}, "Enter": {"Enter", 13, "\r"}, " ": {"Space", 32, " "}}
	k, ok := codes[key]
	if !ok {
		return fmt.Errorf("key %q is not known", key)
	}
	mod := 0
	if shift {
		mod = 8
	}
	for _, typ := range []string{"keyDown", "keyUp"} {
		params := map[string]any{"type": typ, "key": key, "code": k.code, "windowsVirtualKeyCode": k.vk, "modifiers": mod}
		if typ == "keyDown" && k.text != "" {
			params["text"] = k.text
		}
		if err := p.call(ctx, "Input.dispatchKeyEvent", params, nil); err != nil {
			return err
		}
	}
	return nil
}

// Screenshot is a PNG of the whole page (beyond the viewport when it is
// longer) at the viewport's width.
func (p *Page) Screenshot(ctx context.Context) ([]byte, error) {
	var res struct {
		Data string `json:"data"`
	}
	if err := p.call(ctx, "Page.captureScreenshot", map[string]any{"format": "png", "captureBeyondViewport": true}, &res); err != nil {
		return nil, err
	}
	return base64.StdEncoding.DecodeString(res.Data)
}

// Close closes the tab.
func (p *Page) Close() {
	_ = p.b.conn.call(context.Background(), "", "Target.closeTarget", map[string]any{"targetId": p.target}, nil)
}
