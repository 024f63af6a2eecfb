package statuspage_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/goldenpath-dev/goldenpath/goldenpath/cluster"
	"github.com/goldenpath-dev/goldenpath/goldenpath/statuspage"
	"github.com/goldenpath-dev/goldenpath/internal/fleettest"
)

// BenchmarkPage is the status page over generated fleets (n applications
// across the default platform's four environments, each with its kpack
// Image, three or four Builds, Deployment, ReplicaSets and Argo CD
// Application; a fifth of them in each state of a patch roll-out), read
// through two readers: reader=cache holds the objects decoded and hands
// out deep copies, as the controller's informer cache does (what the
// controller's page reads); reader=fake is controller-runtime's fake
// client, which round-trips every object through JSON on each List (the
// cost of reading an API server, as `goldenpath status --serve` does).
// Each iteration answers three requests as a browser and a program would,
// and reports each:
//
//	ms/page     GET /                the applications page (read the
//	                                 cluster, join, render the first
//	                                 DefaultPer rows, the counts of all)
//	ms/all      GET /?per=all        the same with every row
//	ms/rollout  GET /rollout         the roll-out view
//	ms/api      GET /api/v1/status   the peer: the same data as JSON
//	                                 (`goldenpath status -o json`), what
//	                                 any program reading it pays
//	page/api    the page's time over the JSON's
//	cpu-ms/page the process's CPU time (user+system, GC included) per
//	            page, which a loaded machine does not inflate
//
// The goal is a page under 200 ms for 1,000 applications:
//
//	go test -run - -bench Page -benchtime 20x ./goldenpath/statuspage/
func BenchmarkPage(b *testing.B) {
	readers := []struct {
		name string
		make func(*fleettest.World) (client.Reader, error)
	}{
		{"cache", func(w *fleettest.World) (client.Reader, error) { return w.Cache() }},
		{"fake", func(w *fleettest.World) (client.Reader, error) { return w.Reader() }},
	}
	for _, n := range []int{100, 1000} {
		w, err := fleettest.Generate(n, start)
		require.NoError(b, err)
		for _, rd := range readers {
			b.Run(fmt.Sprintf("apps=%d/reader=%s", n, rd.name), func(b *testing.B) {
				r, err := rd.make(w)
				require.NoError(b, err)
				h, err := statuspage.New(statuspage.Config{Source: func(ctx context.Context) (*cluster.Fleet, error) {
					return cluster.Status(ctx, cluster.StatusRequest{Platform: w.Platform, Reader: r})
				}})
				require.NoError(b, err)
				get := func(path string) (time.Duration, int) {
					rec := httptest.NewRecorder()
					t0 := time.Now()
					h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
					d := time.Since(t0)
					if rec.Code != http.StatusOK {
						b.Fatalf("GET %s: %d %s", path, rec.Code, rec.Body.String())
					}
					return d, rec.Body.Len()
				}
				_, size := get("/") // warm: the fake client's mapper, the templates
				var page, all, rollout, api, cpu time.Duration
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					c0 := cpuTime()
					d, _ := get("/")
					cpu += cpuTime() - c0
					page += d
					d, _ = get("/?per=all")
					all += d
					d, _ = get("/rollout")
					rollout += d
					d, _ = get("/api/v1/status")
					api += d
				}
				ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 / float64(b.N) }
				b.ReportMetric(ms(page), "ms/page")
				b.ReportMetric(ms(all), "ms/all")
				b.ReportMetric(ms(rollout), "ms/rollout")
				b.ReportMetric(ms(api), "ms/api")
				b.ReportMetric(ms(cpu), "cpu-ms/page")
				b.ReportMetric(float64(page)/float64(api), "page/api")
				b.ReportMetric(float64(size)/1024, "KiB/page")
			})
		}
	}
}

// cpuTime is the process's user and system time so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
