package tree

import (
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/goldenpath-dev/goldenpath/internal/treetest"
)

// app is a unit shaped like an application's: a folder and an Application
// file beside the others.
func app(env, name, version string, extra ...string) Unit {
	dir := env + "/" + name
	u := Unit{Key: "app/" + env + "/" + name, Dir: dir, Files: []File{
		{Path: "argocd/" + env + "/" + name + ".yaml", Data: []byte("application " + name + " " + version + "\n")},
		{Path: dir + "/deployment.yaml", Data: []byte("deployment " + name + " " + version + "\n")},
		{Path: dir + "/service.yaml", Data: []byte("service " + name + "\n")},
	}}
	for _, e := range extra {
		u.Files = append(u.Files, File{Path: dir + "/" + e, Data: []byte(e + " " + version + "\n")})
	}
	return u
}

var all = func(string) bool { return true }

// write runs one full write of units into dir.
func write(t *testing.T, dir string, opts Options, units ...Unit) (*Result, error) {
	t.Helper()
	w, err := Open(dir, opts)
	if err != nil {
		return nil, err
	}
	defer w.Close()
	for _, u := range units {
		require.NoError(t, w.Put(u))
	}
	return w.Commit()
}

func mustWrite(t *testing.T, dir string, units ...Unit) *Result {
	t.Helper()
	res, err := write(t, dir, Options{Replace: all}, units...)
	require.NoError(t, err)
	return res
}

// files reads every file under dir but goldenpath's own folder.
func files(t *testing.T, dir string) map[string]string { return treetest.Read(t, dir, metaDir) }

func want(units ...Unit) map[string]string {
	out := map[string]string{}
	for _, u := range units {
		for _, f := range u.Files {
			out[f.Path] = string(f.Data)
		}
	}
	return out
}

func exists(p string) bool { _, err := os.Lstat(p); return err == nil }

func TestNewTreeAndRewrite(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "gitops")
	a, b := app("dev", "a", "1", "ingress.yaml"), app("prod", "b", "1")
	res := mustWrite(t, dir, a, b)
	assert.Equal(t, want(a, b), files(t, dir))
	assert.Len(t, res.Written, 7)
	assert.Equal(t, 7, res.Files)
	assert.True(t, IsTree(dir))
	ignore, err := os.ReadFile(filepath.Join(dir, metaDir, ignoreName))
	require.NoError(t, err)
	assert.Contains(t, string(ignore), "/tmp/")
	assert.False(t, exists(filepath.Join(dir, metaDir, journalName)))
	assert.False(t, exists(filepath.Join(dir, metaDir, tmpName)))
	index, err := os.ReadFile(filepath.Join(dir, metaDir, indexName))
	require.NoError(t, err)
	assert.Contains(t, string(index), `"key":"app/dev/a","dir":"dev/a","files":{"argocd/dev/a.yaml":"sha256:`)

	// The same units again: nothing is touched.
	info, _ := os.Stat(filepath.Join(dir, "dev/a/deployment.yaml"))
	res = mustWrite(t, dir, a, b)
	assert.Empty(t, res.Written)
	assert.Equal(t, 7, res.Unchanged)
	again, _ := os.Stat(filepath.Join(dir, "dev/a/deployment.yaml"))
	assert.Equal(t, info.ModTime(), again.ModTime())
	index2, _ := os.ReadFile(filepath.Join(dir, metaDir, indexName))
	assert.Equal(t, string(index), string(index2))
}

// The tree equals the render: a renamed app, a removed file and a removed
// environment leave nothing behind, not even empty folders.
func TestPrune(t *testing.T) {
	dir := t.TempDir()
	mustWrite(t, dir, app("dev", "payments-api", "1", "ingress.yaml", "binding-db.yaml"), app("prod", "web", "1"))
	billing := app("dev", "billing-api", "1", "ingress.yaml")
	res := mustWrite(t, dir, billing)
	assert.Equal(t, want(billing), files(t, dir))
	assert.Contains(t, res.Removed, "argocd/dev/payments-api.yaml")
	assert.Contains(t, res.Removed, "dev/payments-api/binding-db.yaml")
	assert.False(t, exists(filepath.Join(dir, "dev/payments-api")))
	assert.False(t, exists(filepath.Join(dir, "prod")), "an emptied folder is removed")
	assert.False(t, exists(filepath.Join(dir, "argocd/prod")))

	// A file the render drops inside a folder that stays.
	smaller := app("dev", "billing-api", "2")
	res = mustWrite(t, dir, smaller)
	assert.Equal(t, want(smaller), files(t, dir))
	assert.Equal(t, []string{"dev/billing-api/ingress.yaml"}, res.Removed)
}

// Hand edits are never deleted, foreign files never touched; both are
// reported.
func TestHandEditsAndForeignFiles(t *testing.T) {
	dir := t.TempDir()
	mustWrite(t, dir, app("dev", "a", "1", "ingress.yaml"), app("dev", "gone", "1"))
	edit := func(p, s string) { require.NoError(t, os.WriteFile(filepath.Join(dir, p), []byte(s), 0o644)) }
	edit("dev/a/ingress.yaml", "edited by hand\n")
	edit("dev/a/deployment.yaml", "edited by hand\n")
	edit("dev/a/README.md", "notes\n")
	edit("dev/gone/NOTES.md", "notes\n")
	edit("README.md", "the gitops repository\n")
	readme, _ := os.Stat(filepath.Join(dir, "dev/a/README.md"))

	res := mustWrite(t, dir, app("dev", "a", "2"))
	got := files(t, dir)
	assert.Equal(t, "deployment a 2\n", got["dev/a/deployment.yaml"], "a rendered file is the render, hand edit or not")
	assert.Equal(t, []string{"dev/a/deployment.yaml"}, res.Overwritten)
	assert.Equal(t, "edited by hand\n", got["dev/a/ingress.yaml"], "a hand-edited file no longer rendered stays")
	assert.Equal(t, "notes\n", got["dev/a/README.md"])
	assert.Equal(t, "notes\n", got["dev/gone/NOTES.md"])
	assert.Equal(t, "the gitops repository\n", got["README.md"])
	again, _ := os.Stat(filepath.Join(dir, "dev/a/README.md"))
	assert.True(t, os.SameFile(readme, again), "a foreign file is the same file after its folder was replaced")
	assert.NotContains(t, got, "dev/gone/deployment.yaml")
	assert.NotContains(t, got, "argocd/dev/gone.yaml")
	assert.Equal(t, []Kept{
		{Path: "dev/a/ingress.yaml", Reason: keptEdited},
		{Path: "dev/gone/NOTES.md", Reason: keptForeign},
	}, res.Kept)

	// A file goldenpath did not write, at a path it renders, stops the run.
	edit("dev/b-new.txt", "x")
	require.NoError(t, os.MkdirAll(filepath.Join(dir, "dev/new"), 0o755))
	edit("dev/new/service.yaml", "mine\n")
	before := files(t, dir)
	_, err := write(t, dir, Options{Replace: all}, app("dev", "a", "2"), app("dev", "new", "1"))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "cannot write dev/new/service.yaml: "+filepath.Join(dir, "dev/new/service.yaml")+" is not goldenpath's")
	assert.Contains(t, err.Error(), "nothing was written")
	assert.Equal(t, before, files(t, dir))
	// Adopted, it is overwritten.
	res, err = write(t, dir, Options{Replace: all, Adopt: true}, app("dev", "a", "2"), app("dev", "new", "1"))
	require.NoError(t, err)
	assert.Equal(t, []string{"dev/new/service.yaml"}, res.Adopted)
	assert.Equal(t, "service new\n", files(t, dir)["dev/new/service.yaml"])
}

func TestRefusesFolderThatIsNotATree(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("mine"), 0o644))
	_, err := write(t, dir, Options{}, app("dev", "a", "1"))
	var nt *NotTreeError
	require.ErrorAs(t, err, &nt)
	assert.Contains(t, err.Error(), dir+" is not empty (it holds notes.txt) and is not a goldenpath tree")
	assert.Contains(t, err.Error(), "--adopt")
	assert.False(t, exists(filepath.Join(dir, metaDir)), "a refused folder is left as it was")

	// Hidden entries (a git checkout) do not count.
	clone := t.TempDir()
	require.NoError(t, os.Mkdir(filepath.Join(clone, ".git"), 0o755))
	mustWrite(t, clone, app("dev", "a", "1"))

	// Adopting keeps what is there.
	res, err := write(t, dir, Options{Adopt: true, Replace: all}, app("dev", "a", "1"))
	require.NoError(t, err)
	assert.Len(t, res.Written, 3)
	assert.Equal(t, "mine", files(t, dir)["notes.txt"])
}

func TestOutIsAFile(t *testing.T) {
	file := filepath.Join(t.TempDir(), "gitops")
	require.NoError(t, os.WriteFile(file, nil, 0o644))
	_, err := Open(file, Options{})
	assert.EqualError(t, err, file+" is a file, not a folder: the GitOps tree must be a folder (new, empty, or one goldenpath wrote)")
	_, err = Open(filepath.Join(file, "sub"), Options{})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "cannot create the tree's folder "+filepath.Join(file, "sub"))
}

// Nothing is written through a symbolic link inside the tree, wherever it
// points, and the refusal comes before any change.
func TestRefusesLinks(t *testing.T) {
	for name, setup := range map[string]func(t *testing.T, dir, outside string){
		"folder link": func(t *testing.T, dir, outside string) {
			require.NoError(t, os.Symlink(outside, filepath.Join(dir, "dev")))
		},
		"relative link": func(t *testing.T, dir, outside string) {
			require.NoError(t, os.Symlink("../outside", filepath.Join(dir, "dev")))
		},
		"app folder link": func(t *testing.T, dir, outside string) { mkLink(t, dir, "dev/a", outside) },
		"file link": func(t *testing.T, dir, outside string) {
			mkLink(t, dir, "dev/a/deployment.yaml", filepath.Join(outside, "x"))
		},
		"link inside tree": func(t *testing.T, dir, outside string) { mkLink(t, dir, "argocd", filepath.Join(dir, "prod")) },
		"goldenpath folder": func(t *testing.T, dir, outside string) {
			require.NoError(t, os.RemoveAll(filepath.Join(dir, metaDir)))
			mkLink(t, dir, metaDir, outside)
		},
	} {
		t.Run(name, func(t *testing.T) {
			base := t.TempDir()
			dir, outside := filepath.Join(base, "out"), filepath.Join(base, "outside")
			require.NoError(t, os.MkdirAll(outside, 0o755))
			mustWrite(t, dir)
			require.NoError(t, os.MkdirAll(filepath.Join(dir, "prod"), 0o755))
			setup(t, dir, outside)
			before := files(t, dir)
			_, err := write(t, dir, Options{Replace: all}, app("dev", "a", "1"))
			require.Error(t, err)
			if name != "goldenpath folder" {
				assert.ErrorIs(t, err, ErrLink)
				assert.Contains(t, err.Error(), "is a symbolic link")
			}
			entries, _ := os.ReadDir(outside)
			assert.Empty(t, entries, "nothing is written outside the tree")
			assert.Equal(t, before, files(t, dir))
		})
	}
}

func mkLink(t *testing.T, dir, rel, target string) {
	t.Helper()
	require.NoError(t, os.MkdirAll(filepath.Dir(filepath.Join(dir, rel)), 0o755))
	require.NoError(t, os.Symlink(target, filepath.Join(dir, rel)))
}

// A problem found half-way (a file where a folder must go) writes nothing,
// not even the units before it.
func TestErrorHalfWayWritesNothing(t *testing.T) {
	dir := t.TempDir()
	mustWrite(t, dir, app("dev", "a", "1"))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "prod"), []byte("a file where a folder goes"), 0o644))
	before := files(t, dir)
	_, err := write(t, dir, Options{Replace: all}, app("dev", "a", "2"), app("dev", "web", "1"), app("prod", "z", "1"))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "is a file where goldenpath needs a folder")
	assert.Equal(t, before, files(t, dir))
	assert.False(t, exists(filepath.Join(dir, metaDir, tmpName)))
	assert.False(t, exists(filepath.Join(dir, metaDir, journalName)))

	// In a new folder, an error leaves no folder behind.
	fresh := filepath.Join(t.TempDir(), "new")
	w, err := Open(fresh, Options{})
	require.NoError(t, err)
	require.NoError(t, w.Put(app("dev", "a", "1")))
	require.Error(t, w.Put(Unit{Key: "bad", Files: []File{{Path: "../escape"}}}))
	require.NoError(t, w.Close())
	assert.False(t, exists(fresh))
}

func TestRefusesPathsOutsideTheTree(t *testing.T) {
	w, err := Open(t.TempDir(), Options{})
	require.NoError(t, err)
	defer w.Close()
	for _, p := range []string{"../x", "/etc/passwd", "a/../../x", "a//b", ".goldenpath/tree.json", "", `a\b`, ".git/config", "a/.github/x", "a/b/.c"} {
		assert.Error(t, w.Put(Unit{Key: "k" + p, Files: []File{{Path: p}}}), p)
	}
	require.NoError(t, w.Put(Unit{Key: "one", Files: []File{{Path: "x.yaml"}}}))
	assert.ErrorContains(t, w.Put(Unit{Key: "two", Files: []File{{Path: "x.yaml"}}}), "x.yaml is rendered twice: by one and by two")
}

// Replace limits a run to some units: the others stay, files and pins.
func TestPartialUpdateAndPins(t *testing.T) {
	dir := t.TempDir()
	a, b := app("dev", "a", "1"), app("dev", "b", "1")
	a.Pin = "registry/dev/a@sha256:1"
	mustWrite(t, dir, a, b)
	b2 := app("dev", "b", "2")
	b2.Pin = "registry/dev/b@sha256:2"
	w, err := Open(dir, Options{Replace: func(k string) bool { return k == "app/dev/b" }})
	require.NoError(t, err)
	assert.Equal(t, "registry/dev/a@sha256:1", w.Pin("app/dev/a"))
	assert.Equal(t, "", w.Pin("app/dev/b"))
	require.NoError(t, w.Put(b2))
	assert.Equal(t, []string{"app/dev/a", "app/dev/b"}, w.Keys("app/"))
	_, err = w.Commit()
	require.NoError(t, err)
	require.NoError(t, w.Close())
	assert.Equal(t, want(a, b2), files(t, dir))

	w, err = Open(dir, Options{})
	require.NoError(t, err)
	defer w.Close()
	assert.Equal(t, "registry/dev/a@sha256:1", w.Pin("app/dev/a"))
	assert.Equal(t, "registry/dev/b@sha256:2", w.Pin("app/dev/b"))
}

func TestOneWriterAtATime(t *testing.T) {
	dir := t.TempDir()
	w, err := Open(dir, Options{})
	require.NoError(t, err)
	_, err = Open(dir, Options{})
	assert.ErrorContains(t, err, "another goldenpath is writing this tree")
	require.NoError(t, w.Close())
	w, err = Open(dir, Options{})
	require.NoError(t, err)
	require.NoError(t, w.Close())
}

var errKilled = errors.New("killed")

// An interrupted commit (a panic at each of its steps in turn, the lock
// dropped as the kernel drops a dead process's) leaves every unit old or
// new, and the next run finishes the job.
func TestInterruptedCommitConverges(t *testing.T) {
	old := []Unit{app("dev", "a", "1", "ingress.yaml"), app("dev", "b", "1"), app("dev", "gone", "1"), app("prod", "c", "1")}
	next := []Unit{app("dev", "a", "2"), app("dev", "b", "1"), app("dev", "new", "2", "binding-x.yaml"), app("prod", "c", "2")}
	steps := 0
	counter := t.TempDir()
	mustWrite(t, counter, old...)
	_, err := write(t, counter, Options{Replace: all, Hook: func(string) { steps++ }}, next...)
	require.NoError(t, err)
	require.Greater(t, steps, 8)
	for kill := 0; kill < steps; kill++ {
		t.Run(fmt.Sprint(kill), func(t *testing.T) {
			dir := t.TempDir()
			mustWrite(t, dir, old...)
			require.NoError(t, os.WriteFile(filepath.Join(dir, "dev/a/NOTES.md"), []byte("mine"), 0o644))
			n := 0
			w, err := Open(dir, Options{Replace: all, Hook: func(string) {
				if n == kill {
					panic(errKilled)
				}
				n++
			}})
			require.NoError(t, err)
			for _, u := range next {
				require.NoError(t, w.Put(u))
			}
			func() {
				defer func() { assert.Equal(t, errKilled, recover()) }()
				w.Commit()
			}()
			w.lock.Close() // what the kernel does for a killed process
			checkOldOrNew(t, dir, old, next)
			assert.Equal(t, "mine", files(t, dir)["dev/a/NOTES.md"])

			res := mustWrite(t, dir, next...)
			assert.True(t, res.Recovered)
			got := files(t, dir)
			assert.Equal(t, "mine", got["dev/a/NOTES.md"])
			delete(got, "dev/a/NOTES.md")
			assert.Equal(t, want(next...), got)
			assert.False(t, exists(filepath.Join(dir, metaDir, tmpName)))
			assert.False(t, exists(filepath.Join(dir, metaDir, journalName)))
			assert.False(t, exists(filepath.Join(dir, "dev/gone")))
			fresh := t.TempDir()
			mustWrite(t, fresh, next...)
			assert.Equal(t, readFile(t, fresh, metaDir+"/"+indexName), readFile(t, dir, metaDir+"/"+indexName))
		})
	}
}

func readFile(t *testing.T, dir, rel string) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dir, rel))
	require.NoError(t, err)
	return string(data)
}

// checkOldOrNew asserts that each unit's folder is whole, old or new, and
// that an Application is never newer than its folder nor present without it.
func checkOldOrNew(t *testing.T, dir string, old, next []Unit) {
	t.Helper()
	got := files(t, dir)
	byKey := func(units []Unit) map[string]Unit {
		m := map[string]Unit{}
		for _, u := range units {
			m[u.Key] = u
		}
		return m
	}
	o, n := byKey(old), byKey(next)
	keys := map[string]bool{}
	for k := range o {
		keys[k] = true
	}
	for k := range n {
		keys[k] = true
	}
	version := func(u Unit, ok bool, folder bool) map[string]string {
		out := map[string]string{}
		if ok {
			for _, f := range u.Files {
				if under(f.Path, u.Dir) == folder {
					out[f.Path] = string(f.Data)
				}
			}
		}
		return out
	}
	for k := range keys {
		ou, oOK := o[k]
		nu, nOK := n[k]
		dirOf := ou.Dir
		if nOK {
			dirOf = nu.Dir
		}
		folder, app := map[string]string{}, map[string]string{}
		for p, c := range got {
			switch {
			case p == dirOf+"/NOTES.md":
			case under(p, dirOf):
				folder[p] = c
			case strings.HasPrefix(p, "argocd/") && strings.HasSuffix(k, "/"+strings.TrimSuffix(filepath.Base(p), ".yaml")) && strings.HasPrefix(k, "app/"+strings.Split(p, "/")[1]+"/"):
				app[p] = c
			}
		}
		oldF, newF := version(ou, oOK, true), version(nu, nOK, true)
		oldA, newA := version(ou, oOK, false), version(nu, nOK, false)
		isOldF, isNewF := maps.Equal(folder, oldF), maps.Equal(folder, newF)
		isOldA, isNewA := maps.Equal(app, oldA), maps.Equal(app, newA)
		require.True(t, isOldF || isNewF, "%s: folder neither old nor new: %v", k, folder)
		require.True(t, isOldA || isNewA, "%s: Application neither old nor new: %v", k, app)
		if len(app) > 0 {
			require.NotEmpty(t, folder, "%s: an Application without its folder", k)
		}
		if len(app) > 0 && isNewA && !isOldA {
			require.True(t, isNewF, "%s: a new Application with an old folder", k)
		}
	}
}

func TestIndexRoundTrip(t *testing.T) {
	recs := []record{{Key: "app/dev/a", Dir: "dev/a", Pin: "r@sha256:1", Paths: []string{"a", "b"}, Sums: []sum{sumOf([]byte("a")), sumOf([]byte("b"))}}, {Key: "z"}}
	var buf strings.Builder
	require.NoError(t, encodeIndex(&buf, recs))
	got, err := decodeIndex(strings.NewReader(buf.String()))
	require.NoError(t, err)
	recs[1].Paths, recs[1].Sums = []string{}, nil
	got[1].Paths = []string{}
	assert.Equal(t, recs, got)
	for _, bad := range []string{`{}`, `{"goldenpath-tree":2,"units":[]}`, `[]`, `{"goldenpath-tree":1,"units":[{"key":"a","files":{"../x":"sha256:00"}}]}`,
		`{"goldenpath-tree":1,"units":[{"key":"a","files":{".git/config":"sha256:` + strings.Repeat("0", 64) + `"}}]}`,
		`{"goldenpath-tree":1,"units":[{"key":"a","files":{"x":"md5:00"}}]}`} {
		_, err := decodeIndex(strings.NewReader(bad))
		assert.Error(t, err, bad)
	}
}
