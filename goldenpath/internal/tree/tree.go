// Package tree writes goldenpath's GitOps tree: a folder whose files
// goldenpath owns are exactly what the last run rendered, updated so that
// every unit (an application's folder and its Argo CD Application) is at
// any moment either as it was or as it will be.
//
// What goldenpath owns is recorded in the tree itself: .goldenpath/tree.json
// lists every file it wrote, by unit, with its SHA-256. A run writes the
// units it is given, and removes the files of the units it replaces that it
// no longer renders — but only files whose content is still what it wrote.
// A file changed by hand since is never removed (it is reported), a file at
// a rendered path that goldenpath did not write stops the run (unless the
// folder is adopted), and every other file is left alone. A non-empty
// folder that is not a goldenpath tree is refused unless adopted. Nothing is
// written, read or removed through a symbolic link inside the tree.
//
// A run stages everything under .goldenpath/tmp first; an error before the
// commit leaves the tree as it was. The commit writes a journal (the index
// it is about to make true), then swaps each changed unit folder in one
// step (renameat2 RENAME_EXCHANGE on Linux), then replaces single files by
// rename, in dependency order: folders before the Applications pointing at
// them, Applications before the index that lists them; removals go the
// other way. A run killed at any point leaves every unit old or new; the
// next run removes the leftovers and, reading the journal, knows the files
// the killed run wrote as goldenpath's.
package tree

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sync"
)

// File is one file of a unit: a slash-separated path relative to the tree.
type File struct {
	Path string
	Data []byte
}

// Unit is a set of files written and removed together.
type Unit struct {
	// Key names the unit across runs, such as app/dev/payments-api.
	Key string
	// Dir, when set, is a folder the unit owns whole: it is replaced in
	// one step. Files of the unit outside Dir are replaced one by one.
	Dir string
	// Order puts units that refer to others after them: the commit writes
	// lower orders first.
	Order int
	// Pin is recorded with the unit and returned by Writer.Pin in later runs.
	Pin string
	// Files are the unit's files.
	Files []File
}

// Options configure a Writer.
type Options struct {
	// Adopt takes over a non-empty folder that is not a goldenpath tree,
	// and files at rendered paths that goldenpath did not write.
	Adopt bool
	// Replace says which units of the tree this run replaces: those it
	// does not Put are removed. Nil replaces none.
	Replace func(key string) bool
	// Hook, when set, is called with a description before each change the
	// commit makes (for tests that interrupt it).
	Hook func(step string)
}

// Kept is a file goldenpath left in place although the render no longer
// has it, and why.
type Kept struct {
	Path   string `json:"path"`
	Reason string `json:"reason"`
}

// DroppedPin is a unit's pin that a run did not keep (the caller decides
// and reports; the writer records the pins of the units it is given).
type DroppedPin struct {
	// Application is environment/application.
	Application string `json:"application"`
	Image       string `json:"image"`
	Reason      string `json:"reason"`
}

// Result is what a run changed. Paths are relative to the tree, sorted.
type Result struct {
	// Dir is the tree's folder.
	Dir string `json:"dir"`
	// Files is how many files goldenpath owns in the tree now.
	Files int `json:"files"`
	// Written are the files created or changed.
	Written []string `json:"written,omitempty"`
	// Unchanged counts the rendered files that already held their content.
	Unchanged int `json:"unchanged"`
	// Removed are the files goldenpath wrote before and no longer renders.
	Removed []string `json:"removed,omitempty"`
	// Overwritten are files goldenpath wrote and someone changed since;
	// the render replaced them (they are also in Written).
	Overwritten []string `json:"overwritten,omitempty"`
	// Adopted are files goldenpath did not write, at paths it renders,
	// taken over with Options.Adopt (also in Written).
	Adopted []string `json:"adopted,omitempty"`
	// Kept are files no longer rendered that were not removed.
	Kept []Kept `json:"kept,omitempty"`
	// Recovered says a killed run's leftovers were found and cleaned.
	Recovered bool `json:"recovered,omitempty"`
	// PinsKept counts the units whose pin the tree held and the run kept.
	PinsKept int `json:"pinsKept,omitempty"`
	// PinsDropped are pins the tree held that the run did not keep.
	PinsDropped []DroppedPin `json:"pinsDropped,omitempty"`
}

// NotTreeError is the refusal of a non-empty folder that holds no
// goldenpath tree.
type NotTreeError struct {
	Dir   string
	Entry string
}

func (e *NotTreeError) Error() string {
	return fmt.Sprintf("%s is not empty (it holds %s) and is not a goldenpath tree (it has no %s/%s): "+
		"write the tree into a new or empty folder, or adopt this one (--adopt; the WithAdopt option) to let goldenpath "+
		"manage the files it renders there and leave every other file alone", e.Dir, e.Entry, metaDir, indexName)
}

// Writer is one run over a tree: Open, Put the units, Commit (or Close to
// give up, leaving the tree as it was).
type Writer struct {
	opts Options
	dir  string // as given
	d    *dirs
	meta string
	tmp  string
	lock *os.File

	createdRoot, createdMeta, recovered bool

	prev  map[string]*prevUnit
	owned map[string][]sum

	mu       sync.Mutex
	seq      int
	put      map[string]*record
	claims   map[string]string // file path -> unit key
	dirOwner map[string]string // unit folder -> unit key
	ops      []op
	problems []error
	res      Result
	done     bool
}

// prevUnit is a unit the tree held: as the index records it, and as the
// journal of a killed run meant it to become.
type prevUnit struct {
	rec     record
	journal *record
}

func (p *prevUnit) pin() string {
	if p.journal != nil {
		return p.journal.Pin
	}
	return p.rec.Pin
}

// IsTree reports whether dir holds a goldenpath tree (its index, or the
// journal of a first run that was killed).
func IsTree(dir string) bool {
	for _, name := range []string{indexName, journalName} {
		if info, err := os.Lstat(filepath.Join(dir, metaDir, name)); err == nil && info.Mode().IsRegular() {
			return true
		}
	}
	return false
}

// Open prepares a run over the tree in dir, creating dir when it does not
// exist. It refuses a file, and a non-empty folder that is not a tree
// (unless opts.Adopt); it takes the tree's lock and cleans what a killed
// run left.
func Open(dir string, opts Options) (*Writer, error) {
	if dir == "" {
		return nil, errors.New("no folder given for the GitOps tree")
	}
	w := &Writer{opts: opts, dir: dir, put: map[string]*record{}, claims: map[string]string{}, dirOwner: map[string]string{}}
	info, err := os.Stat(dir)
	switch {
	case err != nil:
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, fmt.Errorf("cannot create the tree's folder %s: %w", dir, err)
		}
		w.createdRoot = true
	case !info.IsDir():
		return nil, fmt.Errorf("%s is a file, not a folder: the GitOps tree must be a folder (new, empty, or one goldenpath wrote)", dir)
	}
	root, err := filepath.EvalSymlinks(dir)
	if err == nil {
		root, err = filepath.Abs(root)
	}
	if err != nil {
		return nil, err
	}
	w.d = &dirs{root: root, real: map[string]bool{}}
	w.meta = filepath.Join(root, metaDir)
	if err := w.openMeta(); err != nil {
		w.undoOpen()
		return nil, err
	}
	if err := w.readPrevious(); err != nil {
		w.Close()
		return nil, err
	}
	return w, nil
}

func (w *Writer) openMeta() error {
	info, err := os.Lstat(w.meta)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		if !w.createdRoot && !w.opts.Adopt {
			entry, err := visible(w.d.root)
			if err != nil {
				return err
			}
			if entry != "" {
				return &NotTreeError{Dir: w.dir, Entry: entry}
			}
		}
		if err := os.Mkdir(w.meta, 0o755); err != nil {
			return err
		}
		w.createdMeta = true
	case err != nil:
		return err
	case !info.IsDir():
		return fmt.Errorf("%s is not goldenpath's folder (it is a link or a file): remove it", w.meta)
	}
	if w.lock, err = lock(w.meta); err != nil {
		return err
	}
	w.tmp = filepath.Join(w.meta, tmpName)
	if _, err := os.Lstat(w.tmp); err == nil {
		w.recovered = true
		if err := os.RemoveAll(w.tmp); err != nil {
			return fmt.Errorf("removing what a killed run left in %s: %w", w.tmp, err)
		}
	}
	if err := os.Mkdir(w.tmp, 0o755); err != nil {
		return err
	}
	ignore := filepath.Join(w.meta, ignoreName)
	if old, err := os.ReadFile(ignore); err != nil || string(old) != ignoreFile {
		if err := replaceFile(ignore, []byte(ignoreFile), w.tmp); err != nil {
			return err
		}
	}
	return nil
}

// undoOpen removes what Open made before it failed.
func (w *Writer) undoOpen() {
	if w.lock != nil {
		w.lock.Close()
	}
	switch {
	case w.createdRoot:
		os.RemoveAll(w.dir)
	case w.createdMeta:
		os.RemoveAll(w.meta)
	case w.tmp != "":
		os.RemoveAll(w.tmp)
	}
}

func (w *Writer) readPrevious() error {
	idx, _, err := readIndex(filepath.Join(w.meta, indexName))
	if err != nil {
		return err
	}
	journal, found, err := readIndex(filepath.Join(w.meta, journalName))
	if err != nil {
		return err
	}
	w.recovered = w.recovered || found
	w.prev = make(map[string]*prevUnit, len(idx))
	w.owned = make(map[string][]sum, len(idx)*8)
	for _, r := range idx {
		w.prev[r.Key] = &prevUnit{rec: r}
		w.own(r)
	}
	for i, r := range journal {
		if p, ok := w.prev[r.Key]; ok {
			p.journal = &journal[i]
		} else {
			w.prev[r.Key] = &prevUnit{rec: r}
		}
		w.own(r)
	}
	return nil
}

func (w *Writer) own(r record) {
	for i, p := range r.Paths {
		if !slices.Contains(w.owned[p], r.Sums[i]) {
			w.owned[p] = append(w.owned[p], r.Sums[i])
		}
	}
}

// Pin is the pin the tree records for a unit ("" when none).
func (w *Writer) Pin(key string) string {
	if p, ok := w.prev[key]; ok {
		return p.pin()
	}
	return ""
}

// Read reads a file of the tree (refusing links, as writes do) and says
// whether it holds what goldenpath recorded writing there.
func (w *Writer) Read(rel string) (data []byte, recorded bool, err error) {
	if err := checkRel(rel); err != nil {
		return nil, false, err
	}
	info, err := w.d.lstat(rel)
	if err != nil {
		return nil, false, err
	}
	if !info.Mode().IsRegular() {
		return nil, false, fmt.Errorf("%s is not a regular file", w.d.abs(rel))
	}
	if data, err = os.ReadFile(w.d.abs(rel)); err != nil {
		return nil, false, err
	}
	return data, slices.Contains(w.owned[rel], sumOf(data)), nil
}

// Keys lists, sorted, the keys starting with prefix of the units the tree
// will hold after Commit: those Put, and those of the tree not replaced.
func (w *Writer) Keys(prefix string) []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	var keys []string
	for k := range w.put {
		if hasPrefix(k, prefix) {
			keys = append(keys, k)
		}
	}
	for k := range w.prev {
		if _, put := w.put[k]; !put && !w.replaces(k) && hasPrefix(k, prefix) {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	return keys
}

// PreviousKeys lists, sorted, the keys starting with prefix of the units
// the tree held before this run.
func (w *Writer) PreviousKeys(prefix string) []string {
	var keys []string
	for k := range w.prev {
		if hasPrefix(k, prefix) {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	return keys
}

func hasPrefix(s, prefix string) bool { return len(s) >= len(prefix) && s[:len(prefix)] == prefix }

func (w *Writer) replaces(key string) bool { return w.opts.Replace != nil && w.opts.Replace(key) }

// Close ends the run. Without a successful Commit, it leaves the tree as
// it was (removing the folder Open created for it). It releases the lock.
func (w *Writer) Close() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.lock == nil {
		return nil
	}
	err := os.RemoveAll(w.tmp)
	if !w.done {
		switch {
		case w.createdRoot:
			err = os.RemoveAll(w.dir)
		case w.createdMeta:
			err = os.RemoveAll(w.meta)
		}
	}
	w.lock.Close()
	w.lock = nil
	return err
}
