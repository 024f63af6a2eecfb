package cli

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/goldenpath-dev/goldenpath/goldenpath/supplychain"
)

// writeKeyPair writes a key pair into dir as cosign.key (mode 0600) and
// cosign.pub (0644). Each file is first written whole to a new temporary
// file next to it (created with O_EXCL and mode 0600: the private key is
// never readable by others, not even for a moment), then moved into
// place:
//
//   - without overwrite by link(2), which fails when the name exists in
//     any form, a symlink included (dangling or not, it is never
//     followed), so nothing is replaced, even by a race;
//   - with overwrite by rename(2), which replaces the name itself (a
//     symlink is replaced, not what it points to) with the new file and
//     its mode: --force over a 0644 key leaves a 0600 key.
func writeKeyPair(dir string, kp *supplychain.KeyPair, overwrite bool) (*supplychain.KeyFiles, error) {
	files := &supplychain.KeyFiles{
		PrivateKey: filepath.Join(dir, supplychain.PrivateKeyFile),
		PublicKey:  filepath.Join(dir, supplychain.PublicKeyFile),
		KeyID:      kp.KeyID,
	}
	if !overwrite {
		for _, f := range []string{files.PrivateKey, files.PublicKey} {
			if _, err := os.Lstat(f); err == nil {
				return nil, usageErrorf("%s exists: remove it, choose another folder with --out, or replace the pair with --force", f)
			} else if !errors.Is(err, fs.ErrNotExist) {
				return nil, fmt.Errorf("%s: %v", f, describe(err))
			}
		}
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("%s: %v", dir, describe(err))
	}
	if err := placeFile(files.PrivateKey, kp.PrivateKey, 0o600, overwrite); err != nil {
		return nil, err
	}
	if err := placeFile(files.PublicKey, kp.PublicKey, 0o644, overwrite); err != nil {
		return nil, err
	}
	return files, nil
}

// placeFile writes data to path as a new file, as writeKeyPair says.
func placeFile(path string, data []byte, perm os.FileMode, overwrite bool) error {
	tmp, err := writeTemp(filepath.Dir(path), filepath.Base(path), data, perm)
	if err != nil {
		return fmt.Errorf("%s: %v", path, describe(err))
	}
	defer os.Remove(tmp)
	if overwrite {
		if err := os.Rename(tmp, path); err != nil {
			return fmt.Errorf("%s: %v", path, describe(err))
		}
		return nil
	}
	if err := os.Link(tmp, path); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return usageErrorf("%s exists: remove it, choose another folder with --out, or replace the pair with --force", path)
		}
		return fmt.Errorf("%s: %v", path, describe(err))
	}
	return nil
}
