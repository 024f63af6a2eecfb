package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"
)

// Grace is how long Main waits, after SIGINT or SIGTERM, for the command
// to stop on its own (it sees its context cancelled, stops its requests,
// removes what it half wrote) before it exits anyway: a command blocked
// in a read that no context reaches (a terminal, a pipe that stays open)
// still ends promptly. A second signal ends it at once.
const Grace = 3 * time.Second

// Main runs the goldenpath command line as a process: Run with a context
// that SIGINT and SIGTERM cancel, and the process's exit code. Nothing is
// written on stdout after a signal.
func Main(streams Streams, args []string) int {
	ctx, cancel := context.WithCancelCause(context.Background())
	defer cancel(nil)
	signals := make(chan os.Signal, 2)
	signal.Notify(signals, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(signals)

	done := make(chan int, 1)
	go func() { done <- Run(ctx, streams, args) }()
	select {
	case code := <-done:
		return code
	case sig := <-signals:
		s := sig.(syscall.Signal)
		cancel(interrupt{s})
		select {
		case code := <-done:
			return code
		case <-signals:
		case <-time.After(Grace):
		}
		fmt.Fprintf(streams.Err, "goldenpath: interrupted (%s)\n", signalName(s))
		return ExitSignal + int(s)
	}
}

// interrupt is the cause of a context a signal cancelled.
type interrupt struct{ sig syscall.Signal }

func (i interrupt) Error() string { return "interrupted by " + signalName(i.sig) }

// interruptedBy says whether a signal cancelled ctx, and which.
func interruptedBy(ctx context.Context) (syscall.Signal, bool) {
	if i, ok := context.Cause(ctx).(interrupt); ok {
		return i.sig, true
	}
	return 0, false
}

func signalName(s syscall.Signal) string {
	switch s {
	case syscall.SIGINT:
		return "SIGINT"
	case syscall.SIGTERM:
		return "SIGTERM"
	}
	return s.String()
}

// stopWriter is stdout: once the context is done (a signal), it writes
// nothing more, so an interrupted command never prints half a result.
type stopWriter struct {
	ctx context.Context
	w   io.Writer
}

func (s *stopWriter) Write(p []byte) (int, error) {
	if err := s.ctx.Err(); err != nil {
		return 0, err
	}
	return s.w.Write(p)
}
