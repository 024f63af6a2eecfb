package goldenpath

import (
	"bytes"
	"context"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// liveHeap is the heap still in use after a collection, in MB.
func liveHeap() float64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return float64(m.HeapAlloc) / (1 << 20)
}

// sampler is an io.Writer that measures the live heap every 500 objects
// written through it.
type sampler struct {
	objects int
	peak    float64
}

func (s *sampler) Write(p []byte) (int, error) {
	if bytes.HasPrefix(p, []byte("---\n")) {
		if s.objects++; s.objects%500 == 0 {
			s.peak = max(s.peak, liveHeap())
		}
	}
	return len(p), nil
}

// Rendering holds a few requests at a time, not all of them: the live heap
// while 2,000 contracts stream out (and when the tree's commit starts)
// stays far below what holding every rendered object takes (about 100 KB
// a contract, 200 MB here).
func TestRenderMemoryIsFlat(t *testing.T) {
	if testing.Short() {
		t.Skip("renders 2,000 contracts")
	}
	dir := t.TempDir()
	contracts := filepath.Join(dir, "contracts")
	contractSet(t, contracts, 2000, false)
	before := liveHeap()

	s := &sampler{}
	require.NoError(t, RenderStream(context.Background(), []string{contracts}, s))
	require.Greater(t, s.objects, 2000*5)
	t.Logf("stream: live heap %.1f MB before, at most %.1f MB while streaming %d objects", before, s.peak, s.objects)
	assert.Less(t, s.peak-before, 40.0)

	var atCommit float64
	_, err := RenderTree(context.Background(), []string{contracts}, filepath.Join(dir, "gitops"), withTreeHook(func(step string) {
		if strings.HasPrefix(step, "commit ") {
			atCommit = liveHeap()
		}
	}))
	require.NoError(t, err)
	t.Logf("tree: live heap %.1f MB when the commit starts", atCommit)
	assert.Less(t, atCommit-before, 40.0)
}
