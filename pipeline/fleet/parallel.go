package fleet

import (
	"context"

	"golang.org/x/sync/errgroup"
)

// forEach calls f(0..n-1) on at most workers goroutines, starting none
// once ctx is done.
func forEach(ctx context.Context, n, workers int, f func(i int)) {
	var g errgroup.Group
	g.SetLimit(workers)
	for i := range n {
		if ctx.Err() != nil {
			break
		}
		g.Go(func() error {
			if ctx.Err() == nil {
				f(i)
			}
			return nil
		})
	}
	_ = g.Wait()
}
