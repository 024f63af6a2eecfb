package contract

import (
	"fmt"
	"io"
	"io/fs"
	"os"
)

// ReadFile reads a contract file, at most MaxFileSize+1 bytes, so that a
// huge file is refused by Load without being read into memory. Only a
// regular file is read (a symbolic link to one is followed): a named pipe,
// socket or device is refused without being opened for reading, since
// reading one can block forever or have effects. Its errors are Errors
// naming the file.
func ReadFile(path string) ([]byte, error) { return readFile(path) }

func readFile(path string) ([]byte, error) {
	fail := func(msg string) ([]byte, error) {
		return nil, Errors{{Position: Position{File: path}, Message: msg}}
	}
	info, err := os.Stat(path)
	if err != nil {
		return fail(err.Error())
	}
	if !info.Mode().IsRegular() {
		return fail(NotRegularError(path, info.Mode()).Error())
	}
	f, err := openNonBlocking(path)
	if err != nil {
		return fail(err.Error())
	}
	defer f.Close()
	// The file may have been replaced between Stat and open.
	if info, err = f.Stat(); err != nil {
		return fail(err.Error())
	} else if !info.Mode().IsRegular() {
		return fail(NotRegularError(path, info.Mode()).Error())
	}
	data, err := io.ReadAll(io.LimitReader(f, MaxFileSize+1))
	if err != nil {
		return fail(err.Error())
	}
	return data, nil
}

// NotRegularError says that path is not a regular file and what it is.
func NotRegularError(path string, mode fs.FileMode) error {
	return fmt.Errorf("%s is %s, not a regular file: goldenpath reads contracts from regular files only", path, FileKind(mode))
}

// fileKinds name the kinds of file that are not regular, most specific
// first (a character device is a device too).
var fileKinds = []struct {
	bit  fs.FileMode
	name string
}{
	{fs.ModeDir, "a folder"},
	{fs.ModeNamedPipe, "a named pipe (FIFO)"},
	{fs.ModeSocket, "a socket"},
	{fs.ModeCharDevice, "a character device"},
	{fs.ModeDevice, "a device"},
	{fs.ModeSymlink, "a symbolic link"},
	{fs.ModeIrregular, "an irregular file"},
}

// FileKind names the kind of file a mode describes ("a named pipe", ...).
func FileKind(mode fs.FileMode) string {
	for _, k := range fileKinds {
		if mode&k.bit != 0 {
			return k.name
		}
	}
	return "a regular file"
}
