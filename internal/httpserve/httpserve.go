// Package httpserve serves an http.Handler on a listener until a context
// ends, with timeouts a slow or idle client cannot hold open: the
// controller's webhook, metrics and status listeners and
// `goldenpath status --serve`.
package httpserve

import (
	"context"
	"net"
	"net/http"
	"time"
)

// Server is an http.Server for h: 10s to send the headers, 30s for the
// request, 60s to write the answer (a whole fleet's page on a loaded
// machine), 90s idle, 64 KiB of headers.
func Server(h http.Handler) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       90 * time.Second,
		MaxHeaderBytes:    64 << 10,
	}
}

// Serve serves h on l until ctx ends (then it shuts down, giving the
// requests in flight 5s) or the server fails.
func Serve(ctx context.Context, l net.Listener, h http.Handler) error {
	srv := Server(h)
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(l) }()
	select {
	case <-ctx.Done():
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		return srv.Shutdown(sctx)
	case err := <-errc:
		return err
	}
}
