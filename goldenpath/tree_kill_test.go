package goldenpath

import (
	"bufio"
	"context"
	"fmt"
	"io/fs"
	"maps"
	"math/rand/v2"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/goldenpath-dev/goldenpath/goldenpath/internal/settings"
	"github.com/goldenpath-dev/goldenpath/internal/treetest"
)

// withTreeHook calls h before each change a tree commit makes.
func withTreeHook(h func(string)) Option {
	return func(s *settings.Settings) error {
		s.Tree.Hook = h
		return nil
	}
}

// contractSet writes n contracts into dir. The "new" set changes every
// application (replicas), drops the ingress of every fourth, renames every
// tenth, removes every tenth and adds a tenth more.
func contractSet(t testing.TB, dir string, n int, next bool) {
	t.Helper()
	require.NoError(t, os.MkdirAll(dir, 0o755))
	count := n
	if next {
		count = n + n/10
	}
	for i := range count {
		name, env, replicas, ingress := fmt.Sprintf("app-%04d", i), []string{"dev", "test"}[i%2], 2, i%2 == 0
		if next {
			switch {
			case i >= n:
			case i%10 == 9:
				continue
			case i%10 == 8:
				name = fmt.Sprintf("renamed-%04d", i)
			}
			replicas = 3
			ingress = ingress && i%4 != 0
		}
		doc := fmt.Sprintf(`apiVersion: goldenpath.io/v1
kind: AppDeploymentRequest
id: APP-%04d
environment: %s
owner: team-%d
application: %s
spec:
  source:
    git:
      url: https://github.com/org/%s
  build:
    type: buildpack
  runtime:
    replicas: %d
    env: {LOG_LEVEL: info}
  ingress:
    enabled: %t
    host: %s.%s.goldenpath.io
`, i, env, i%7, name, name, replicas, ingress, name, env)
		require.NoError(t, os.WriteFile(filepath.Join(dir, name+".yaml"), []byte(doc), 0o644))
	}
}

// TestTreeKillChild is the child of TestTreeKilled: it renders
// $GOLDENPATH_KILL_CONTRACTS into $GOLDENPATH_KILL_OUT, printing each step of
// the commit before it takes it.
func TestTreeKillChild(t *testing.T) {
	contracts, out := os.Getenv("GOLDENPATH_KILL_CONTRACTS"), os.Getenv("GOLDENPATH_KILL_OUT")
	if contracts == "" {
		t.Skip("the child of TestTreeKilled")
	}
	stdout := bufio.NewWriter(os.Stdout)
	fmt.Fprintln(stdout, "started")
	stdout.Flush()
	_, err := RenderTree(context.Background(), []string{contracts}, out, withTreeHook(func(step string) {
		fmt.Fprintln(stdout, "step", step)
		stdout.Flush()
	}))
	require.NoError(t, err)
	fmt.Fprintln(stdout, "done")
	stdout.Flush()
}

// TestTreeKilled kill -9s `render --out` of thousands of changed
// applications, again and again, at random steps of its commit and at
// random times, and checks after every kill that each application's folder,
// its Application and each environment's root are old or new (never a mix,
// never an Application newer than its folder or without one); then that
// the next run cleans up and converges on exactly the tree a clean render
// gives. The child is this test binary, run again.
func TestTreeKilled(t *testing.T) {
	if testing.Short() {
		t.Skip("kills a child render many times")
	}
	n, kills := 1000, 9
	base := t.TempDir()
	oldC, newC := filepath.Join(base, "old"), filepath.Join(base, "new")
	contractSet(t, oldC, n, false)
	contractSet(t, newC, n, true)
	refNew, out := filepath.Join(base, "ref-new"), filepath.Join(base, "gitops")
	_, err := RenderTree(context.Background(), []string{newC}, refNew)
	require.NoError(t, err)
	next, newIndex := diskTree(t, refNew), readFileString(t, filepath.Join(refNew, ".goldenpath/tree.json"))
	require.NoError(t, os.RemoveAll(refNew))
	_, err = RenderTree(context.Background(), []string{oldC}, out)
	require.NoError(t, err)
	old, oldIndex := diskTree(t, out), readFileString(t, filepath.Join(out, ".goldenpath/tree.json"))

	// One uninterrupted run: the commit has a change per changed
	// application at least, and it takes some time (to pick kill times;
	// nothing is asserted about time).
	started := time.Now()
	run := runChild(t, newC, out, -1, 0)
	took := time.Since(started)
	require.True(t, run.finished)
	require.Greater(t, run.changes, n)
	checkClean(t, out, next, newIndex)
	t.Logf("%d applications, %d changes, an uninterrupted run took %v", n, run.changes, took)

	// Kill runs at a random change of their commit (or, every third, at a
	// random time), each going on from where the last was killed; every
	// third, a run back to the old contracts cleans up and converges first.
	// The last kill is at a step, so the last run below recovers.
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 42))
	killedInCommit, fresh := 0, true
	for k := range kills {
		if fresh {
			rep, err := RenderTree(context.Background(), []string{oldC}, out)
			require.NoError(t, err)
			checkClean(t, out, old, oldIndex)
			t.Logf("back to the old contracts: %d written, %d removed, recovered %v", len(rep.Written), len(rep.Removed), rep.Recovered)
		}
		var r childRun
		if k%3 == 1 {
			after := time.Duration(rng.Int64N(int64(took)))
			r = runChild(t, newC, out, -1, after)
			t.Logf("kill %d after %v: %d of %d changes made, finished %v", k, after, r.steps, r.changes, r.finished)
		} else {
			r = runChild(t, newC, out, rng.Float64(), 0)
			t.Logf("kill %d: %d of %d changes made, finished %v", k, r.steps, r.changes, r.finished)
		}
		if r.steps > 0 && !r.finished {
			killedInCommit++
		}
		checkOldOrNew(t, out, old, next)
		fresh = r.finished || k%3 == 2
	}
	assert.Positive(t, killedInCommit, "no kill landed in a commit")

	// From the last killed state, the next run converges on the new render.
	rep, err := RenderTree(context.Background(), []string{newC}, out)
	require.NoError(t, err)
	checkClean(t, out, next, newIndex)
	t.Logf("converged: %d files, %d written, %d removed, recovered %v", rep.Files, len(rep.Written), len(rep.Removed), rep.Recovered)
}

// checkClean checks that a tree holds exactly the files and index of a
// clean render, with no leftovers and no empty folder.
func checkClean(t *testing.T, dir string, want map[string]string, index string) {
	t.Helper()
	got := diskTree(t, dir)
	require.Equal(t, len(want), len(got))
	for p, c := range want {
		require.Equal(t, c, got[p], p)
	}
	require.Equal(t, index, readFileString(t, filepath.Join(dir, ".goldenpath/tree.json")))
	require.NoDirExists(t, filepath.Join(dir, ".goldenpath/tmp"))
	require.NoFileExists(t, filepath.Join(dir, ".goldenpath/journal.json"))
	require.Empty(t, emptyFolders(t, dir))
}

type childRun struct {
	changes  int  // the changes its commit announced
	steps    int  // the changes it announced before it was killed
	finished bool // it was not killed
}

// runChild renders contracts into out in a child process, kill -9ing it
// when it announces the change at fraction at of its commit (-1: never) or
// after the given time (0: never).
func runChild(t *testing.T, contracts, out string, at float64, after time.Duration) childRun {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestTreeKillChild$", "-test.count=1")
	cmd.Env = append(os.Environ(), "GOLDENPATH_KILL_CONTRACTS="+contracts, "GOLDENPATH_KILL_OUT="+out)
	cmd.Stderr = os.Stderr
	pipe, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	var timer *time.Timer
	kill := func() { _ = cmd.Process.Kill() }
	var r childRun
	killAt := -1
	sc := bufio.NewScanner(pipe)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case line == "started" && after > 0:
			timer = time.AfterFunc(after, kill)
		case strings.HasPrefix(line, "step commit "):
			fmt.Sscanf(line, "step commit %d changes", &r.changes)
			if at >= 0 {
				killAt = int(at * float64(r.changes))
			}
		case strings.HasPrefix(line, "step "):
			if r.steps == killAt {
				kill()
			}
			if strings.HasPrefix(line, "step dir ") || strings.HasPrefix(line, "step file ") || strings.HasPrefix(line, "step remove") || strings.HasPrefix(line, "step rmdir") {
				r.steps++
			}
		case line == "done":
			r.finished = true
		}
	}
	if timer != nil {
		timer.Stop()
	}
	err = cmd.Wait()
	if r.finished {
		require.NoError(t, err)
	}
	return r
}

// diskTree reads a tree's files, goldenpath's own folder aside.
func diskTree(t *testing.T, dir string) map[string]string {
	return treetest.Read(t, dir, ".goldenpath")
}

func readFileString(t *testing.T, p string) string {
	t.Helper()
	data, err := os.ReadFile(p)
	require.NoError(t, err)
	return string(data)
}

func emptyFolders(t *testing.T, dir string) []string {
	t.Helper()
	var empty []string
	require.NoError(t, filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || !d.IsDir() || p == dir {
			return err
		}
		entries, err := os.ReadDir(p)
		if err == nil && len(entries) == 0 && !strings.Contains(p, ".goldenpath") {
			empty = append(empty, p)
		}
		return err
	}))
	return empty
}

// checkOldOrNew checks a tree against the old and new renders: every
// application folder whole and old or new, every Application old or new,
// never newer than its folder nor present without it, each environment's
// root and index old or new, each Application the index lists present, and
// no file that neither render has.
func checkOldOrNew(t *testing.T, dir string, old, next map[string]string) {
	t.Helper()
	got := diskTree(t, dir)
	for p := range got {
		if _, ok := old[p]; !ok {
			if _, ok := next[p]; !ok {
				t.Fatalf("%s is in neither render", p)
			}
		}
	}
	group := func(files map[string]string) map[string]map[string]string {
		g := map[string]map[string]string{}
		for p, c := range files {
			key := p
			if parts := strings.Split(p, "/"); len(parts) > 2 && parts[0] != "argocd" {
				key = parts[0] + "/" + parts[1] // an application's folder
			}
			if g[key] == nil {
				g[key] = map[string]string{}
			}
			g[key][p] = c
		}
		return g
	}
	o, nx, g := group(old), group(next), group(got)
	keys := map[string]bool{}
	for _, m := range []map[string]map[string]string{o, nx, g} {
		for k := range m {
			keys[k] = true
		}
	}
	version := func(k string) (isOld, isNew bool) {
		return maps.Equal(g[k], o[k]), maps.Equal(g[k], nx[k])
	}
	for k := range keys {
		isOld, isNew := version(k)
		if !isOld && !isNew {
			t.Fatalf("%s is neither old nor new: %d files, old %d, new %d", k, len(g[k]), len(o[k]), len(nx[k]))
		}
		// An application's Application: argocd/<env>/<app>.yaml.
		if parts := strings.Split(k, "/"); len(parts) == 3 && parts[0] == "argocd" && parts[2] != "kustomization.yaml" {
			folder := parts[1] + "/" + strings.TrimSuffix(parts[2], ".yaml")
			if len(g[k]) > 0 && len(g[folder]) == 0 {
				t.Fatalf("%s is there, its folder %s is not", k, folder)
			}
			if len(g[k]) > 0 && isNew && !isOld {
				if fOld, fNew := version(folder); !fNew || (fOld && !maps.Equal(o[folder], nx[folder])) {
					t.Fatalf("%s is new, its folder %s is not", k, folder)
				}
			}
		}
	}
	for p, c := range got {
		if path.Base(p) == "kustomization.yaml" && strings.HasPrefix(p, "argocd/") {
			for _, line := range strings.Split(c, "\n") {
				if f, ok := strings.CutPrefix(line, "- "); ok {
					if _, there := got[path.Join(path.Dir(p), f)]; !there {
						t.Fatalf("%s lists %s, which is not there", p, f)
					}
				}
			}
		}
	}
}
