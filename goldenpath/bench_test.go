package goldenpath_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/goldenpath-dev/goldenpath/goldenpath"
)

// BenchmarkRenderToDisk renders the contracts in $GOLDENPATH_BENCH_CONTRACTS
// (see bench/render.sh) into a GitOps tree on disk, as `goldenpath render
// --out` does.
func BenchmarkRenderToDisk(b *testing.B) {
	dir := os.Getenv("GOLDENPATH_BENCH_CONTRACTS")
	if dir == "" {
		b.Skip("set GOLDENPATH_BENCH_CONTRACTS to a folder of contracts (bench/render.sh does)")
	}
	for b.Loop() {
		out := filepath.Join(b.TempDir(), "gitops")
		objs, err := goldenpath.Render(context.Background(), []string{dir})
		if err != nil {
			b.Fatal(err)
		}
		if _, err := goldenpath.WriteTree(out, objs); err != nil {
			b.Fatal(err)
		}
	}
}
