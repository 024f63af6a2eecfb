// Package statuspage serves the platform's status as a read-only web
// page and a JSON API: one row per application and environment (owner
// and id, pinned digest and its age, latest build with its reasons,
// result and failure, the run image against its ClusterStack's newest,
// signature and provenance, Argo CD's sync and health), filters and a
// search kept in the URL, and a patch roll-out view per ClusterStack
// (the share of applications serving from its newest run image over
// time, as a server-drawn SVG, and those behind with why).
//
// The page is html/template with its stylesheet embedded: no script, no
// CDN, nothing fetched from elsewhere, every value escaped, and a
// Content-Security-Policy that would stop a script even if one slipped
// in. It is served by goldenpath's controller and by
// `goldenpath status --serve` against a kubeconfig; the data is
// cluster.Status's (goldenpath/cluster).
//
// Routes, relative to where the handler is mounted:
//
//	GET /                 the applications (?env=&owner=&state=&q=&refresh=)
//	GET /rollout          the patch roll-out view (same filters)
//	GET /api/v1/status    the cluster.Fleet as JSON (same filters), as
//	                      `goldenpath status -o json` prints it
//	GET /static/style.css the stylesheet
//	GET /healthz          ok (no token needed)
package statuspage

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"embed"
	"errors"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/goldenpath-dev/goldenpath/goldenpath/cluster"
	"github.com/goldenpath-dev/goldenpath/goldenpath/output"
)

//go:embed templates/*.html static/*
var assets embed.FS

// Source reads the fleet, once per request.
type Source func(ctx context.Context) (*cluster.Fleet, error)

// Config configures the handler.
type Config struct {
	// Source reads the fleet. Required.
	Source Source
	// Token, when set, is the bearer token every request but /healthz
	// must carry (Authorization: Bearer TOKEN); compared in constant time
	// and never logged. Empty: no token (the page is then meant to be
	// reached through kubectl port-forward, behind Kubernetes' own
	// authentication).
	Token string
	// Refresh is how often the page reloads itself, keeping its filters
	// (the URL's refresh overrides it). Default 30s; negative: never.
	Refresh time.Duration
	// Log receives a line per request (method, path, status, duration):
	// never a header. Default: none.
	Log *slog.Logger
}

type handler struct {
	cfg    Config
	tmpl   *template.Template
	static http.Handler
	token  [sha256.Size]byte
}

// New returns the status page's handler.
func New(cfg Config) (http.Handler, error) {
	if cfg.Source == nil {
		return nil, errors.New("statuspage: no source")
	}
	switch {
	case cfg.Refresh == 0:
		cfg.Refresh = 30 * time.Second
	case cfg.Refresh < 0:
		cfg.Refresh = 0
	}
	tmpl, err := template.New("page").Funcs(funcs).ParseFS(assets, "templates/*.html")
	if err != nil {
		return nil, err
	}
	static, err := fs.Sub(assets, "static")
	if err != nil {
		return nil, err
	}
	h := &handler{cfg: cfg, tmpl: tmpl, static: http.StripPrefix("/static/", http.FileServer(http.FS(static)))}
	if cfg.Token != "" {
		h.token = sha256.Sum256([]byte(cfg.Token))
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("ok\n")) })
	mux.Handle("GET /static/", h.auth(h.static))
	mux.Handle("GET /api/v1/status", h.auth(http.HandlerFunc(h.api)))
	mux.Handle("GET /rollout", h.auth(h.page("rollout", "Patch roll-out")))
	mux.Handle("GET /{$}", h.auth(h.page("apps", "Applications")))
	return h.logged(secured(mux)), nil
}

var funcs = template.FuncMap{
	"short":   cluster.ShortDigest,
	"join":    strings.Join,
	"rfc3339": func(t time.Time) string { return t.UTC().Format(time.RFC3339) },
	"stamp":   func(t time.Time) string { return t.UTC().Format("2006-01-02 15:04:05") },
}

// auth checks the bearer token, when there is one.
func (h *handler) auth(next http.Handler) http.Handler {
	if h.cfg.Token == "" {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		scheme, given, _ := strings.Cut(r.Header.Get("Authorization"), " ")
		sum := sha256.Sum256([]byte(strings.TrimSpace(given))) // equal lengths: the comparison says nothing of the token's length
		if !strings.EqualFold(scheme, "Bearer") || subtle.ConstantTimeCompare(sum[:], h.token[:]) != 1 {
			w.Header().Set("WWW-Authenticate", `Bearer realm="goldenpath status"`)
			http.Error(w, "a bearer token is required (Authorization: Bearer ...)", http.StatusUnauthorized)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// secured sets the headers of every answer: a policy that allows nothing
// but this server's stylesheet (no script at all, no frames, forms only
// to itself), no sniffing, no referrer, no caching.
func secured(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hd := w.Header()
		hd.Set("Content-Security-Policy", "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'")
		hd.Set("X-Content-Type-Options", "nosniff")
		hd.Set("X-Frame-Options", "DENY")
		hd.Set("Referrer-Policy", "no-referrer")
		hd.Set("Cache-Control", "no-store")
		next.ServeHTTP(w, r)
	})
}

type statusRecorder struct {
	http.ResponseWriter
	code int
}

func (s *statusRecorder) WriteHeader(code int) {
	s.code = code
	s.ResponseWriter.WriteHeader(code)
}

// logged writes a line per request: method, path, status and duration
// (no query, no header).
func (h *handler) logged(next http.Handler) http.Handler {
	if h.cfg.Log == nil {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &statusRecorder{ResponseWriter: w, code: http.StatusOK}
		next.ServeHTTP(rec, r)
		h.cfg.Log.Info("status page", "method", r.Method, "path", r.URL.Path, "status", rec.code, "ms", time.Since(start).Milliseconds())
	})
}

// fleet reads the fleet; an error answers 502 with the error's text
// (escaped: http.Error writes text/plain).
func (h *handler) fleet(w http.ResponseWriter, r *http.Request) (*cluster.Fleet, bool) {
	f, err := h.cfg.Source(r.Context())
	if err != nil {
		if h.cfg.Log != nil {
			h.cfg.Log.Warn("status page: reading the cluster", "error", err)
		}
		http.Error(w, "reading the cluster: "+err.Error(), http.StatusBadGateway)
		return nil, false
	}
	return f, true
}

// page renders one of the HTML views.
func (h *handler) page(name, title string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f, ok := h.fleet(w, r)
		if !ok {
			return
		}
		v := newPage(f, parseFilter(r.URL.Query(), h.cfg.Refresh), h.cfg.Refresh)
		v.Title, v.DefaultRefresh = title, int(h.cfg.Refresh.Seconds())
		var buf bytes.Buffer
		if err := h.tmpl.ExecuteTemplate(&buf, name, v); err != nil {
			http.Error(w, "rendering the page: "+err.Error(), http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = w.Write(buf.Bytes())
	})
}

// api serves the fleet as JSON, through the same filters as the page.
func (h *handler) api(w http.ResponseWriter, r *http.Request) {
	f, ok := h.fleet(w, r)
	if !ok {
		return
	}
	f = Filtered(f, parseFilter(r.URL.Query(), h.cfg.Refresh))
	var buf bytes.Buffer
	if err := cluster.StatusOutput[output.JSON].Print(&buf, f); err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(buf.Bytes())
}

// Filtered is the fleet with only the applications the filter shows (and
// only those among each roll-out's applications behind).
func Filtered(f *cluster.Fleet, flt Filter) *cluster.Fleet {
	if !flt.Active() {
		return f
	}
	out := *f
	out.Apps = []cluster.AppStatus{}
	shown := map[string]bool{}
	for i := range f.Apps {
		if flt.Match(&f.Apps[i]) {
			out.Apps = append(out.Apps, f.Apps[i])
			shown[f.Apps[i].Environment+"/"+f.Apps[i].Application] = true
		}
	}
	out.Rollouts = make([]cluster.Rollout, len(f.Rollouts))
	for i, r := range f.Rollouts {
		r.Behind = []cluster.Behind{}
		for _, b := range f.Rollouts[i].Behind {
			if shown[b.Environment+"/"+b.Application] {
				r.Behind = append(r.Behind, b)
			}
		}
		out.Rollouts[i] = r
	}
	return &out
}
