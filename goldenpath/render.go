package goldenpath

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/goldenpath-dev/goldenpath/contract"
	"github.com/goldenpath-dev/goldenpath/render"
	"golang.org/x/sync/errgroup"
)

// Render loads the requests under paths and renders each against the
// platform: kpack Image, Deployment, Service, Ingress, bindings,
// kustomization.yaml and Argo CD Application. The objects come back sorted,
// ready for render.Stream or WriteTree. Nothing is rendered when any
// request has a problem.
func Render(ctx context.Context, paths []string, opts ...Option) ([]render.Object, error) {
	o, err := makeOptions(opts)
	if err != nil {
		return nil, err
	}
	reqs, err := o.loadRequests(ctx, paths)
	if err != nil {
		return nil, err
	}
	return o.renderAdmitted(reqs)
}

// RenderRequests renders requests already loaded (see Render).
func RenderRequests(reqs []*contract.AppDeploymentRequest, opts ...Option) ([]render.Object, error) {
	o, err := makeOptions(opts)
	if err != nil {
		return nil, err
	}
	return o.renderRequests(reqs)
}

func (o *options) renderRequests(reqs []*contract.AppDeploymentRequest) ([]render.Object, error) {
	// The one admission validate uses too: each request's policy and the
	// rules across the set (one request per application and environment,
	// hosts, Secrets, folders).
	if errs := slices.Concat(o.platform.AdmitAll(reqs)...); len(errs) > 0 {
		errs.Sort()
		return nil, errs
	}
	return o.renderAdmitted(reqs)
}

// renderAdmitted renders requests AdmitAll admitted.
func (o *options) renderAdmitted(reqs []*contract.AppDeploymentRequest) ([]render.Object, error) {
	used := map[string]bool{}
	images := make([]string, len(reqs))
	for i, r := range reqs {
		key := string(r.Environment) + "/" + r.Application
		for _, k := range []string{key, r.Application} {
			if img, ok := o.images[k]; ok && images[i] == "" {
				images[i], used[k] = img, true
			}
		}
		if img, ok := o.images[""]; ok && images[i] == "" {
			if len(reqs) != 1 {
				return nil, fmt.Errorf("an image without an application name needs exactly one request, not %d; use APPLICATION=IMAGE", len(reqs))
			}
			images[i], used[""] = img, true
		}
	}
	for k := range o.images {
		if !used[k] {
			return nil, fmt.Errorf("image given for %q, but no request renders that application", k)
		}
	}
	results := make([][]render.Object, len(reqs))
	errs := make([]error, len(reqs))
	parallel(len(reqs), o.concurrency, func(i int) {
		results[i], errs[i] = render.App(reqs[i], o.platform, render.AppOptions{Image: images[i]})
	})
	var all []render.Object
	for i := range reqs {
		if errs[i] != nil {
			return nil, errs[i]
		}
		all = append(all, results[i]...)
	}
	render.Sort(all)
	return all, nil
}

// parallel calls f(0..n-1) on at most workers goroutines.
func parallel(n, workers int, f func(i int)) {
	var g errgroup.Group
	g.SetLimit(workers)
	for i := range n {
		g.Go(func() error { f(i); return nil })
	}
	_ = g.Wait()
}

// RenderPlatform renders the platform-wide objects (see render.Platform).
func RenderPlatform(opts ...Option) ([]render.Object, error) {
	o, err := makeOptions(opts)
	if err != nil {
		return nil, err
	}
	return render.Platform(o.platform)
}

// WriteTree writes objects as a GitOps tree under dir: one file per object
// path, folders created as needed. Nothing is ever half-written: when dir
// does not exist yet, the whole tree is written next to it and renamed into
// place at the end; otherwise each changed file is written to a temporary
// file and renamed over the old one. Files whose content is unchanged are
// not touched (their modification time stays), and files of dir that the
// tree does not name are left alone. It returns the paths of the tree,
// sorted.
func WriteTree(dir string, objs []render.Object) ([]string, error) {
	files, err := render.Tree(objs)
	if err != nil {
		return nil, err
	}
	paths := sortedFileNames(files)
	for _, p := range paths {
		if filepath.IsAbs(p) || strings.Contains(p, "..") {
			return nil, fmt.Errorf("refusing to write %q outside %s", p, dir)
		}
	}
	if _, err := os.Stat(dir); os.IsNotExist(err) {
		return paths, writeNewTree(dir, paths, files)
	}
	w := &treeWriter{made: map[string]bool{}}
	errs := make([]error, len(paths))
	parallel(len(paths), writers, func(i int) {
		errs[i] = w.update(filepath.Join(dir, filepath.FromSlash(paths[i])), files[paths[i]])
	})
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return paths, nil
}

// writeNewTree writes a tree that does not exist yet into a sibling
// folder, then renames it into place: the tree appears whole or not at all.
func writeNewTree(dir string, paths []string, files map[string][]byte) error {
	parent := filepath.Dir(filepath.Clean(dir))
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return err
	}
	tmp, err := os.MkdirTemp(parent, "."+filepath.Base(dir)+".tmp-*")
	if err != nil {
		return err
	}
	w := &treeWriter{made: map[string]bool{}}
	errs := make([]error, len(paths))
	parallel(len(paths), writers, func(i int) {
		path := filepath.Join(tmp, filepath.FromSlash(paths[i]))
		if errs[i] = w.mkdir(filepath.Dir(path)); errs[i] == nil {
			errs[i] = os.WriteFile(path, files[paths[i]], 0o644)
		}
	})
	if err := errors.Join(errs...); err != nil {
		os.RemoveAll(tmp)
		return err
	}
	if err := os.Chmod(tmp, 0o755); err != nil {
		os.RemoveAll(tmp)
		return err
	}
	if err := os.Rename(tmp, dir); err != nil {
		os.RemoveAll(tmp)
		return err
	}
	return nil
}

// treeWriter remembers the folders it made, to spare repeated MkdirAll calls.
type treeWriter struct {
	mu   sync.Mutex
	made map[string]bool
}

func (w *treeWriter) mkdir(dir string) error {
	w.mu.Lock()
	done := w.made[dir]
	w.mu.Unlock()
	if done {
		return nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	w.mu.Lock()
	w.made[dir] = true
	w.mu.Unlock()
	return nil
}

// update replaces path with data unless it already holds exactly that.
func (w *treeWriter) update(path string, data []byte) error {
	if old, err := os.ReadFile(path); err == nil && bytes.Equal(old, data) {
		return nil
	}
	if err := w.mkdir(filepath.Dir(path)); err != nil {
		return err
	}
	return writeFileAtomic(path, data)
}

// writeFileAtomic writes data to a temporary file next to path and renames
// it over path. The folder must exist.
func writeFileAtomic(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Chmod(0o644); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// BackstageTemplate renders the Backstage software template "Deploy
// Application" and its skeleton from the contract's JSON Schema, and
// writes them under dir when dir is not empty. It returns the files by
// path.
func BackstageTemplate(dir string, opts render.BackstageOptions) (map[string][]byte, error) {
	schema, err := contract.Schema(contract.KindAppDeploymentRequest)
	if err != nil {
		return nil, err
	}
	files, err := render.BackstageTemplate(schema, opts)
	if err != nil || dir == "" {
		return files, err
	}
	w := &treeWriter{made: map[string]bool{}}
	for _, p := range sortedFileNames(files) {
		if err := w.update(filepath.Join(dir, filepath.FromSlash(p)), files[p]); err != nil {
			return nil, err
		}
	}
	return files, nil
}

func sortedFileNames(files map[string][]byte) []string {
	names := make([]string, 0, len(files))
	for p := range files {
		names = append(names, p)
	}
	sort.Strings(names)
	return names
}

// writers is how many files WriteTree writes at once. Writing is bound by
// the file system's per-folder locks: more writers than this only add
// kernel time (measured on ext4: 8 writers took 3x the system time of 2).
const writers = 1
