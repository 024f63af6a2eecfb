package cli_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"net"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

// exitWithin is how long a signalled CLI may take to exit: generous for a
// loaded machine; the CLI itself gives a command cli.Grace (3s).
const exitWithin = 60 * time.Second

// started is the real CLI binary, running.
type started struct {
	cmd            *exec.Cmd
	stdout, stderr syncBuffer
	done           chan error
}

// syncBuffer is a buffer the process's output is copied into while the
// test reads it.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func startCLI(t *testing.T, stdin *os.File, args ...string) *started {
	t.Helper()
	s := &started{cmd: exec.Command(goldenpathBinary(t), args...), done: make(chan error, 1)}
	s.cmd.Stdout, s.cmd.Stderr = &s.stdout, &s.stderr
	if stdin != nil {
		s.cmd.Stdin = stdin
	}
	require.NoError(t, s.cmd.Start())
	go func() { s.done <- s.cmd.Wait() }()
	t.Cleanup(func() {
		if s.cmd.ProcessState == nil {
			_ = s.cmd.Process.Kill()
			<-s.done
		}
	})
	return s
}

// signal sends sig and waits for the exit; it returns the exit code and
// how long the exit took.
func (s *started) signal(t *testing.T, sig syscall.Signal) (int, time.Duration) {
	t.Helper()
	sent := time.Now()
	require.NoError(t, s.cmd.Process.Signal(sig))
	select {
	case <-s.done:
	case <-time.After(exitWithin):
		t.Fatalf("%v: still running %v after %v; stderr: %s", s.cmd.Args, exitWithin, sig, s.stderr.String())
	}
	took := time.Since(sent)
	t.Logf("%v: exited %d, %.2fs after %v", s.cmd.Args[1:], s.cmd.ProcessState.ExitCode(), took.Seconds(), sig)
	return s.cmd.ProcessState.ExitCode(), took
}

// A command blocked reading stdin (a pipe that stays open), where no
// context reaches, still ends on SIGTERM: exit 143, nothing on stdout.
func TestSignalEndsACommandBlockedOnStdin(t *testing.T) {
	r, w, err := os.Pipe()
	require.NoError(t, err)
	defer r.Close()
	defer w.Close()
	_, err = w.WriteString("# the list follows\n")
	require.NoError(t, err)
	s := startCLI(t, r, "rebase", "--images-file", "-")
	// The CLI has read the comment (the pipe is empty again) and waits for
	// more.
	waitFor(t, func() bool {
		n, err := unix.IoctlGetInt(int(r.Fd()), unix.TIOCINQ)
		return err == nil && n == 0
	})
	code, _ := s.signal(t, syscall.SIGTERM)
	assert.Equal(t, 128+int(syscall.SIGTERM), code)
	assert.Empty(t, s.stdout.String())
	assert.Equal(t, "goldenpath: interrupted (SIGTERM)\n", s.stderr.String())
}

// A command waiting on a registry that never answers ends on SIGINT
// through its context: exit 130, nothing on stdout.
func TestSignalEndsACommandWaitingOnARegistry(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	asked := make(chan struct{})
	var once sync.Once
	var conns []net.Conn
	var mu sync.Mutex
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
			go func() {
				// Read the request, never answer.
				if line, err := bufio.NewReader(c).ReadString('\n'); err == nil && strings.HasPrefix(line, "GET ") {
					once.Do(func() { close(asked) })
				}
				_, _ = io.Copy(io.Discard, c)
			}()
		}
	}()
	defer func() {
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			c.Close()
		}
	}()
	s := startCLI(t, nil, "sbom", ln.Addr().String()+"/apps/dev/web:latest")
	select {
	case <-asked:
	case err := <-s.done:
		t.Fatalf("the CLI ended before asking the registry: %v\n%s", err, s.stderr.String())
	case <-time.After(exitWithin):
		t.Fatal("the CLI never asked the registry")
	}
	code, _ := s.signal(t, syscall.SIGINT)
	assert.Equal(t, 128+int(syscall.SIGINT), code)
	assert.Empty(t, s.stdout.String())
	assert.Contains(t, s.stderr.String(), "goldenpath: interrupted (SIGINT)\n")
}

// --watch is ended by a signal: that is its normal end (exit 0), and every
// report printed is whole.
func TestSignalEndsAWatchCleanly(t *testing.T) {
	f := newRBFleet(t, 0)
	build, err := random.Image(10, 1)
	require.NoError(t, err)
	rbWrite(t, f.host+"/goldenpath/build:test", build)
	s := startCLI(t, nil, "platform", "update-stacks", "--platform", f.platformFile(t), "--dry-run", "--kubeconfig", "-", "--watch", "1s", "-o", "json")
	waitFor(t, func() bool { return strings.Count(s.stdout.String(), "\n") >= 2 })
	code, _ := s.signal(t, syscall.SIGTERM)
	assert.Equal(t, 0, code, s.stderr.String())
	lines := strings.Split(strings.TrimSuffix(s.stdout.String(), "\n"), "\n")
	require.GreaterOrEqual(t, len(lines), 2)
	for _, l := range lines {
		var rep map[string]any
		assert.NoError(t, json.Unmarshal([]byte(l), &rep), "a whole report per line: %q", l)
	}
}

// waitFor polls cond until it holds (generous: a loaded machine).
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(exitWithin)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("waited %v for a condition", exitWithin)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
