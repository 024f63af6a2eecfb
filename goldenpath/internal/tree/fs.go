package tree

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"sync"
)

// ErrLink is the error of a path that runs through a symbolic link inside
// the tree: goldenpath never writes, reads or removes through one, so a
// link committed to the GitOps repository (dev -> /etc, dev -> ../prod)
// cannot redirect what it writes.
var ErrLink = errors.New("goldenpath does not write through symbolic links in its tree")

// checkRel accepts a clean, relative, slash-separated path inside the
// tree that is not in goldenpath's own folder.
func checkRel(p string) error {
	switch {
	case p == "" || p == ".":
		return errors.New("empty path")
	case path.IsAbs(p) || filepath.IsAbs(p) || strings.Contains(p, `\`) || filepath.VolumeName(p) != "":
		return fmt.Errorf("%q is not a relative slash-separated path", p)
	case path.Clean(p) != p:
		return fmt.Errorf("%q is not a clean path", p)
	case p == ".." || strings.HasPrefix(p, "../"):
		return fmt.Errorf("%q is outside the tree", p)
	case p == metaDir || strings.HasPrefix(p, metaDir+"/"):
		return fmt.Errorf("%q is in goldenpath's own folder %s", p, metaDir)
	case strings.ContainsRune(p, 0):
		return fmt.Errorf("%q holds a NUL byte", p)
	case strings.HasPrefix(p, ".") || strings.Contains(p, "/."):
		// Nothing goldenpath renders is hidden; an index naming a hidden
		// path (.git/config, .github/workflows/...) was not written by it.
		return fmt.Errorf("%q is hidden: goldenpath writes and removes no hidden file or folder", p)
	}
	return nil
}

// under reports whether p is dir or inside it.
func under(p, dir string) bool {
	return p == dir || strings.HasPrefix(p, dir+"/")
}

// dirs checks and remembers the folders of the tree that are real folders
// (no link, no file), so that each is checked once.
type dirs struct {
	root string
	mu   sync.Mutex
	real map[string]bool
}

func (d *dirs) abs(rel string) string { return filepath.Join(d.root, filepath.FromSlash(rel)) }

// check verifies every folder on the way to rel (rel excluded): each is a
// real folder or does not exist yet. It returns ErrLink for a link.
func (d *dirs) check(rel string) error {
	parent := path.Dir(rel)
	if parent == "." {
		return nil
	}
	d.mu.Lock()
	ok := d.real[parent]
	d.mu.Unlock()
	if ok {
		return nil
	}
	if err := d.check(parent); err != nil {
		return err
	}
	info, err := os.Lstat(d.abs(parent))
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil
	case err != nil:
		return err
	case info.Mode()&fs.ModeSymlink != 0:
		return linkError(d.abs(parent), rel)
	case !info.IsDir():
		return fmt.Errorf("cannot write %s: %s is a file where goldenpath needs a folder; move it away", rel, d.abs(parent))
	}
	d.mu.Lock()
	d.real[parent] = true
	d.mu.Unlock()
	return nil
}

// lstat is os.Lstat of rel after checking the folders on its way; a link
// at rel itself is ErrLink too.
func (d *dirs) lstat(rel string) (fs.FileInfo, error) {
	if err := d.check(rel); err != nil {
		return nil, err
	}
	info, err := os.Lstat(d.abs(rel))
	if err == nil && info.Mode()&fs.ModeSymlink != 0 {
		return nil, linkError(d.abs(rel), rel)
	}
	return info, err
}

func linkError(link, rel string) error {
	target, _ := os.Readlink(link)
	return fmt.Errorf("cannot write %s: %s is a symbolic link (to %s): %w; replace it with a real folder or file", rel, link, target, ErrLink)
}

// mkdirs creates rel and its parents as real folders, refusing links.
func (d *dirs) mkdirs(rel string) error {
	if rel == "." || rel == "" {
		return nil
	}
	d.mu.Lock()
	ok := d.real[rel]
	d.mu.Unlock()
	if ok {
		return nil
	}
	if err := d.mkdirs(path.Dir(rel)); err != nil {
		return err
	}
	p := d.abs(rel)
	if err := os.Mkdir(p, 0o755); err != nil && !errors.Is(err, fs.ErrExist) {
		return err
	}
	info, err := os.Lstat(p)
	if err != nil {
		return err
	}
	if info.Mode()&fs.ModeSymlink != 0 {
		return linkError(p, rel)
	}
	if !info.IsDir() {
		return fmt.Errorf("%s is a file where goldenpath needs a folder; move it away", p)
	}
	d.mu.Lock()
	d.real[rel] = true
	d.mu.Unlock()
	return nil
}

// forget drops what is remembered about rel (after it was replaced or
// moved away). What is remembered of the folders inside it stays: the
// commit makes every folder before it removes any, and a folder it puts in
// place holds only real folders.
func (d *dirs) forget(rel string) {
	d.mu.Lock()
	delete(d.real, rel)
	d.mu.Unlock()
}

// writeNew creates path with data; it must not exist.
func writeNew(p string, data []byte) error {
	f, err := os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// visible reports whether a folder holds anything but hidden entries
// (.git, .github, .gitignore, ...), and names the first it found.
func visible(dir string) (string, error) {
	f, err := os.Open(dir)
	if err != nil {
		return "", err
	}
	defer f.Close()
	for {
		names, err := f.Readdirnames(256)
		for _, n := range names {
			if !strings.HasPrefix(n, ".") {
				return n, nil
			}
		}
		if err != nil {
			if errors.Is(err, io.EOF) {
				return "", nil
			}
			return "", err
		}
	}
}

// replaceFile writes data to a new file in scratch and renames it to path.
func replaceFile(path string, data []byte, scratch string) error {
	return replaceWith(path, scratch, func(w io.Writer) error {
		_, err := w.Write(data)
		return err
	})
}

// replaceWith writes a new file in scratch with write, then renames it to
// path: path holds the old content or the new, never a part.
func replaceWith(path, scratch string, write func(io.Writer) error) error {
	f, err := os.CreateTemp(scratch, "file-*")
	if err != nil {
		return err
	}
	err = write(f)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(f.Name(), 0o644)
	}
	if err == nil {
		err = os.Rename(f.Name(), path)
	}
	if err != nil {
		os.Remove(f.Name())
	}
	return err
}
