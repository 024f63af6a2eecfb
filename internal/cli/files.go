package cli

import (
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/goldenpath-dev/goldenpath/goldenpath/fleet"
)

// The library takes data, not file names: the CLI is where files and
// standard input are read (as in crane).

// maxKeyFile bounds what is read as a key: cosign keys are a few hundred
// bytes.
const maxKeyFile = 64 << 10

// readKeyFile reads the key file a flag names. A file that is not there,
// or is not a regular file, is a usage error.
func readKeyFile(flag, path string) ([]byte, error) {
	info, err := os.Stat(path)
	switch {
	case err != nil:
		return nil, usageErrorf("%s %s: %v", flag, path, describe(err))
	case !info.Mode().IsRegular():
		return nil, usageErrorf("%s %s: not a regular file", flag, path)
	case info.Size() > maxKeyFile:
		return nil, usageErrorf("%s %s: %d bytes is too large for a key file", flag, path, info.Size())
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, usageErrorf("%s %s: %v", flag, path, describe(err))
	}
	return data, nil
}

// checkPaths makes sure the contract files and folders given exist: one
// that does not is a usage error, for every command.
func checkPaths(paths []string) error {
	for _, p := range paths {
		if _, err := os.Stat(p); err != nil {
			return usageErrorf("%s: %v", p, describe(err))
		}
	}
	return nil
}

// describe says what went wrong with a path without repeating it.
func describe(err error) string {
	var pe *fs.PathError
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return "no such file or directory"
	case errors.Is(err, fs.ErrPermission):
		return "permission denied"
	case errors.As(err, &pe):
		return pe.Err.Error()
	}
	return err.Error()
}

// readImageList reads the image list --images-file names ("-": stdin).
func readImageList(path string, stdin io.Reader) ([]string, error) {
	name := path
	var in io.Reader = stdin
	if path == "-" {
		name = "standard input"
		if stdin == nil {
			return nil, usageErrorf("--images-file -: no standard input")
		}
	} else {
		f, err := os.Open(path)
		if err != nil {
			return nil, usageErrorf("--images-file %s: %v", path, describe(err))
		}
		defer f.Close()
		in = f
	}
	images, err := fleet.ParseImageList(in)
	if err != nil {
		return nil, usageErrorf("--images-file %s: %v", name, err)
	}
	if len(images) == 0 {
		return nil, usageErrorf("--images-file %s: %s holds no image references", path, name)
	}
	return images, nil
}

// readRebaseReport reads the report --resume names.
func readRebaseReport(path string) (*fleet.RebaseReport, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, usageErrorf("--resume %s: %v", path, describe(err))
	}
	defer f.Close()
	rep, err := fleet.ReadRebaseReport(f)
	if err != nil {
		return nil, usageErrorf("--resume %s: %v (give the report a rebase wrote with --report or -o json)", path, err)
	}
	return rep, nil
}

// writeFileAtomic writes data to a new file next to path and renames it
// into place: a reader never sees half a file.
func writeFileAtomic(path string, data []byte, perm os.FileMode) error {
	tmp, err := writeTemp(filepath.Dir(path), filepath.Base(path), data, perm)
	if err != nil {
		return err
	}
	defer os.Remove(tmp)
	return os.Rename(tmp, path)
}

// writeTemp writes data to a new file in dir (created with O_EXCL and
// mode 0600, then given perm) and syncs it; it returns its path.
func writeTemp(dir, base string, data []byte, perm os.FileMode) (string, error) {
	tmp, err := os.CreateTemp(dir, "."+base+".*")
	if err != nil {
		return "", err
	}
	_, err = tmp.Write(data)
	if err == nil {
		err = tmp.Chmod(perm)
	}
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(tmp.Name())
		return "", err
	}
	return tmp.Name(), nil
}
