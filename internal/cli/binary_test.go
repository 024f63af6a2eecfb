package cli_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
)

// The tests that start the real CLI binary share one build of it.
var cliBinary struct {
	once sync.Once
	dir  string
	path string
	out  []byte
	err  error
}

func TestMain(m *testing.M) {
	code := m.Run()
	if cliBinary.dir != "" {
		os.RemoveAll(cliBinary.dir)
	}
	os.Exit(code)
}

// goldenpathBinary builds cmd/goldenpath (once per test run) and returns
// its path.
func goldenpathBinary(t *testing.T) string {
	t.Helper()
	cliBinary.once.Do(func() {
		if cliBinary.dir, cliBinary.err = os.MkdirTemp("", "goldenpath-cli-"); cliBinary.err != nil {
			return
		}
		cliBinary.path = filepath.Join(cliBinary.dir, "goldenpath")
		cmd := exec.Command("go", "build", "-o", cliBinary.path, "../../cmd/goldenpath")
		cliBinary.out, cliBinary.err = cmd.CombinedOutput()
	})
	if cliBinary.err != nil {
		t.Fatalf("go build ./cmd/goldenpath: %v\n%s", cliBinary.err, cliBinary.out)
	}
	return cliBinary.path
}
