package tree

import (
	"errors"

	"golang.org/x/sys/unix"
)

// exchange swaps the folders a and b in one step (renameat2
// RENAME_EXCHANGE): every reader sees one or the other, never neither. On a
// file system without it (some network and FUSE file systems) it falls
// back to two renames, leaving b absent for a moment (moved to trash).
func exchange(a, b, trash string) error {
	err := unix.Renameat2(unix.AT_FDCWD, a, unix.AT_FDCWD, b, unix.RENAME_EXCHANGE)
	if errors.Is(err, unix.EINVAL) || errors.Is(err, unix.ENOSYS) || errors.Is(err, unix.EOPNOTSUPP) {
		return swapByRenames(a, b, trash)
	}
	return err
}
