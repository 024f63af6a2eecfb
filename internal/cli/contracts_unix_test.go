//go:build unix

package cli_test

import (
	"path/filepath"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/goldenpath-dev/goldenpath/internal/cli"
)

// A named pipe is never opened (issue 14.12): named, it is a usage error.
func TestNamedPipeIsRefused(t *testing.T) {
	fifo := filepath.Join(t.TempDir(), "pipe.yaml")
	require.NoError(t, syscall.Mkfifo(fifo, 0o644))
	code, _, errOut := run(t, "validate", fifo)
	assert.Equal(t, cli.ExitUsage, code)
	assert.Contains(t, errOut, "pipe.yaml is a named pipe (FIFO), not a regular file")
	code, _, errOut = run(t, "render", fifo)
	assert.NotEqual(t, cli.ExitOK, code)
	assert.Contains(t, errOut, "not a regular file")
}
