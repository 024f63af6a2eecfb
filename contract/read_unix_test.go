//go:build unix

package contract_test

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/goldenpath-dev/goldenpath/contract"
)

// Only regular files are read (issue 14.12): a named pipe with no writer
// made validate hang forever in open(2).
func TestReadFileRefusesWhatIsNotARegularFile(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "pipe.yaml")
	require.NoError(t, syscall.Mkfifo(fifo, 0o644))
	sock := filepath.Join(dir, "sock.yaml")
	l, err := net.Listen("unix", sock)
	require.NoError(t, err)
	defer l.Close()
	link := filepath.Join(dir, "link.yaml")
	require.NoError(t, os.Symlink(fifo, link))
	good := filepath.Join(dir, "good.yaml")
	require.NoError(t, os.WriteFile(good, mustRead(t, "testdata/valid-seed.yaml"), 0o644))
	goodLink := filepath.Join(dir, "good-link.yaml")
	require.NoError(t, os.Symlink(good, goodLink))

	for path, want := range map[string]string{
		fifo:        "is a named pipe (FIFO), not a regular file",
		link:        "is a named pipe (FIFO), not a regular file",
		sock:        "is a socket, not a regular file",
		"/dev/null": "is a character device, not a regular file",
		dir:         "is a folder, not a regular file",
	} {
		// A hang here is the bug: fail after a generous minute instead of
		// waiting for go test's timeout.
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		done := make(chan error, 1)
		go func() { _, err := contract.ReadFile(path); done <- err }()
		select {
		case err := <-done:
			require.Error(t, err, path)
			assert.Contains(t, err.Error(), want)
			assert.True(t, strings.HasPrefix(err.Error(), path), "the error names the file: %v", err)
		case <-ctx.Done():
			t.Fatalf("ReadFile(%s) did not return", path)
		}
		cancel()
	}
	for _, path := range []string{good, goodLink} {
		_, err := contract.LoadFile(path)
		assert.NoError(t, err, "a regular file, or a link to one, is read")
	}
}
