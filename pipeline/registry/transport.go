package registry

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
)

// retryCodes are the answers worth repeating a request for.
var retryCodes = []int{
	http.StatusTooManyRequests, http.StatusInternalServerError, http.StatusBadGateway,
	http.StatusServiceUnavailable, http.StatusGatewayTimeout,
}

// retryable reports whether a failed attempt may succeed if repeated.
func retryable(err error) bool {
	if err == nil {
		return false
	}
	if errors.Is(err, ErrRegistryDown) || errors.Is(err, context.Canceled) {
		return false
	}
	var terr *transport.Error
	if errors.As(err, &terr) {
		return terr.Temporary()
	}
	var nerr net.Error
	return errors.As(err, &nerr) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) ||
		errors.Is(err, context.DeadlineExceeded) || strings.Contains(err.Error(), "connection reset") ||
		strings.Contains(err.Error(), "connection refused")
}

func (o *options) backoff() transport.Backoff {
	return transport.Backoff{Duration: 100 * time.Millisecond, Factor: 4, Jitter: 0.1, Steps: o.retries + 1}
}

// guard is the RoundTripper under ggcr's authentication and retries: each
// attempt goes through its registry's circuit breaker, is bounded by the
// request timeout (also while a body is read or written: a pause longer
// than the timeout fails it), has its body rewound when it is a retry, and
// is counted in the statistics.
type guard struct {
	inner   http.RoundTripper
	timeout time.Duration
	stats   *requestStats
	limit   int

	mu       sync.Mutex
	breakers map[string]*breaker
}

func newGuard(o *options, stats *requestStats) *guard {
	return &guard{inner: o.transport, timeout: o.timeout, stats: stats, limit: o.breaker, breakers: map[string]*breaker{}}
}

func (g *guard) breaker(host string) *breaker {
	g.mu.Lock()
	defer g.mu.Unlock()
	b := g.breakers[host]
	if b == nil {
		b = &breaker{registry: host, threshold: g.limit}
		g.breakers[host] = b
	}
	return b
}

func (g *guard) RoundTrip(req *http.Request) (*http.Response, error) {
	br := g.breaker(req.URL.Host)
	if err := br.allow(); err != nil {
		return nil, err
	}
	parent := req.Context()
	ctx, cancel := context.WithCancelCause(parent)
	timeout := fmt.Errorf("%s %s: no answer within %v: %w", req.Method, redactURL(req), g.timeout, context.DeadlineExceeded)
	timer := time.AfterFunc(g.timeout, func() { cancel(timeout) })
	out := req.Clone(ctx)
	if req.Body != nil && req.Body != http.NoBody {
		body := req.Body
		if req.GetBody != nil { // a retry resends the whole body
			if b, err := req.GetBody(); err == nil {
				body = b
			}
		}
		out.Body = &idleBody{ReadCloser: body, timer: timer, d: g.timeout}
	}
	start := time.Now()
	resp, err := g.inner.RoundTrip(out)
	g.stats.add(requestKind(req), time.Since(start))
	if err != nil {
		timer.Stop()
		if cause := context.Cause(ctx); errors.Is(cause, context.DeadlineExceeded) && parent.Err() == nil {
			err = cause
		}
		cancel(nil)
		var tlsErr tls.RecordHeaderError
		switch {
		case errors.As(err, &tlsErr): // plain HTTP answered HTTPS: ggcr tries plain HTTP next
			br.pass()
		case parent.Err() == nil:
			br.record(err, true)
		}
		return nil, err
	}
	failed := false
	for _, c := range retryCodes {
		failed = failed || resp.StatusCode == c
	}
	br.record(fmt.Errorf("%s %s: %s", req.Method, redactURL(req), resp.Status), failed)
	timer.Reset(g.timeout)
	resp.Body = &idleBody{ReadCloser: resp.Body, timer: timer, d: g.timeout, done: func() { cancel(nil) }, ctx: ctx}
	return resp, nil
}

// idleBody extends its request's deadline on every read and ends the
// request when closed.
type idleBody struct {
	io.ReadCloser
	timer *time.Timer
	d     time.Duration
	done  func()
	ctx   context.Context
	once  sync.Once
}

func (b *idleBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if n > 0 {
		b.timer.Reset(b.d)
	}
	if err != nil && err != io.EOF && b.ctx != nil {
		if cause := context.Cause(b.ctx); errors.Is(cause, context.DeadlineExceeded) {
			err = cause
		}
	}
	return n, err
}

func (b *idleBody) Close() error {
	err := b.ReadCloser.Close()
	if b.done != nil {
		b.once.Do(func() {
			b.timer.Stop()
			b.done()
		})
	}
	return err
}

func redactURL(r *http.Request) string {
	u := *r.URL
	u.RawQuery = ""
	return u.String()
}
