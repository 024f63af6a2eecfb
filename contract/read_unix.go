//go:build unix

package contract

import (
	"os"
	"syscall"
)

// openNonBlocking opens path for reading without blocking: should path have
// become a named pipe since it was checked, the open returns at once instead
// of waiting for a writer, and the caller's Stat refuses it.
func openNonBlocking(path string) (*os.File, error) {
	return os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK|syscall.O_NOCTTY, 0)
}
