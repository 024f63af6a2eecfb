package render_test

import (
	"fmt"
	"testing"

	"github.com/goldenpath-dev/goldenpath/contract"
	"github.com/goldenpath-dev/goldenpath/render"
)

// BenchmarkRenderTree renders requests all the way to file contents, as
// `goldenpath render --out` does, and reports apps per second.
func BenchmarkRenderTree(b *testing.B) {
	reqs, err := contract.LoadFile("../contract/testdata/valid-seed.yaml")
	if err != nil {
		b.Fatal(err)
	}
	p := contract.DefaultPlatform()
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		r := *reqs[0]
		r.Application = fmt.Sprintf("app-%d", i)
		objs, err := render.App(&r, p, render.AppOptions{})
		if err != nil {
			b.Fatal(err)
		}
		if _, err := render.Tree(objs); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "apps/s")
}

// BenchmarkRenderTreeParallel is BenchmarkRenderTree on every core, as the
// goldenpath facade renders.
func BenchmarkRenderTreeParallel(b *testing.B) {
	reqs, err := contract.LoadFile("../contract/testdata/valid-seed.yaml")
	if err != nil {
		b.Fatal(err)
	}
	p := contract.DefaultPlatform()
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			r := *reqs[0]
			objs, err := render.App(&r, p, render.AppOptions{})
			if err != nil {
				b.Error(err)
				return
			}
			if _, err := render.Tree(objs); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "apps/s")
}
