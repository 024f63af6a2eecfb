//go:build builder

package buildertest

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/goldenpath-dev/goldenpath/internal/testenv"
)

// The Python buildpack takes an app's dependencies from whichever project file it has, not only requirements.txt:
// pyproject.toml's [project].dependencies, Pipfile's [packages] (pipenv is not in the build image, so Pipfile.lock is
// not read), and setup.py's install_requires (the app is installed as a distribution). Each variant of the python-pip
// sample declares its one dependency in that file alone; the build installs it through the platform's index and the
// app answers with it.
func TestPythonProjectFiles(t *testing.T) {
	e := newEnv(t)
	const dep = "goldenpath-greeting"
	variants := map[string]map[string]string{
		"pyproject": {"pyproject.toml": "[project]\nname = \"sample\"\nversion = \"1.0.0\"\ndependencies = [\"" + dep + "==1.0.0\"]\n"},
		"pipfile":   {"Pipfile": "[[source]]\nname = \"platform\"\nurl = \"https://pypi.invalid/simple\"\nverify_ssl = true\n\n[packages]\n" + dep + " = \"==1.0.0\"\n"},
		"setup-py":  {"setup.py": "from setuptools import setup\n\nsetup(name=\"sample\", version=\"1.0.0\", py_modules=[\"app\"], install_requires=[\"" + dep + "==1.0.0\"])\n"},
	}
	for name, files := range variants {
		t.Run(name, func(t *testing.T) {
			c, dir := e.app(t, "python-pip")
			require.NoError(t, os.Remove(filepath.Join(dir, "requirements.txt")))
			for f, data := range files {
				require.NoError(t, os.WriteFile(filepath.Join(dir, f), []byte(data), 0o644))
			}
			before := e.mirror.Hits("pypi")
			res, log, _ := e.build(t, c, dir, false)
			t.Cleanup(func() { _ = exec.Command(testenv.Docker, "rmi", "-f", res.Tag).Run() })
			assert.Greater(t, e.mirror.Hits("pypi"), before, "the dependency came from the platform's Python index")
			assert.Contains(t, log, dep, "the build names the dependency it installs")
			body := testenv.Get(t, testenv.RunImage(t, res.Tag)+"/", 2*time.Minute)
			assert.Equal(t, "hello from goldenpath python-pip app", strings.TrimSpace(body))
		})
	}
}
