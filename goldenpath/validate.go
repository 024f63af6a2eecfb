package goldenpath

import (
	"context"
	"errors"
	"fmt"
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
	// Requests is the number of valid AppDeploymentRequests in the file:
	// requests that pass validation and the platform's admission (its
	// policy, and the rules across every request loaded with it).
	Requests int `json:"requests"`
	// Platforms is the number of valid Platform documents in the file.
	Platforms int `json:"platforms"`
	// Errors are the file's problems, sorted by position.
	Errors contract.Errors `json:"errors"`
}

// SkippedFile is a file found in a folder that was not read as a contract.
type SkippedFile struct {
	Path string `json:"path"`
	// Reason says why: it holds no goldenpath document, or it is not a
	// regular file (a named pipe, socket or device is never opened).
	Reason string `json:"reason"`
}

// Report is the result of validating a set of files.
type Report struct {
	Files []FileResult `json:"files"`
	// Skipped lists the YAML files found in folders that are not read as
	// contracts: files that hold no goldenpath document (workflows, Helm
	// values, rendered Kubernetes objects, ...; see contract.LoadFound) and
	// files that are not regular files. A file named on the command line is
	// never skipped.
	Skipped []SkippedFile `json:"skipped,omitempty"`
	// Problems are problems of the set as a whole, such as finding no
	// goldenpath document at all.
	Problems contract.Errors `json:"problems,omitempty"`
}

// Valid reports whether no file had a problem.
func (r *Report) Valid() bool { return r.ErrorCount() == 0 }

// ErrorCount is the number of problems across all files.
func (r *Report) ErrorCount() int {
	n := len(r.Problems)
	for _, f := range r.Files {
		n += len(f.Errors)
	}
	return n
}

// Errors returns every problem of every file, in file order, then the
// problems of the set.
func (r *Report) Errors() contract.Errors {
	var all contract.Errors
	for _, f := range r.Files {
		all = append(all, f.Errors...)
	}
	return append(all, r.Problems...)
}

// ValidatePaths validates every *.yaml and *.yml file under the given paths
// (files, or folders walked recursively) and admits the requests found
// against the platform: its policy for each request's environment and the
// rules across the whole set (contract.Platform.AdmitAll), exactly as
// Render does. In folders, a file is read only when it is a regular file
// holding a goldenpath document (see contract.LoadFound); the others are
// listed in Report.Skipped. Finding no goldenpath document at all is a
// problem of the report. Problems in the files go into the report; the error
// is for problems with the call itself (a path that does not exist, a named
// file that is not a regular file, an unreadable folder, a cancelled
// context).
func ValidatePaths(ctx context.Context, paths []string, opts ...Option) (*Report, error) {
	o, err := makeOptions(opts)
	if err != nil {
		return nil, err
	}
	l, err := o.load(ctx, paths)
	if err != nil {
		return nil, err
	}
	rep := &Report{Files: l.files, Skipped: l.skipped}
	if len(l.files) == 0 {
		rep.Problems = contract.Errors{l.nothingFound(paths, "goldenpath document")}
	}
	return rep, nil
}

// LoadRequests loads every request under paths (files or folders, read as
// ValidatePaths reads them) and admits them against the platform. Any
// problem in any file stops it: the error is a contract.Errors listing them
// all. Finding no AppDeploymentRequest is such a problem.
func LoadRequests(ctx context.Context, paths []string, opts ...Option) ([]*contract.AppDeploymentRequest, error) {
	o, err := makeOptions(opts)
	if err != nil {
		return nil, err
	}
	return o.loadRequests(ctx, paths)
}

func (o *options) loadRequests(ctx context.Context, paths []string) ([]*contract.AppDeploymentRequest, error) {
	l, err := o.load(ctx, paths)
	if err != nil {
		return nil, err
	}
	var errs contract.Errors
	for _, f := range l.files {
		errs = append(errs, f.Errors...)
	}
	if len(errs) > 0 {
		return nil, errs
	}
	if len(l.reqs) == 0 {
		return nil, contract.Errors{l.nothingFound(paths, contract.KindAppDeploymentRequest)}
	}
	return l.reqs, nil
}

// loaded is what loading a set of paths found.
type loaded struct {
	files   []FileResult
	reqs    []*contract.AppDeploymentRequest // every request decoded and validated, in file order
	skipped []SkippedFile
}

// nothingFound is the problem of finding no what under paths.
func (l *loaded) nothingFound(paths []string, what string) *contract.FieldError {
	hint := "contracts have apiVersion: " + contract.APIVersion + " and kind: " + contract.KindAppDeploymentRequest
	if n := len(l.skipped); n > 0 {
		hint = fmt.Sprintf("%s; %s skipped", hint, plural(n, "other YAML file"))
	}
	return &contract.FieldError{Position: contract.Position{File: strings.Join(paths, ", ")}, Message: "no " + what + " found", Hint: hint}
}

// load reads, decodes and validates the files under paths, then admits
// every request against the platform in one AdmitAll, placing each
// request's admission problems in its file.
func (o *options) load(ctx context.Context, paths []string) (*loaded, error) {
	files, skipped, err := expandPaths(ctx, paths)
	if err != nil {
		return nil, err
	}
	type result struct {
		objs  []contract.Object
		found bool
		errs  contract.Errors
	}
	results := make([]result, len(files))
	parallel(len(files), o.concurrency, func(i int) {
		if ctx.Err() == nil {
			objs, found, err := files[i].load()
			results[i] = result{objs, found, contract.AsErrors(err)}
		}
	})
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	l := &loaded{skipped: skipped}
	var fileOf []int // the index in l.files of each request's file
	for i, r := range results {
		if !r.found {
			l.skipped = append(l.skipped, SkippedFile{Path: files[i].path, Reason: "holds no goldenpath document"})
			continue
		}
		fr := FileResult{Path: files[i].path, Errors: r.errs}
		for _, obj := range r.objs {
			switch obj := obj.(type) {
			case *contract.AppDeploymentRequest:
				l.reqs = append(l.reqs, obj)
				fileOf = append(fileOf, len(l.files))
			case *contract.Platform:
				fr.Platforms++
			}
		}
		l.files = append(l.files, fr)
	}
	sort.SliceStable(l.skipped, func(i, j int) bool { return l.skipped[i].Path < l.skipped[j].Path })
	for i, errs := range o.platform.AdmitAll(l.reqs) {
		f := &l.files[fileOf[i]]
		if len(errs) == 0 {
			f.Requests++
		}
		f.Errors = append(f.Errors, errs...)
	}
	for i := range l.files {
		l.files[i].Errors.Sort()
	}
	return l, nil
}

// input is a file to load; walked files were found in a folder rather
// than named.
type input struct {
	path   string
	walked bool
}

// load reads and decodes the file. A walked file that holds no goldenpath
// document is not found.
func (in input) load() (objs []contract.Object, found bool, err error) {
	data, err := contract.ReadFile(in.path)
	if err != nil {
		return nil, true, err
	}
	if in.walked {
		return contract.LoadFound(in.path, data)
	}
	objs, err = contract.LoadObjects(in.path, data)
	return objs, true, err
}

// expandPaths is ExpandPaths, remembering which files were walked and
// listing the walked YAML files that are not regular files.
func expandPaths(ctx context.Context, paths []string) ([]input, []SkippedFile, error) {
	if len(paths) == 0 {
		return nil, nil, errors.New("no paths given")
	}
	seen := map[string]bool{}
	var out []input
	var skipped []SkippedFile
	for _, p := range paths {
		info, err := os.Stat(p)
		if err != nil {
			return nil, nil, err
		}
		if !info.IsDir() {
			if !info.Mode().IsRegular() {
				return nil, nil, contract.NotRegularError(p, info.Mode())
			}
			if !seen[p] {
				seen[p] = true
				out = append(out, input{path: p})
			}
			continue
		}
		var found []string
		err = filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if err := ctx.Err(); err != nil {
				return err
			}
			if d.IsDir() {
				if path != p && (strings.HasPrefix(d.Name(), ".") || IsTree(path)) {
					return filepath.SkipDir // hidden folders such as .git, and rendered trees (IsTree)
				}
				return nil
			}
			if !strings.HasSuffix(path, ".yaml") && !strings.HasSuffix(path, ".yml") {
				return nil
			}
			mode := d.Type()
			if mode&fs.ModeSymlink != 0 {
				// Follow a link to see what it names; a link to a folder is
				// not walked into.
				info, err := os.Stat(path)
				if err != nil {
					skipped = append(skipped, SkippedFile{Path: path, Reason: err.Error()})
					return nil
				}
				mode = info.Mode()
			}
			if !mode.IsRegular() {
				skipped = append(skipped, SkippedFile{Path: path, Reason: contract.FileKind(mode) + ", not a regular file"})
				return nil
			}
			found = append(found, path)
			return nil
		})
		if err != nil {
			return nil, nil, err
		}
		sort.Strings(found)
		for _, f := range found {
			if !seen[f] {
				seen[f] = true
				out = append(out, input{path: f, walked: true})
			}
		}
	}
	return out, skipped, nil
}

// ExpandPaths turns files and folders into the sorted list of YAML files
// they name. A file given by name is taken whatever its extension, but must
// be a regular file; folders contribute their regular *.yaml and *.yml
// files (and links to such files), recursively, skipping hidden folders
// such as .git.
func ExpandPaths(paths []string) ([]string, error) {
	files, _, err := expandPaths(context.Background(), paths)
	if err != nil {
		return nil, err
	}
	out := make([]string, len(files))
	for i, f := range files {
		out[i] = f.path
	}
	return out, nil
}

// plural writes n and noun, with an s when n is not 1.
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
