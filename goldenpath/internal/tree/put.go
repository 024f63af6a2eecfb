package tree

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// state is what writing a file changes.
type state int

const (
	stSame      state = iota // the file already holds the content
	stNew                    // no file there
	stChanged                // a file goldenpath wrote, with older content
	stOverwrite              // a file goldenpath wrote, changed by hand since
	stAdopt                  // a file goldenpath did not write (Options.Adopt)
)

type opKind int

const (
	opDir        opKind = iota // move a staged folder to target (exchange when it exists)
	opFile                     // rename a staged file to target
	opRemoveFile               // remove target
	opRemoveDir                // move target out of the tree
)

// op is one change of the commit.
type op struct {
	kind   opKind
	order  int
	stage  string // absolute path of the staged folder or file
	target string // relative path in the tree
	exists bool   // opDir: target exists, exchange it
}

// Put stages a unit: it compares its files with the tree, and writes the
// changed ones under the scratch folder, to be moved into place by Commit.
// Problems with the tree (a file goldenpath did not write at a rendered
// path, a link, a file where a folder goes) are collected and reported by
// Commit, all at once, before anything is changed. Put may be called from
// several goroutines.
func (w *Writer) Put(u Unit) error {
	files := slices.Clone(u.Files)
	slices.SortFunc(files, func(a, b File) int { return strings.Compare(a.Path, b.Path) })
	if err := checkUnit(u, files); err != nil {
		return err
	}
	rec, err := w.claim(u, files)
	if err != nil {
		return err
	}
	var (
		changed          bool
		inDir, single    []File
		res              Result
		problems         []error
		rendered         = make(map[string]bool, len(files))
		inside           = func(p string) bool { return u.Dir != "" && under(p, u.Dir) }
		dirExists        bool
		carry, carryDirs []string
	)
	for _, f := range files {
		rec.Paths = append(rec.Paths, f.Path)
		rec.Sums = append(rec.Sums, sumOf(f.Data))
		rendered[f.Path] = true
		st, err := w.fileState(f.Path, f.Data)
		if err != nil {
			problems = append(problems, err)
			continue
		}
		switch st {
		case stSame:
			res.Unchanged++
		case stOverwrite:
			res.Overwritten = append(res.Overwritten, f.Path)
		case stAdopt:
			res.Adopted = append(res.Adopted, f.Path)
		}
		if st != stSame {
			res.Written = append(res.Written, f.Path)
		}
		switch {
		case inside(f.Path):
			inDir = append(inDir, f)
			changed = changed || st != stSame
		case st != stSame:
			single = append(single, f)
		}
	}
	if u.Dir != "" {
		info, err := w.d.lstat(u.Dir)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			changed = changed || len(inDir) > 0
		case err != nil:
			problems = append(problems, err)
		case !info.IsDir():
			problems = append(problems, fmt.Errorf("cannot write the folder %s: %s is a file; move it away", u.Dir, w.d.abs(u.Dir)))
		default:
			dirExists = true
			var stale []string
			var kept []Kept
			carry, carryDirs, stale, kept, err = w.scanDir(u.Dir, rendered)
			if err != nil {
				problems = append(problems, err)
			}
			res.Removed = append(res.Removed, stale...)
			res.Kept = append(res.Kept, kept...)
			changed = changed || len(stale) > 0
		}
	}
	if len(problems) > 0 {
		w.mu.Lock()
		w.problems = append(w.problems, problems...)
		w.mu.Unlock()
		return nil
	}
	var ops []op
	if changed {
		stage, err := w.stageDir(u.Dir, inDir, carry, carryDirs)
		if err != nil {
			return err
		}
		ops = append(ops, op{kind: opDir, order: u.Order, stage: stage, target: u.Dir, exists: dirExists})
	}
	for _, f := range single {
		stage := w.stagePath("f")
		if err := writeNew(stage, f.Data); err != nil {
			return err
		}
		ops = append(ops, op{kind: opFile, order: u.Order, stage: stage, target: f.Path})
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	w.ops = append(w.ops, ops...)
	w.res.merge(res)
	return nil
}

func checkUnit(u Unit, files []File) error {
	if u.Key == "" {
		return errors.New("a unit without a key")
	}
	if u.Dir != "" {
		if err := checkRel(u.Dir); err != nil {
			return fmt.Errorf("unit %s: %w", u.Key, err)
		}
	}
	for i, f := range files {
		if err := checkRel(f.Path); err != nil {
			return fmt.Errorf("unit %s: %w", u.Key, err)
		}
		if f.Path == u.Dir {
			return fmt.Errorf("unit %s: %s is its folder, not a file", u.Key, f.Path)
		}
		if i > 0 && files[i-1].Path == f.Path {
			return fmt.Errorf("unit %s: %s is given twice", u.Key, f.Path)
		}
	}
	return nil
}

// claim records that the unit's files and folder are its own in this run.
func (w *Writer) claim(u Unit, files []File) (*record, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.done {
		return nil, errors.New("Put after Commit")
	}
	if _, dup := w.put[u.Key]; dup {
		return nil, fmt.Errorf("unit %s is given twice", u.Key)
	}
	for _, f := range files {
		if other, ok := w.claims[f.Path]; ok {
			return nil, fmt.Errorf("%s is rendered twice: by %s and by %s", f.Path, other, u.Key)
		}
	}
	if other, ok := w.dirOwner[u.Dir]; ok && u.Dir != "" {
		return nil, fmt.Errorf("the folder %s is rendered twice: by %s and by %s", u.Dir, other, u.Key)
	}
	for _, f := range files {
		w.claims[f.Path] = u.Key
	}
	if u.Dir != "" {
		w.dirOwner[u.Dir] = u.Key
	}
	rec := &record{Key: u.Key, Dir: u.Dir, Pin: u.Pin}
	w.put[u.Key] = rec
	return rec, nil
}

// fileState compares a rendered file with what the tree holds at its path.
func (w *Writer) fileState(rel string, data []byte) (state, error) {
	info, err := w.d.lstat(rel)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return stNew, nil
	case err != nil:
		return 0, err
	case info.IsDir():
		return 0, fmt.Errorf("cannot write %s: %s is a folder; move it away", rel, w.d.abs(rel))
	case !info.Mode().IsRegular():
		return 0, fmt.Errorf("cannot write %s: %s is not a regular file; move it away", rel, w.d.abs(rel))
	}
	disk, err := os.ReadFile(w.d.abs(rel))
	if err != nil {
		return 0, err
	}
	if bytes.Equal(disk, data) {
		return stSame, nil
	}
	sums, known := w.owned[rel]
	switch {
	case known && slices.Contains(sums, sumOf(disk)):
		return stChanged, nil
	case known:
		return stOverwrite, nil
	case w.opts.Adopt:
		return stAdopt, nil
	}
	return 0, fmt.Errorf("cannot write %s: %s is not goldenpath's (the tree's index does not list it); move it away, or adopt it (--adopt) to let goldenpath overwrite it",
		rel, w.d.abs(rel))
}

// scanDir sorts what a unit's existing folder holds besides the rendered
// files: files goldenpath wrote there and no longer renders (stale: they
// go), and everything else (carry: it stays, moved along with the folder;
// carryDirs: empty folders). Hand-edited stale files are carried and
// reported as kept.
func (w *Writer) scanDir(dir string, rendered map[string]bool) (carry, carryDirs, stale []string, kept []Kept, err error) {
	root := w.d.abs(dir)
	err = filepath.WalkDir(root, func(p string, e fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if p == root {
			return nil
		}
		rel := dir + "/" + filepath.ToSlash(strings.TrimPrefix(p, root+string(filepath.Separator)))
		if e.IsDir() {
			if empty, err := isEmptyDir(p); err != nil {
				return err
			} else if empty {
				carryDirs = append(carryDirs, rel)
			}
			return nil
		}
		if rendered[rel] {
			return nil
		}
		if sums, known := w.owned[rel]; known && e.Type().IsRegular() {
			data, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			if slices.Contains(sums, sumOf(data)) {
				stale = append(stale, rel)
				return nil
			}
			kept = append(kept, Kept{Path: rel, Reason: keptEdited})
		}
		carry = append(carry, rel)
		return nil
	})
	return carry, carryDirs, stale, kept, err
}

const keptEdited = "changed since goldenpath wrote it, so not removed: delete it if it is no longer needed"

func isEmptyDir(p string) (bool, error) {
	f, err := os.Open(p)
	if err != nil {
		return false, err
	}
	defer f.Close()
	_, err = f.Readdirnames(1)
	if errors.Is(err, io.EOF) {
		return true, nil
	}
	return false, err
}

// stagePath names a new entry of the scratch folder.
func (w *Writer) stagePath(prefix string) string {
	w.mu.Lock()
	w.seq++
	n := w.seq
	w.mu.Unlock()
	return filepath.Join(w.tmp, fmt.Sprintf("%s%d", prefix, n))
}

// stageDir builds a unit's new folder in the scratch folder: its rendered
// files, and the entries of the old folder that stay (hard links, so the
// content is the same file).
func (w *Writer) stageDir(dir string, files []File, carry, carryDirs []string) (string, error) {
	stage := w.stagePath("u")
	local := func(rel string) string {
		return filepath.Join(stage, filepath.FromSlash(strings.TrimPrefix(rel, dir+"/")))
	}
	if err := os.Mkdir(stage, 0o755); err != nil {
		return "", err
	}
	for _, f := range files {
		p := local(f.Path)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return "", err
		}
		if err := writeNew(p, f.Data); err != nil {
			return "", err
		}
	}
	for _, c := range carry {
		p := local(c)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return "", err
		}
		if err := carryEntry(w.d.abs(c), p); err != nil {
			return "", fmt.Errorf("keeping %s in its folder: %w", c, err)
		}
	}
	for _, d := range carryDirs {
		if err := os.MkdirAll(local(d), 0o755); err != nil {
			return "", err
		}
	}
	return stage, nil
}

// carryEntry makes dst the same entry as src: a hard link, or a copy where
// the file system has none.
func carryEntry(src, dst string) error {
	lerr := os.Link(src, dst)
	if lerr == nil {
		return nil
	}
	info, err := os.Lstat(src)
	if err != nil {
		return err
	}
	switch {
	case info.Mode()&fs.ModeSymlink != 0:
		target, err := os.Readlink(src)
		if err != nil {
			return err
		}
		return os.Symlink(target, dst)
	case info.Mode().IsRegular():
		data, err := os.ReadFile(src)
		if err != nil {
			return err
		}
		return os.WriteFile(dst, data, info.Mode().Perm())
	}
	return lerr
}

func (r *Result) merge(o Result) {
	r.Written = append(r.Written, o.Written...)
	r.Unchanged += o.Unchanged
	r.Removed = append(r.Removed, o.Removed...)
	r.Overwritten = append(r.Overwritten, o.Overwritten...)
	r.Adopted = append(r.Adopted, o.Adopted...)
	r.Kept = append(r.Kept, o.Kept...)
}
