package pipeline_test

import (
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/stretchr/testify/require"
)

// testRegistry is go-containerregistry's in-process registry with a request
// log and a switchable fault injector, shared by the pipeline's tests.
type testRegistry struct {
	Host  string
	fault atomic.Pointer[func(r *http.Request) bool] // true: answer 503
	mu    sync.Mutex
	log   []string // "METHOD /path?query"
}

func newTestRegistry(t *testing.T) *testRegistry {
	t.Helper()
	r := &testRegistry{}
	h := registry.New(registry.Logger(log.New(io.Discard, "", 0)))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		r.mu.Lock()
		r.log = append(r.log, req.Method+" "+req.URL.Path+"?"+req.URL.RawQuery)
		r.mu.Unlock()
		if f := r.fault.Load(); f != nil && (*f)(req) {
			http.Error(w, `{"errors":[{"code":"UNAVAILABLE","message":"injected fault"}]}`, http.StatusServiceUnavailable)
			return
		}
		h.ServeHTTP(w, req)
	}))
	t.Cleanup(srv.Close)
	r.Host = strings.TrimPrefix(srv.URL, "http://")
	return r
}

// setFault makes the registry answer 503 to the requests f picks (nil: none).
func (r *testRegistry) setFault(f func(*http.Request) bool) {
	if f == nil {
		r.fault.Store(nil)
		return
	}
	r.fault.Store(&f)
}

// count returns how many logged requests match method and contain part
// (path or query).
func (r *testRegistry) count(method, part string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, l := range r.log {
		if strings.HasPrefix(l, method+" ") && strings.Contains(l, part) {
			n++
		}
	}
	return n
}

func (r *testRegistry) resetLog() {
	r.mu.Lock()
	r.log = nil
	r.mu.Unlock()
}

// requests returns the requests served so far as "METHOD /path" and
// forgets them.
func (r *testRegistry) requests() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]string, len(r.log))
	for i, l := range r.log {
		out[i], _, _ = strings.Cut(l, "?")
	}
	r.log = nil
	return out
}

// push writes img to ref and returns its digest.
func (r *testRegistry) push(t *testing.T, ref string, img v1.Image) string {
	t.Helper()
	require.NoError(t, remote.Write(rbRef(t, ref), img))
	d, err := img.Digest()
	require.NoError(t, err)
	return d.String()
}

func (r *testRegistry) get(t *testing.T, ref string) v1.Image {
	t.Helper()
	img, err := remote.Image(rbRef(t, ref))
	require.NoError(t, err)
	return img
}
