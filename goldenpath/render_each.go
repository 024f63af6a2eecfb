package goldenpath

import (
	"context"
	"fmt"
	"sync"

	"github.com/goldenpath-dev/goldenpath/contract"
	"github.com/goldenpath-dev/goldenpath/render"
	"golang.org/x/sync/errgroup"
)

// Rendering many contracts in little memory: a loaded request keeps the
// positions of its fields for error messages (about 3 KB), and its
// rendered objects take thirty times that, so 50,000 contracts rendered at
// once need gigabytes. renderEach goes over the files twice instead. The
// first pass is validate's: it loads every request and admits the whole
// set (contract.Platform.AdmitAll: one request per application, hosts,
// Secrets, folders), so that every problem of every file is reported
// before anything is rendered; it keeps only each request's identity. The
// second pass loads the files again and renders request by request,
// handing each request's objects to a sink that writes them out, so memory
// holds a few files at a time. The cost is a second parse of every file
// (the page cache makes the second read cheap).

// requestID is what the first pass keeps of a request.
type requestID struct {
	env contract.Environment
	app string
	at  contract.Position
}

func (r requestID) key() string { return string(r.env) + "/" + r.app }

// rendered is one request's objects, handed to a sink.
type rendered struct {
	req  *contract.AppDeploymentRequest
	objs []render.Object
}

// renderEach renders every request under paths, calling sink with each
// request's objects: in file order, one call at a time, when ordered; else
// from several goroutines at once. It returns the identities of the
// requests. Nothing reaches the sink when any request has a problem.
func (o *options) renderEach(ctx context.Context, paths []string, ordered bool, image func(*contract.AppDeploymentRequest) string, sink func(rendered) error) ([]requestID, error) {
	files, ids, err := o.checkAll(ctx, paths)
	if err != nil {
		return nil, err
	}
	var all []requestID
	for _, f := range ids {
		all = append(all, f...)
	}
	if err := o.checkImages(all); err != nil {
		return nil, err
	}
	work := func(i int) ([]rendered, error) {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		reqs, err := o.loadFile(files[i])
		if err != nil {
			return nil, err
		}
		if len(reqs) != len(ids[i]) {
			return nil, fmt.Errorf("%s changed while it was rendered: run again", files[i].path)
		}
		out := make([]rendered, len(reqs))
		for k, r := range reqs {
			if r.Environment != ids[i][k].env || r.Application != ids[i][k].app {
				return nil, fmt.Errorf("%s changed while it was rendered: run again", files[i].path)
			}
			objs, err := render.App(r, o.platform, render.AppOptions{Image: image(r)})
			if err != nil {
				return nil, err
			}
			out[k] = rendered{req: r, objs: objs}
		}
		return out, nil
	}
	consume := func(rs []rendered) error {
		for _, r := range rs {
			if err := sink(r); err != nil {
				return err
			}
		}
		return nil
	}
	if ordered {
		err = inOrder(len(files), o.concurrency, work, consume)
	} else {
		err = eachParallel(len(files), o.concurrency, func(i int) error {
			rs, err := work(i)
			if err != nil {
				return err
			}
			return consume(rs)
		})
	}
	return all, err
}

// checkAll is the first pass: validate's load and admission of the whole
// set. It returns the files holding requests and, per file, the identity
// of its requests.
func (o *options) checkAll(ctx context.Context, paths []string) ([]input, [][]requestID, error) {
	l, err := o.load(ctx, paths)
	if err != nil {
		return nil, nil, err
	}
	var errs contract.Errors
	for _, f := range l.files {
		errs = append(errs, f.Errors...)
	}
	if len(errs) > 0 {
		return nil, nil, errs
	}
	if len(l.reqs) == 0 {
		return nil, nil, contract.Errors{l.nothingFound(paths, contract.KindAppDeploymentRequest)}
	}
	named := map[string]bool{}
	for _, p := range paths {
		named[p] = true
	}
	var (
		files []input
		ids   [][]requestID
		next  int
	)
	for _, f := range l.files {
		if f.Requests == 0 {
			continue
		}
		fileIDs := make([]requestID, 0, f.Requests)
		for _, r := range l.reqs[next : next+f.Requests] {
			fileIDs = append(fileIDs, requestID{env: r.Environment, app: r.Application, at: r.PositionOf("application")})
		}
		next += f.Requests
		files = append(files, input{path: f.Path, walked: !named[f.Path]})
		ids = append(ids, fileIDs)
	}
	return files, ids, nil
}

// loadFile loads the requests of one file (the second pass).
func (o *options) loadFile(in input) ([]*contract.AppDeploymentRequest, error) {
	objs, _, err := in.load()
	if err != nil {
		return nil, err
	}
	var reqs []*contract.AppDeploymentRequest
	for _, obj := range objs {
		if r, ok := obj.(*contract.AppDeploymentRequest); ok {
			reqs = append(reqs, r)
		}
	}
	return reqs, nil
}

// checkImages refuses WithImages pins no request uses, and a pin without
// an application name when there is not exactly one request.
func (o *options) checkImages(ids []requestID) error {
	if _, lone := o.images[""]; lone && len(ids) != 1 {
		return fmt.Errorf("an image without an application name needs exactly one request, not %d; use APPLICATION=IMAGE", len(ids))
	}
	used := map[string]bool{"": true}
	for _, id := range ids {
		used[id.key()], used[id.app] = true, true
	}
	for k := range o.images {
		if !used[k] {
			return fmt.Errorf("image given for %q, but no request renders that application", k)
		}
	}
	return nil
}

// explicitImage is the image WithImages pins a request to ("" for none):
// by environment/application, else by application, else the lone pin.
func (o *options) explicitImage(r *contract.AppDeploymentRequest) string {
	for _, k := range []string{string(r.Environment) + "/" + r.Application, r.Application, ""} {
		if img, ok := o.images[k]; ok {
			return img
		}
	}
	return ""
}

// inOrder runs work(0..n-1) on workers goroutines and consume on their
// results in index order, holding at most a few results at a time: an
// index is started only once a slot of the window is free, and in order,
// so the one consume waits for is always started.
func inOrder[T any](n, workers int, work func(int) (T, error), consume func(T) error) error {
	type result struct {
		v   T
		err error
	}
	slots := make([]chan result, n)
	for i := range slots {
		slots[i] = make(chan result, 1)
	}
	window := make(chan struct{}, 2*workers+2)
	stop := make(chan struct{})
	started := make(chan struct{})
	var g errgroup.Group
	g.SetLimit(workers)
	go func() {
		defer close(started)
		for i := range n {
			select {
			case window <- struct{}{}:
			case <-stop:
				return
			}
			g.Go(func() error {
				v, err := work(i)
				slots[i] <- result{v, err}
				return nil
			})
		}
	}()
	var err error
	for i := range n {
		r := <-slots[i]
		<-window
		if err = r.err; err == nil {
			err = consume(r.v)
		}
		if err != nil {
			break
		}
	}
	close(stop)
	<-started
	_ = g.Wait()
	return err
}

// eachParallel runs f(0..n-1) on workers goroutines and returns the first
// error; after one, the remaining calls are skipped.
func eachParallel(n, workers int, f func(int) error) error {
	var (
		mu    sync.Mutex
		first error
	)
	parallel(n, workers, func(i int) {
		mu.Lock()
		failed := first != nil
		mu.Unlock()
		if failed {
			return
		}
		if err := f(i); err != nil {
			mu.Lock()
			if first == nil {
				first = err
			}
			mu.Unlock()
		}
	})
	return first
}
