package contract_test

import (
	"os"
	"path/filepath"
	"strings"
)

func filepathGlob(pattern string) ([][]byte, error) {
	files, err := filepath.Glob(pattern)
	if err != nil {
		return nil, err
	}
	var out [][]byte
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		out = append(out, data)
	}
	return out, nil
}

func mustRead(t interface {
	Helper()
	Fatal(...any)
}, path string) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// edited returns data with each old string of edits (old, new, old, new,
// ...) replaced by its new one; each old string must occur exactly once.
func edited(t interface {
	Helper()
	Fatalf(string, ...any)
}, data string, edits ...string) string {
	t.Helper()
	for i := 0; i+1 < len(edits); i += 2 {
		if n := strings.Count(data, edits[i]); n != 1 {
			t.Fatalf("edit %q matches %d times, not once", edits[i], n)
		}
		data = strings.Replace(data, edits[i], edits[i+1], 1)
	}
	return data
}
