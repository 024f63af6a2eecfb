//go:build !linux

package tree

// exchange swaps the folders a and b with two renames: b is absent for a
// moment (only Linux has an atomic exchange, renameat2 RENAME_EXCHANGE).
func exchange(a, b, trash string) error { return swapByRenames(a, b, trash) }
