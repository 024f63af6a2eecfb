//go:build integration

package modinstall_test

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/mod/modfile"
	"golang.org/x/mod/module"
	"golang.org/x/mod/zip"

	"github.com/goldenpath-dev/goldenpath/internal/testenv"
)

const modulePath = "github.com/goldenpath-dev/goldenpath"

// The committed module (git HEAD) is served as a pseudo-version from a
// file-based GOPROXY in front of the machine's proxy; `go install
// .../cmd/goldenpath@VERSION` works from it and a consumer module that
// imports the facade builds, both with no replace directive, and the
// consumer resolves the same versions of the modules goldenpath once
// replaced (BurntSushi/toml, docker/docker). Checksums are verified for
// every module but ours (GONOSUMDB names only our path: the version is
// made here, so the checksum database cannot know it).
func TestInstallAndImportFromAModuleProxy(t *testing.T) {
	root := testenv.RepoRoot(t)
	gomod, err := os.ReadFile(filepath.Join(root, "go.mod"))
	require.NoError(t, err)
	mf, err := modfile.Parse("go.mod", gomod, nil)
	require.NoError(t, err)
	require.Empty(t, mf.Replace, "go.mod must have no replace directives: go install ...@version refuses them and importers do not get them")

	version := pseudoVersion(t, root)
	proxy := t.TempDir()
	dir := filepath.Join(proxy, modulePath, "@v")
	require.NoError(t, os.MkdirAll(dir, 0o755))
	mv := module.Version{Path: modulePath, Version: version}
	zf, err := os.Create(filepath.Join(dir, version+".zip"))
	require.NoError(t, err)
	tree := t.TempDir() // the committed tree (git archive HEAD): what a tag would publish
	archive := exec.Command("sh", "-c", `git -C "$0" archive HEAD | tar -x -C "$1"`, root, tree)
	aout, err := archive.CombinedOutput()
	require.NoError(t, err, "%s", aout)
	require.NoError(t, zip.CreateFromDir(zf, mv, tree))
	require.NoError(t, zf.Close())
	committed := gitShow(t, root, "HEAD:go.mod")
	require.NoError(t, os.WriteFile(filepath.Join(dir, version+".mod"), committed, 0o644))
	info, _ := json.Marshal(map[string]string{"Version": version, "Time": time.Now().UTC().Format(time.RFC3339)})
	require.NoError(t, os.WriteFile(filepath.Join(dir, version+".info"), info, 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "list"), []byte(version+"\n"), 0o644))

	upstream := strings.TrimSpace(goEnv(t, "GOPROXY"))
	env := append(os.Environ(),
		"GOPROXY=file://"+proxy+","+upstream,
		"GONOSUMDB="+modulePath,
		"GOFLAGS=-mod=mod",
		"GOWORK=off",
	)

	bin := t.TempDir()
	run(t, "", append(env, "GOBIN="+bin), "go", "install", modulePath+"/cmd/goldenpath@"+version)
	out := run(t, "", env, filepath.Join(bin, "goldenpath"), "validate", filepath.Join(root, "examples/contracts"))
	assert.Contains(t, out, "valid")

	consumer := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(consumer, "go.mod"), []byte("module example.com/consumer\n\ngo 1.25.5\n\nrequire "+modulePath+" "+version+"\n"), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(consumer, "main.go"), []byte(`package main

import (
	"context"
	"fmt"
	"os"

	"github.com/goldenpath-dev/goldenpath/goldenpath"
)

func main() {
	rep, err := goldenpath.ValidatePaths(context.Background(), os.Args[1:])
	if err != nil {
		fmt.Println(err)
		os.Exit(2)
	}
	fmt.Println("valid:", rep.Valid())
}
`), 0o644))
	run(t, consumer, env, "go", "mod", "tidy")
	run(t, consumer, env, "go", "build", "-o", filepath.Join(consumer, "consumer"), ".")
	out = run(t, consumer, env, filepath.Join(consumer, "consumer"), filepath.Join(root, "examples/contracts"))
	assert.Contains(t, out, "valid: true")
	cgomod, err := os.ReadFile(filepath.Join(consumer, "go.mod"))
	require.NoError(t, err)
	assert.NotContains(t, string(cgomod), "replace")
	for _, m := range []string{"github.com/BurntSushi/toml", "github.com/docker/docker"} {
		ours := strings.TrimSpace(run(t, root, append(env, "GOFLAGS=-mod=readonly"), "go", "list", "-m", "-f", "{{.Version}}", m))
		theirs := strings.TrimSpace(run(t, consumer, env, "go", "list", "-m", "-f", "{{.Version}}", m))
		assert.Equal(t, ours, theirs, "%s: the consumer builds with the version goldenpath is tested with", m)
	}
}

// pseudoVersion is the Go pseudo-version of git HEAD.
func pseudoVersion(t *testing.T, root string) string {
	t.Helper()
	out := strings.Fields(string(gitOut(t, root, "log", "-1", "--format=%ct %H")))
	require.Len(t, out, 2)
	unix, err := strconv.ParseInt(out[0], 10, 64)
	require.NoError(t, err)
	return module.PseudoVersion("", "", time.Unix(unix, 0), out[1][:12])
}

func gitShow(t *testing.T, root, obj string) []byte { t.Helper(); return gitOut(t, root, "show", obj) }

func gitOut(t *testing.T, root string, args ...string) []byte {
	t.Helper()
	out, err := exec.Command("git", append([]string{"-C", root}, args...)...).Output()
	require.NoError(t, err, "git %v", args)
	return out
}

func goEnv(t *testing.T, name string) string {
	t.Helper()
	out, err := exec.Command("go", "env", name).Output()
	require.NoError(t, err)
	return string(out)
}

func run(t *testing.T, dir string, env []string, name string, args ...string) string {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Dir, cmd.Env = dir, env
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "%s %v:\n%s", name, args, out)
	return string(out)
}
