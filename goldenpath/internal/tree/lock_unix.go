//go:build unix

package tree

import (
	"errors"
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// lock takes the tree's lock, an flock on goldenpath's folder itself (no
// lock file to leave behind): one goldenpath writes a tree at a time. The
// kernel drops it when the process dies, however it dies, so a killed run
// never leaves the tree locked.
func lock(path string) (*os.File, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	if err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, unix.EWOULDBLOCK) {
			return nil, fmt.Errorf("another goldenpath is writing this tree (it holds the lock on %s); wait for it to finish", path)
		}
		return nil, err
	}
	return f, nil
}
