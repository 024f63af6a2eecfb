package registry

import (
	"net/http"
	"strings"
	"sync"
	"time"
)

// Stats counts registry requests by kind (ping, auth, manifest-get,
// manifest-head, manifest-put, blob-get, blob-head, blob-mount,
// blob-upload, blob-patch, blob-put, other) and the time until their
// answers, summed over the concurrent workers. Retries count as requests.
type Stats struct {
	Requests map[string]int     `json:"count"`
	Seconds  map[string]float64 `json:"seconds"`
}

// Total is the number of requests.
func (s Stats) Total() int {
	n := 0
	for _, c := range s.Requests {
		n += c
	}
	return n
}

// Sub is what s counted beyond t (an earlier snapshot).
func (s Stats) Sub(t Stats) Stats {
	out := Stats{Requests: map[string]int{}, Seconds: map[string]float64{}}
	for k, v := range s.Requests {
		if d := v - t.Requests[k]; d != 0 {
			out.Requests[k] = d
			out.Seconds[k] = s.Seconds[k] - t.Seconds[k]
		}
	}
	return out
}

type requestStats struct {
	mu sync.Mutex
	s  Stats
}

func newRequestStats() *requestStats {
	return &requestStats{s: Stats{Requests: map[string]int{}, Seconds: map[string]float64{}}}
}

func (r *requestStats) add(kind string, d time.Duration) {
	r.mu.Lock()
	r.s.Requests[kind]++
	r.s.Seconds[kind] += d.Seconds()
	r.mu.Unlock()
}

func (r *requestStats) snapshot() Stats {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := Stats{Requests: map[string]int{}, Seconds: map[string]float64{}}
	for k, v := range r.s.Requests {
		out.Requests[k] = v
		out.Seconds[k] = r.s.Seconds[k]
	}
	return out
}

// requestKind names a distribution API request for the statistics.
func requestKind(r *http.Request) string {
	p := r.URL.Path
	switch {
	case p == "/v2/" || p == "/v2":
		return "ping"
	case !strings.HasPrefix(p, "/v2/"):
		return "auth"
	case strings.Contains(p, "/manifests/"):
		switch r.Method {
		case http.MethodGet:
			return "manifest-get"
		case http.MethodHead:
			return "manifest-head"
		case http.MethodPut:
			return "manifest-put"
		}
	case strings.Contains(p, "/blobs/uploads/"):
		switch r.Method {
		case http.MethodPost:
			if r.URL.Query().Get("mount") != "" {
				return "blob-mount"
			}
			return "blob-upload"
		case http.MethodPatch:
			return "blob-patch"
		case http.MethodPut:
			return "blob-put"
		}
	case strings.Contains(p, "/blobs/"):
		switch r.Method {
		case http.MethodGet:
			return "blob-get"
		case http.MethodHead:
			return "blob-head"
		}
	case strings.Contains(p, "/referrers/"):
		return "referrers"
	}
	return "other"
}
