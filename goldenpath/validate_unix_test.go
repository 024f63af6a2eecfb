//go:build unix

package goldenpath_test

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/goldenpath-dev/goldenpath/goldenpath"
)

// Issue 14.12: a named pipe called *.yaml hung validate and render forever.
// Only regular files are read: a walked pipe, socket or device is skipped
// and counted, a named one is an error; none is ever opened.
func TestNonRegularFiles(t *testing.T) {
	dir := writeFiles(t, map[string][]byte{"app.yaml": seedContract(t)})
	fifo := filepath.Join(dir, "pipe.yaml")
	require.NoError(t, syscall.Mkfifo(fifo, 0o644))
	l, err := net.Listen("unix", filepath.Join(dir, "sock.yml"))
	require.NoError(t, err)
	defer l.Close()
	require.NoError(t, os.Symlink("/dev/zero", filepath.Join(dir, "zero.yaml")))
	require.NoError(t, os.Symlink("pipe.yaml", filepath.Join(dir, "to-pipe.yaml")))
	require.NoError(t, os.Symlink("app.yaml", filepath.Join(dir, "to-app.yaml")))
	require.NoError(t, os.Symlink("missing", filepath.Join(dir, "dangling.yaml")))

	within := func(f func()) {
		t.Helper()
		done := make(chan struct{})
		go func() { defer close(done); f() }()
		select {
		case <-done:
		case <-time.After(time.Minute): // a hang is the bug; a minute is generous
			t.Fatal("did not return: a non-regular file was opened")
		}
	}
	within(func() {
		rep, err := goldenpath.ValidatePaths(context.Background(), []string{dir})
		require.NoError(t, err)
		assert.Equal(t, []string{"app.yaml", "to-app.yaml"}, paths(rep.Files, dir), "a link to a regular file is read")
		reasons := map[string]string{}
		for _, s := range rep.Skipped {
			reasons[filepath.Base(s.Path)] = s.Reason
		}
		assert.Equal(t, "a named pipe (FIFO), not a regular file", reasons["pipe.yaml"])
		assert.Equal(t, "a named pipe (FIFO), not a regular file", reasons["to-pipe.yaml"])
		assert.Equal(t, "a socket, not a regular file", reasons["sock.yml"])
		assert.Equal(t, "a character device, not a regular file", reasons["zero.yaml"])
		assert.Contains(t, reasons["dangling.yaml"], "no such file")
		// Two requests for one application (app.yaml and its link): one
		// problem, and five skipped files.
		assert.Equal(t, "2 files, 1 valid request, 1 problem in 1 file (5 other YAML files skipped)", rep.Summary())
	})
	for _, named := range []string{fifo, filepath.Join(dir, "to-pipe.yaml"), "/dev/null"} {
		within(func() {
			_, err := goldenpath.ValidatePaths(context.Background(), []string{named})
			require.Error(t, err)
			assert.Contains(t, err.Error(), "not a regular file: goldenpath reads contracts from regular files only")
			_, err = goldenpath.Render(context.Background(), []string{named})
			assert.ErrorContains(t, err, "not a regular file")
		})
	}
}
