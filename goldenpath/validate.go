package goldenpath

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/goldenpath-dev/goldenpath/contract"
)

// LoadFile reads, defaults and validates the AppDeploymentRequests in a file.
// On problems it returns the valid requests and a [contract.Errors] with
// every problem's file, line, column and field path.
func LoadFile(path string) ([]*contract.AppDeploymentRequest, error) {
	return contract.LoadFile(path)
}

// Load is LoadFile for data already in memory; name is used in positions.
func Load(name string, data []byte) ([]*contract.AppDeploymentRequest, error) {
	return contract.Load(name, data)
}

// LoadPlatformFile reads a Platform document; an empty path returns the
// embedded default platform.
func LoadPlatformFile(path string) (*contract.Platform, error) {
	if path == "" {
		return contract.DefaultPlatform(), nil
	}
	return contract.LoadPlatformFile(path)
}

// FileResult is what validation found in one file.
type FileResult struct {
	// Path of the file as found.
	Path string `json:"path"`
	// Requests is the number of valid AppDeploymentRequests in the file.
	Requests int `json:"requests"`
	// Platforms is the number of valid Platform documents in the file.
	Platforms int `json:"platforms"`
	// Errors are the file's problems, sorted by position.
	Errors contract.Errors `json:"errors"`

	skipped bool
}

// Report is the result of validating a set of files.
type Report struct {
	Files []FileResult `json:"files"`
	// Skipped lists the YAML files found in folders that hold no goldenpath
	// document (workflows, Helm values, ...). A file named on the command
	// line is never skipped.
	Skipped []string `json:"skipped,omitempty"`
}

// Valid reports whether no file had a problem.
func (r *Report) Valid() bool { return r.ErrorCount() == 0 }

// ErrorCount is the number of problems across all files.
func (r *Report) ErrorCount() int {
	n := 0
	for _, f := range r.Files {
		n += len(f.Errors)
	}
	return n
}

// Errors returns every problem of every file, in file order.
func (r *Report) Errors() contract.Errors {
	var all contract.Errors
	for _, f := range r.Files {
		all = append(all, f.Errors...)
	}
	return all
}

// ValidatePaths validates every *.yaml and *.yml file under the given paths
// (files, or folders walked recursively) and checks each request against
// the platform's policy for its environment. Problems in the files go into
// the report; the error is for problems with the call itself (a path that
// does not exist, an unreadable folder, a cancelled context).
func ValidatePaths(ctx context.Context, paths []string, opts ...Option) (*Report, error) {
	o, err := makeOptions(opts)
	if err != nil {
		return nil, err
	}
	files, err := expandPaths(paths)
	if err != nil {
		return nil, err
	}
	results := make([]FileResult, len(files))
	parallel(len(files), o.concurrency, func(i int) {
		if ctx.Err() == nil {
			results[i] = validateFile(files[i], o.platform)
		}
	})
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	rep := &Report{}
	for _, r := range results {
		if r.skipped {
			rep.Skipped = append(rep.Skipped, r.Path)
		} else {
			rep.Files = append(rep.Files, r)
		}
	}
	return rep, nil
}

func validateFile(in input, platform *contract.Platform) FileResult {
	res := FileResult{Path: in.path}
	objs, skipped, err := in.load()
	if skipped {
		res.skipped = true
		return res
	}
	res.Errors = contract.AsErrors(err)
	for _, o := range objs {
		switch o := o.(type) {
		case *contract.AppDeploymentRequest:
			res.Requests++
			res.Errors = append(res.Errors, platform.Admit(o)...)
		case *contract.Platform:
			res.Platforms++
		}
	}
	res.Errors.Sort()
	return res
}

// input is a file to load; walked files were found in a folder rather
// than named.
type input struct {
	path   string
	walked bool
}

// goldenpathMarker is in every goldenpath document (its apiVersion).
var goldenpathMarker = []byte(contract.Group + "/")

// load reads and decodes the file. A walked file without any goldenpath
// document is skipped.
func (in input) load() (objs []contract.Object, skipped bool, err error) {
	data, err := contract.ReadFile(in.path)
	if err != nil {
		return nil, false, err
	}
	if in.walked && !bytes.Contains(data, goldenpathMarker) {
		return nil, true, nil
	}
	objs, err = contract.LoadObjects(in.path, data)
	return objs, false, err
}

// expandPaths is ExpandPaths, remembering which files were walked.
func expandPaths(paths []string) ([]input, error) {
	files, err := ExpandPaths(paths)
	if err != nil {
		return nil, err
	}
	named := map[string]bool{}
	for _, p := range paths {
		named[p] = true
	}
	out := make([]input, len(files))
	for i, f := range files {
		out[i] = input{path: f, walked: !named[f]}
	}
	return out, nil
}

// ExpandPaths turns files and folders into the sorted list of YAML files
// they name. A file given by name is taken whatever its extension; folders
// contribute their *.yaml and *.yml files, recursively, skipping hidden
// folders such as .git.
func ExpandPaths(paths []string) ([]string, error) {
	if len(paths) == 0 {
		return nil, errors.New("no paths given")
	}
	seen := map[string]bool{}
	var out []string
	add := func(p string) {
		if !seen[p] {
			seen[p] = true
			out = append(out, p)
		}
	}
	for _, p := range paths {
		info, err := os.Stat(p)
		if err != nil {
			return nil, err
		}
		if !info.IsDir() {
			add(p)
			continue
		}
		var found []string
		err = filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() && path != p && strings.HasPrefix(d.Name(), ".") {
				return filepath.SkipDir
			}
			if !d.IsDir() && (strings.HasSuffix(path, ".yaml") || strings.HasSuffix(path, ".yml")) {
				found = append(found, path)
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
		sort.Strings(found)
		for _, f := range found {
			add(f)
		}
	}
	return out, nil
}
