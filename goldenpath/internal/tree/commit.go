package tree

import (
	"cmp"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
)

// Commit makes the staged units the tree: it plans the removals, checks
// that nothing stands in the way (reporting every problem Put found, and
// changing nothing when there is one), writes the journal, moves the
// staged folders and files into place, removes what is no longer
// rendered, removes folders that became empty and writes the index.
// Close must still be called.
func (w *Writer) Commit() (*Result, error) {
	w.mu.Lock()
	if w.done || w.lock == nil {
		w.mu.Unlock()
		return nil, errors.New("the tree run is already committed or closed")
	}
	w.mu.Unlock()
	w.checkNesting()
	removals, err := w.planRemovals()
	if err != nil {
		return nil, err
	}
	if len(w.problems) > 0 {
		return nil, problemsError(w.problems)
	}
	recs := w.finalRecords()
	ops := append(sortOps(w.ops, false), sortOps(removals, true)...)
	indexPath := filepath.Join(w.meta, indexName)
	journalPath := filepath.Join(w.meta, journalName)
	// The index is encoded straight to its file (it is tens of MB for tens
	// of thousands of applications): first to a hash, to see whether it
	// changes at all.
	same, err := sameIndex(indexPath, recs)
	if err != nil {
		return nil, err
	}
	_, jerr := os.Lstat(journalPath)
	if len(ops) > 0 || !same || jerr == nil {
		w.mu.Lock()
		w.done = true // from here on, Close leaves the tree to the journal
		w.mu.Unlock()
		w.hook(fmt.Sprintf("commit %d changes", len(ops)))
		w.hook("journal")
		if err := writeIndex(journalPath, recs, w.tmp); err != nil {
			return nil, err
		}
		var emptied []string
		for _, o := range ops {
			if err := w.apply(o); err != nil {
				return nil, fmt.Errorf("updating %s in %s: %w (run again: the next run finishes the update)", o.target, w.dir, err)
			}
			if o.kind == opRemoveFile || o.kind == opRemoveDir {
				emptied = append(emptied, path.Dir(o.target))
			}
		}
		if w.recovered {
			emptied = append(emptied, w.previousFolders()...)
		}
		w.pruneEmpty(emptied)
		// The journal is the new index: it takes the index's place.
		w.hook("index")
		if err := os.Rename(journalPath, indexPath); err != nil {
			return nil, err
		}
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	w.done = true
	res := w.res
	res.Dir = w.dir
	res.Recovered = w.recovered
	for _, r := range recs {
		res.Files += len(r.Paths)
	}
	for _, l := range [][]string{res.Written, res.Removed, res.Overwritten, res.Adopted} {
		slices.Sort(l)
	}
	slices.SortFunc(res.Kept, func(a, b Kept) int { return strings.Compare(a.Path, b.Path) })
	return &res, nil
}

func (w *Writer) hook(step string) {
	if w.opts.Hook != nil {
		w.opts.Hook(step)
	}
}

// problemsError lists the problems that stopped the run.
func problemsError(problems []error) error {
	const most = 20
	msgs := make([]string, 0, most+1)
	for i, p := range problems {
		if i == most {
			msgs = append(msgs, fmt.Sprintf("... and %d more", len(problems)-most))
			break
		}
		msgs = append(msgs, p.Error())
	}
	return &ProblemsError{Problems: problems, msg: strings.Join(msgs, "\n") + "\nnothing was written"}
}

// ProblemsError lists what in the tree stopped a run; the tree is as it was.
type ProblemsError struct {
	Problems []error
	msg      string
}

func (e *ProblemsError) Error() string { return e.msg }

// Unwrap gives the problems to errors.Is and errors.As.
func (e *ProblemsError) Unwrap() []error { return e.Problems }

// sortOps orders the changes: writes by order, folders before the files
// that name them; removals the other way round.
func sortOps(ops []op, removal bool) []op {
	out := slices.Clone(ops)
	slices.SortFunc(out, func(a, b op) int {
		if removal {
			return cmp.Or(cmp.Compare(b.order, a.order), cmp.Compare(a.kind, b.kind), strings.Compare(a.target, b.target))
		}
		return cmp.Or(cmp.Compare(a.order, b.order), cmp.Compare(a.kind, b.kind), strings.Compare(a.target, b.target))
	})
	return out
}

func (w *Writer) apply(o op) error {
	target := w.d.abs(o.target)
	switch o.kind {
	case opDir:
		w.hook("dir " + o.target)
		if err := w.d.mkdirs(path.Dir(o.target)); err != nil {
			return err
		}
		w.d.forget(o.target)
		if o.exists {
			return exchange(o.stage, target, w.stagePath("trash"))
		}
		return os.Rename(o.stage, target)
	case opFile:
		w.hook("file " + o.target)
		if err := w.d.mkdirs(path.Dir(o.target)); err != nil {
			return err
		}
		return os.Rename(o.stage, target)
	case opRemoveFile:
		w.hook("remove " + o.target)
		if err := os.Remove(target); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
		return nil
	case opRemoveDir:
		w.hook("rmdir " + o.target)
		w.d.forget(o.target)
		if o.stage != "" {
			return exchange(o.stage, target, w.stagePath("trash"))
		}
		return os.Rename(target, w.stagePath("trash"))
	}
	return fmt.Errorf("unknown change %d", o.kind)
}

// checkNesting refuses a unit's file or folder inside another unit's folder.
func (w *Writer) checkNesting() {
	w.mu.Lock()
	defer w.mu.Unlock()
	check := func(p, key string) {
		for a := path.Dir(p); a != "."; a = path.Dir(a) {
			if owner, ok := w.dirOwner[a]; ok && owner != key {
				w.problems = append(w.problems, fmt.Errorf("%s (of %s) is inside the folder %s of %s", p, key, a, owner))
				return
			}
		}
	}
	for p, key := range w.claims {
		check(p, key)
	}
	for d, key := range w.dirOwner {
		check(d, key)
	}
}

// planRemovals plans the removal of what the replaced units held and no
// longer render: whole folders of units that are gone, single files
// otherwise. Only files whose content is what goldenpath wrote go.
func (w *Writer) planRemovals() ([]op, error) {
	var ops []op
	removedDirs := map[string]bool{}
	seen := map[string]bool{}
	var claimedUnder map[string]bool // every folder holding a rendered file or unit folder
	for _, key := range slices.Sorted(maps.Keys(w.prev)) {
		pu := w.prev[key]
		rec, isPut := w.put[key]
		if !isPut && !w.replaces(key) {
			continue
		}
		olds := []record{pu.rec}
		if pu.journal != nil {
			olds = append(olds, *pu.journal)
		}
		newDir := ""
		if isPut {
			newDir = rec.Dir
		}
		for _, o := range olds {
			if o.Dir == "" || o.Dir == newDir || removedDirs[o.Dir] || w.dirOwner[o.Dir] != "" {
				continue
			}
			if claimedUnder == nil {
				claimedUnder = w.claimedFolders()
			}
			if claimedUnder[o.Dir] {
				continue // something rendered now lives in it: remove file by file
			}
			op, ok, err := w.planDirRemoval(o.Dir)
			if err != nil {
				return nil, err
			}
			removedDirs[o.Dir] = true
			if ok {
				ops = append(ops, op)
			}
		}
		for _, o := range olds {
			for _, p := range o.Paths {
				if seen[p] || w.claims[p] != "" || (newDir != "" && under(p, newDir)) || ancestorIn(p, removedDirs) || ancestorIn(p, w.dirOwner) {
					continue
				}
				seen[p] = true
				if op, ok := w.planFileRemoval(p); ok {
					ops = append(ops, op)
				}
			}
		}
	}
	return ops, nil
}

func ancestorIn[V any](p string, set map[string]V) bool {
	for a := path.Dir(p); a != "."; a = path.Dir(a) {
		if _, ok := set[a]; ok {
			return true
		}
	}
	return false
}

func (w *Writer) claimedFolders() map[string]bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	folders := map[string]bool{}
	add := func(p string) {
		for a := path.Dir(p); a != "." && !folders[a]; a = path.Dir(a) {
			folders[a] = true
		}
	}
	for p := range w.claims {
		add(p)
	}
	for d := range w.dirOwner {
		add(d)
		folders[d] = true
	}
	return folders
}

func (w *Writer) planFileRemoval(p string) (op, bool) {
	info, err := w.d.lstat(p)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return op{}, false
	case err != nil:
		w.problems = append(w.problems, err)
		return op{}, false
	case !info.Mode().IsRegular():
		w.res.Kept = append(w.res.Kept, Kept{Path: p, Reason: keptForeign})
		return op{}, false
	}
	data, err := os.ReadFile(w.d.abs(p))
	if err != nil {
		w.problems = append(w.problems, err)
		return op{}, false
	}
	if !slices.Contains(w.owned[p], sumOf(data)) {
		w.res.Kept = append(w.res.Kept, Kept{Path: p, Reason: keptEdited})
		return op{}, false
	}
	w.res.Removed = append(w.res.Removed, p)
	return op{kind: opRemoveFile, target: p}, true
}

const keptForeign = "not goldenpath's, so its folder stays: delete it if it is no longer needed"

// planDirRemoval plans removing a unit's folder: in one step when all it
// holds is what goldenpath wrote, else by swapping in a folder that holds
// only what stays.
func (w *Writer) planDirRemoval(dir string) (op, bool, error) {
	info, err := w.d.lstat(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return op{}, false, nil
	case err != nil:
		w.problems = append(w.problems, err)
		return op{}, false, nil
	case !info.IsDir():
		return op{}, false, nil
	}
	carry, carryDirs, stale, kept, err := w.scanDir(dir, nil)
	if err != nil {
		w.problems = append(w.problems, err)
		return op{}, false, nil
	}
	edited := map[string]bool{}
	for _, k := range kept {
		edited[k.Path] = true
	}
	w.res.Kept = append(w.res.Kept, kept...)
	for _, c := range carry {
		if !edited[c] {
			w.res.Kept = append(w.res.Kept, Kept{Path: c, Reason: keptForeign})
		}
	}
	w.res.Removed = append(w.res.Removed, stale...)
	switch {
	case len(carry) == 0 && len(carryDirs) == 0:
		return op{kind: opRemoveDir, target: dir}, true, nil
	case len(stale) == 0:
		return op{}, false, nil
	}
	stage, err := w.stageDir(dir, nil, carry, carryDirs)
	if err != nil {
		return op{}, false, err
	}
	return op{kind: opRemoveDir, stage: stage, target: dir, exists: true}, true, nil
}

// finalRecords are the units the tree holds after the commit, by key.
func (w *Writer) finalRecords() []record {
	recs := make([]record, 0, len(w.put)+len(w.prev))
	for _, r := range w.put {
		recs = append(recs, *r)
	}
	for key, pu := range w.prev {
		if _, put := w.put[key]; !put && !w.replaces(key) {
			recs = append(recs, w.keptRecord(pu))
		}
	}
	slices.SortFunc(recs, func(a, b record) int { return strings.Compare(a.Key, b.Key) })
	return recs
}

// keptRecord is the record of a unit this run leaves alone: the journal's
// when a killed run got to write it whole, else the index's.
func (w *Writer) keptRecord(pu *prevUnit) record {
	if pu.journal == nil {
		return pu.rec
	}
	for i, p := range pu.journal.Paths {
		data, err := os.ReadFile(w.d.abs(p))
		if err != nil || sumOf(data) != pu.journal.Sums[i] {
			return pu.rec
		}
	}
	return *pu.journal
}

// previousFolders are the folders of every file and unit folder the tree
// and a killed run's journal name: a killed run may have left them empty.
func (w *Writer) previousFolders() []string {
	var out []string
	for _, pu := range w.prev {
		for _, r := range []*record{&pu.rec, pu.journal} {
			if r == nil {
				continue
			}
			if r.Dir != "" {
				out = append(out, r.Dir)
			}
			for _, p := range r.Paths {
				out = append(out, path.Dir(p))
			}
		}
	}
	return out
}

// pruneEmpty removes the given folders and their parents, deepest first,
// as long as they are empty real folders.
func (w *Writer) pruneEmpty(folders []string) {
	all := map[string]bool{}
	for _, f := range folders {
		for a := f; a != "." && a != "" && !all[a]; a = path.Dir(a) {
			all[a] = true
		}
	}
	list := slices.Collect(maps.Keys(all))
	slices.SortFunc(list, func(a, b string) int {
		return cmp.Or(cmp.Compare(strings.Count(b, "/"), strings.Count(a, "/")), strings.Compare(a, b))
	})
	for _, f := range list {
		if f == metaDir || strings.HasPrefix(f, metaDir+"/") {
			continue
		}
		if info, err := w.d.lstat(f); err == nil && info.IsDir() {
			if empty, err := isEmptyDir(w.d.abs(f)); err == nil && empty {
				w.hook("prune " + f)
				if os.Remove(w.d.abs(f)) == nil {
					w.d.forget(f)
				}
			}
		}
	}
}
