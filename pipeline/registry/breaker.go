package registry

import (
	"fmt"
	"sync"
	"time"
)

// breaker fails requests to a registry at once after threshold attempts in
// a row failed on the network, timed out or got a 5xx/429, letting one
// request through per second to notice the registry come back.
type breaker struct {
	registry  string
	threshold int
	mu        sync.Mutex
	fails     int
	last      error
	probeAt   time.Time
}

func (b *breaker) allow() error {
	if b.threshold <= 0 {
		return nil
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.fails < b.threshold {
		return nil
	}
	if now := time.Now(); now.After(b.probeAt) {
		b.probeAt = now.Add(time.Second) // this request probes
		return nil
	}
	return fmt.Errorf("%w: %s failed %d requests in a row (last: %v); not tried", ErrRegistryDown, b.registry, b.fails, b.last)
}

// record notes an attempt's outcome: failure means the registry did not
// answer usefully (network error, timeout, 429, 5xx).
func (b *breaker) record(err error, failure bool) {
	if b.threshold <= 0 {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if !failure {
		b.fails, b.last = 0, nil
		return
	}
	b.fails++
	b.last = err
	if b.fails == b.threshold {
		b.probeAt = time.Now().Add(time.Second)
	}
}

// pass gives back a probe that learnt nothing (an HTTPS attempt a
// plain-HTTP registry answered in plain HTTP): the next request probes.
func (b *breaker) pass() {
	if b.threshold <= 0 {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.fails >= b.threshold {
		b.probeAt = time.Time{}
	}
}
