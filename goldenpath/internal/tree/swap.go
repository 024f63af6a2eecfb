package tree

import "os"

// swapByRenames moves b to trash, then a to b. After it, trash holds
// what b held, as after exchange a does.
func swapByRenames(a, b, trash string) error {
	if err := os.Rename(b, trash); err != nil {
		return err
	}
	if err := os.Rename(a, b); err != nil {
		// Put b back; the error is the rename's.
		_ = os.Rename(trash, b)
		return err
	}
	return os.Rename(trash, a)
}
