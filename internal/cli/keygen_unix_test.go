//go:build unix

package cli_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/goldenpath-dev/goldenpath/internal/cli"
)

// keygen writes each key as a new file and moves it into place: never
// through a symlink, never keeping an old file's mode (issue 14.4).
func TestKeygenNeverWritesThroughLinksOrKeepsModes(t *testing.T) {
	t.Setenv("COSIGN_PASSWORD", "pw")
	mode := func(p string) os.FileMode {
		info, err := os.Lstat(p)
		require.NoError(t, err)
		return info.Mode()
	}
	onlyKeys := func(dir string) {
		entries, err := os.ReadDir(dir)
		require.NoError(t, err)
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		assert.ElementsMatch(t, []string{"cosign.key", "cosign.pub"}, names, "no temporary file is left")
	}

	t.Run("a new pair", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "keys")
		r := runIn(t, "", "keygen", "--out", dir)
		require.Equal(t, cli.ExitOK, r.code, r.stderr)
		assert.Equal(t, os.FileMode(0o600), mode(filepath.Join(dir, "cosign.key")))
		assert.Equal(t, os.FileMode(0o644), mode(filepath.Join(dir, "cosign.pub")))
		onlyKeys(dir)
	})

	t.Run("a dangling cosign.key link is not followed", func(t *testing.T) {
		dir, elsewhere := t.TempDir(), t.TempDir()
		target := filepath.Join(elsewhere, "stolen.key")
		require.NoError(t, os.Symlink(target, filepath.Join(dir, "cosign.key")))
		r := runIn(t, "", "keygen", "--out", dir)
		assert.Equal(t, cli.ExitUsage, r.code)
		assert.Contains(t, r.stderr, filepath.Join(dir, "cosign.key")+" exists")
		assert.NoFileExists(t, target)
		assert.NoFileExists(t, filepath.Join(dir, "cosign.pub"), "nothing is written when the pair cannot be")
	})

	t.Run("--force replaces a link, not what it points to", func(t *testing.T) {
		dir, elsewhere := t.TempDir(), t.TempDir()
		target := filepath.Join(elsewhere, "precious")
		require.NoError(t, os.WriteFile(target, []byte("precious"), 0o644))
		require.NoError(t, os.Symlink(target, filepath.Join(dir, "cosign.key")))
		require.NoError(t, os.Symlink(filepath.Join(elsewhere, "dangling.pub"), filepath.Join(dir, "cosign.pub")))
		r := runIn(t, "", "keygen", "--out", dir, "--force")
		require.Equal(t, cli.ExitOK, r.code, r.stderr)
		data, err := os.ReadFile(target)
		require.NoError(t, err)
		assert.Equal(t, "precious", string(data))
		assert.NoFileExists(t, filepath.Join(elsewhere, "dangling.pub"))
		assert.Equal(t, os.FileMode(0o600), mode(filepath.Join(dir, "cosign.key")), "a regular file, mode 0600")
		assert.True(t, mode(filepath.Join(dir, "cosign.pub")).IsRegular())
		onlyKeys(dir)
	})

	t.Run("--force over a 0644 key leaves 0600", func(t *testing.T) {
		dir := t.TempDir()
		require.NoError(t, os.WriteFile(filepath.Join(dir, "cosign.key"), []byte("old"), 0o644))
		require.NoError(t, os.Chmod(filepath.Join(dir, "cosign.key"), 0o644))
		r := runIn(t, "", "keygen", "--out", dir)
		assert.Equal(t, cli.ExitUsage, r.code, "an existing key is refused without --force")
		r = runIn(t, "", "keygen", "--out", dir, "--force")
		require.Equal(t, cli.ExitOK, r.code, r.stderr)
		assert.Equal(t, os.FileMode(0o600), mode(filepath.Join(dir, "cosign.key")))
		data, err := os.ReadFile(filepath.Join(dir, "cosign.key"))
		require.NoError(t, err)
		assert.Contains(t, string(data), "ENCRYPTED SIGSTORE PRIVATE KEY")
		onlyKeys(dir)
	})

	t.Run("--force does not write into a folder named cosign.key", func(t *testing.T) {
		dir := t.TempDir()
		require.NoError(t, os.Mkdir(filepath.Join(dir, "cosign.key"), 0o755))
		r := runIn(t, "", "keygen", "--out", dir, "--force")
		assert.Equal(t, cli.ExitFailure, r.code)
		assert.Contains(t, r.stderr, filepath.Join(dir, "cosign.key"))
		entries, err := os.ReadDir(filepath.Join(dir, "cosign.key"))
		require.NoError(t, err)
		assert.Empty(t, entries)
	})
}
