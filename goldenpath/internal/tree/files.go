package tree

import (
	"bytes"
	"fmt"
	"slices"
	"strings"
)

// Files are the files a new tree holding units has: the units' files, and
// goldenpath's own folder (the index and its .gitignore), as Open, Put and
// Commit would write them into an empty folder. For writers of a tree
// elsewhere than on disk (a Dagger directory, an archive).
func Files(units []Unit) (map[string][]byte, error) {
	out := map[string][]byte{}
	w := &Writer{put: map[string]*record{}, claims: map[string]string{}, dirOwner: map[string]string{}}
	for _, u := range units {
		files := slices.Clone(u.Files)
		slices.SortFunc(files, func(a, b File) int { return strings.Compare(a.Path, b.Path) })
		if err := checkUnit(u, files); err != nil {
			return nil, err
		}
		rec, err := w.claim(u, files)
		if err != nil {
			return nil, err
		}
		for _, f := range files {
			rec.Paths = append(rec.Paths, f.Path)
			rec.Sums = append(rec.Sums, sumOf(f.Data))
			out[f.Path] = f.Data
		}
	}
	w.checkNesting()
	if len(w.problems) > 0 {
		return nil, problemsError(w.problems)
	}
	var index bytes.Buffer
	if err := encodeIndex(&index, w.finalRecords()); err != nil {
		return nil, err
	}
	out[fmt.Sprintf("%s/%s", metaDir, indexName)] = index.Bytes()
	out[metaDir+"/"+ignoreName] = []byte(ignoreFile)
	return out, nil
}
