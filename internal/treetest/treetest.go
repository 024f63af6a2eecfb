// Package treetest reads folders for the tests of the GitOps tree.
package treetest

import (
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// Read returns every file under dir by its slash-separated path relative to
// dir; a symbolic link reads as "-> " and its target. The folders named in
// skip (relative to dir) are not read.
func Read(t testing.TB, dir string, skip ...string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		rel = filepath.ToSlash(rel)
		switch {
		case d.IsDir() && slices.Contains(skip, rel):
			return filepath.SkipDir
		case d.Type()&fs.ModeSymlink != 0:
			target, err := os.Readlink(p)
			out[rel] = "-> " + target
			return err
		case !d.IsDir():
			data, err := os.ReadFile(p)
			out[rel] = string(data)
			return err
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}
