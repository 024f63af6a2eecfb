package contract_test

import (
	"os"
	"path/filepath"
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
