package build_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/goldenpath-dev/goldenpath/pipeline/build"
)

// A source tree an attacker controls: links out of it in every way a
// contract path can reach them.
func hostileTree(t *testing.T) (root, outside string) {
	t.Helper()
	base := t.TempDir()
	root, outside = filepath.Join(base, "src"), filepath.Join(base, "outside")
	for _, d := range []string{"app/ctx", "app/real", "other", outside} {
		p := d
		if !filepath.IsAbs(d) {
			p = filepath.Join(root, d)
		}
		require.NoError(t, os.MkdirAll(p, 0o755))
	}
	require.NoError(t, os.WriteFile(filepath.Join(outside, "secret"), []byte("host secret\n"), 0o600))
	require.NoError(t, os.WriteFile(filepath.Join(root, "app/Dockerfile"), []byte("FROM scratch\n"), 0o644))
	links := map[string]string{
		"app/etc":           "/etc",          // absolute, out
		"app/up":            "../../outside", // relative, out
		"app/chain":         "hop",           // a chain whose last hop leaves
		"app/hop":           "../../outside", //
		"app/inside":        "real",          // stays inside
		"app/abs-inside":    filepath.Join(root, "other"),
		"app/Dockerfile.ln": "../../outside/secret",    // a file link out
		"app/df-inside":     "Dockerfile",              // a file link inside
		"app/dangling":      "nowhere",                 //
		"app/loop":          "loop",                    //
		"linkroot":          filepath.Join(root, ".."), // the parent
	}
	for name, target := range links {
		require.NoError(t, os.Symlink(target, filepath.Join(root, name)))
	}
	return root, outside
}

func TestSourceResolvesInsideTheRoot(t *testing.T) {
	root, _ := hostileTree(t)
	src, err := build.OpenSource(root)
	require.NoError(t, err)
	app, err := src.Dir("", "app", "spec.source.git.subPath")
	require.NoError(t, err)
	real, _ := filepath.EvalSymlinks(filepath.Join(root, "app/real"))
	other, _ := filepath.EvalSymlinks(filepath.Join(root, "other"))

	got, err := src.Dir(app, "inside", "spec.build.dockerfile.context")
	require.NoError(t, err)
	assert.Equal(t, real, got, "the resolved path, without links")
	got, err = src.Dir(app, "abs-inside", "spec.build.dockerfile.context")
	require.NoError(t, err)
	assert.Equal(t, other, got)
	got, err = src.File(app, "df-inside", "spec.build.dockerfile.path")
	require.NoError(t, err)
	assert.Equal(t, filepath.Join(app, "Dockerfile"), got)
	got, err = src.Dir(app, ".", "spec.build.dockerfile.context")
	require.NoError(t, err)
	assert.Equal(t, app, got)
	got, err = src.Dir(app, "../other", "spec.build.dockerfile.context")
	require.NoError(t, err, "a path that goes up but stays inside the source folder")
	assert.Equal(t, other, got)
}

func TestSourceRefusesPathsThatLeaveTheRoot(t *testing.T) {
	root, outside := hostileTree(t)
	src, err := build.OpenSource(root)
	require.NoError(t, err)
	app := filepath.Join(src.Root, "app")
	for _, c := range []struct {
		rel, what, want string
		file            bool
	}{
		{"etc", "spec.build.dockerfile.context", `spec.build.dockerfile.context "etc" resolves to /etc, outside the source folder`, false},
		{"up", "spec.build.dockerfile.context", "outside the source folder", false},
		{"chain", "spec.build.dockerfile.context", "outside the source folder", false},
		{"Dockerfile.ln", "spec.build.dockerfile.path", `spec.build.dockerfile.path "Dockerfile.ln" resolves to ` + outside, true},
		{"etc/passwd", "spec.build.dockerfile.path", "outside the source folder", true},
		{"../../outside", "spec.build.dockerfile.context", "leads outside the source folder", false},
		{"/etc", "spec.build.dockerfile.context", "an absolute path", false},
		{"dangling", "spec.build.dockerfile.context", "no such file", false},
		{"loop", "spec.build.dockerfile.context", "too many links", false},
		{"real", "spec.build.dockerfile.path", "is not a regular file", true},
		{"Dockerfile", "spec.build.dockerfile.context", "is not a folder", false},
	} {
		var err error
		if c.file {
			_, err = src.File(app, c.rel, c.what)
		} else {
			_, err = src.Dir(app, c.rel, c.what)
		}
		if assert.Error(t, err, c.rel) {
			assert.Contains(t, err.Error(), c.want, c.rel)
		}
	}
	for _, sub := range []string{"linkroot", "app/etc", "app/up", "../outside"} {
		_, err := src.Dir("", sub, "spec.source.git.subPath")
		assert.ErrorContains(t, err, `spec.source.git.subPath "`+sub+`"`, sub)
	}
}

// The source folder itself may be reached through a link (a checkout
// under a linked /tmp); what counts is where it resolves.
func TestSourceRootMayBeALink(t *testing.T) {
	root, _ := hostileTree(t)
	link := filepath.Join(t.TempDir(), "checkout")
	require.NoError(t, os.Symlink(root, link))
	src, err := build.OpenSource(link)
	require.NoError(t, err)
	_, err = src.Dir("", "app/inside", "spec.source.git.subPath")
	require.NoError(t, err)
	_, err = src.Dir("", "app/etc", "spec.source.git.subPath")
	assert.ErrorContains(t, err, "outside the source folder")
	_, err = build.OpenSource(filepath.Join(root, "app/Dockerfile"))
	assert.ErrorContains(t, err, "is not a folder")
}
