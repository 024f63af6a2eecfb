package goldenpath

import (
	"context"
	"fmt"
	"path"
	"slices"
	"strings"
	"sync"

	"github.com/google/go-containerregistry/pkg/name"

	"github.com/goldenpath-dev/goldenpath/contract"
	"github.com/goldenpath-dev/goldenpath/goldenpath/internal/settings"
	"github.com/goldenpath-dev/goldenpath/goldenpath/internal/tree"
	"github.com/goldenpath-dev/goldenpath/render"
)

// The GitOps tree. goldenpath owns the files it wrote in the tree and
// nothing else; it records them in the tree's index, .goldenpath/tree.json
// (commit it with the tree), by unit:
//
//   - app/<environment>/<application>: the application's folder (the
//     platform's gitops.path) and its Application argocd/<environment>/<application>.yaml,
//     with the image the Deployment is pinned to, if any;
//   - env/<environment>: the environment's root Application argocd/<environment>.yaml
//     and argocd/<environment>/kustomization.yaml listing its Applications;
//   - platform: the platform/ folder (`goldenpath platform render --out`);
//   - backstage: the Backstage template (`goldenpath backstage --out`).
//
// A write makes the units it is about exactly what was rendered (see
// internal/tree for how: prune, hand edits, foreign files, links, and the
// all-or-nothing update). An environment keeps its root unit once it has
// one: after its last application goes, the root lists nothing and Argo CD
// prunes that application's Application.

// TreeReport is what a write of the GitOps tree changed: files written,
// unchanged, removed, overwritten (hand edits of goldenpath's files),
// adopted (WithAdopt) and kept (not removed, with why), pins kept and
// dropped, and whether an interrupted run was cleaned up. Paths are
// relative to the tree, sorted.
type TreeReport = tree.Result

// KeptFile is a file goldenpath left in place, and why.
type KeptFile = tree.Kept

// DroppedPin is an image pin of the tree that a render did not keep.
type DroppedPin = tree.DroppedPin

type treeOptions struct {
	adopt, unpin bool
	hook         func(string)
}

// WithAdopt lets a tree write take over a folder that is not a goldenpath
// tree, and files at the paths it renders that goldenpath did not write
// (overwriting them). Every other file is left alone. Default: such a
// folder, or such a file, stops the write with an error naming it.
func WithAdopt() Option {
	return func(s *settings.Settings) error {
		s.Tree.Adopt = true
		return nil
	}
}

// WithUnpin makes RenderTree render every application unpinned (the kpack
// tag, or the pipeline's), dropping the pins the tree holds. Default: the
// pins are kept. WithImages pins win over both.
func WithUnpin() Option {
	return func(s *settings.Settings) error {
		s.Tree.Unpin = true
		return nil
	}
}

// IsTree reports whether dir holds a goldenpath tree. Folders walked for
// contracts skip such folders: a rendered tree is never read as contracts.
func IsTree(dir string) bool { return tree.IsTree(dir) }

// RenderTree renders the requests under paths into the GitOps tree in
// dir, request by request (memory does not grow with the number of
// requests), and makes the tree's applications and roots exactly what was
// rendered: applications it no longer renders are removed. Each
// application keeps the pin the tree holds (`goldenpath promote`, `build
// --out`) when it is an image of the application's own repository, unless
// WithUnpin; WithImages pins win. Nothing is written when any request has
// a problem (a contract.Errors) or the tree stands in the way.
func RenderTree(ctx context.Context, paths []string, dir string, opts ...Option) (*TreeReport, error) {
	o, err := makeOptions(opts)
	if err != nil {
		return nil, err
	}
	w, err := o.openTree(dir, func(k string) bool { return strings.HasPrefix(k, "app/") || strings.HasPrefix(k, "env/") })
	if err != nil {
		return nil, err
	}
	defer w.Close()
	var (
		mu   sync.Mutex
		pins TreeReport
	)
	image := func(r *contract.AppDeploymentRequest) string {
		if img := o.explicitImage(r); img != "" {
			return img
		}
		pin := o.treePin(w, r)
		if pin == "" {
			return ""
		}
		keep, why := o.keepPin(r, pin)
		mu.Lock()
		defer mu.Unlock()
		if keep {
			pins.PinsKept++
			return pin
		}
		pins.PinsDropped = append(pins.PinsDropped, DroppedPin{Application: string(r.Environment) + "/" + r.Application, Image: pin, Reason: why})
		return ""
	}
	_, err = o.renderEach(ctx, paths, false, image, func(r rendered) error {
		u, err := appUnit(o.platform, r.req.Environment, r.req.Application, r.objs)
		if err != nil {
			return err
		}
		return w.Put(u)
	})
	if err != nil {
		return nil, err
	}
	rep, err := o.commitTree(w)
	if err != nil {
		return nil, err
	}
	rep.PinsKept, rep.PinsDropped = pins.PinsKept, pins.PinsDropped
	slices.SortFunc(rep.PinsDropped, func(a, b DroppedPin) int { return strings.Compare(a.Application, b.Application) })
	return rep, nil
}

// treePin is the image an application's Deployment in the tree is pinned
// to: what the index records when the file is as goldenpath wrote it, else
// what the file says (a digest), so that a pin written into the file by
// someone else (the in-cluster controller commits render.PinDeployment's
// output) is kept too. A missing file leaves the index's pin.
func (o *options) treePin(w *tree.Writer, r *contract.AppDeploymentRequest) string {
	key := appKey(r.Environment, r.Application)
	cfg, ok := o.platform.Environments[r.Environment]
	if !ok {
		return w.Pin(key)
	}
	data, recorded, err := w.Read(path.Join(cfg.GitOpsPath(r.Environment, r.Application), "deployment.yaml"))
	switch {
	case err != nil:
		return w.Pin(key)
	case recorded:
		return w.Pin(key)
	}
	img, err := render.DeploymentImage(data)
	if err != nil {
		return ""
	}
	if _, err := name.NewDigest(img); err != nil {
		return "" // a tag: not pinned
	}
	return img
}

// keepPin decides whether a pin the tree holds still applies.
func (o *options) keepPin(r *contract.AppDeploymentRequest, pin string) (bool, string) {
	if o.tree.unpin {
		return false, "rendered unpinned, as asked"
	}
	d, err := name.NewDigest(pin)
	if err != nil {
		return false, "not an image digest"
	}
	repo, err := name.NewRepository(o.platform.ImageRepository(r))
	if err != nil || d.Context().Name() != repo.Name() {
		return false, "not an image of the application's repository " + o.platform.ImageRepository(r)
	}
	return true, ""
}

// WriteTree makes objects (as Render gives them) the applications of the
// GitOps tree in dir: their units are written, the tree's other
// applications are removed, and each environment's root lists what is
// left. See RenderTree, which renders and writes in less memory, and
// UpdateTree, which leaves the other applications alone.
func WriteTree(dir string, objs []render.Object, opts ...Option) (*TreeReport, error) {
	return writeApps(dir, objs, false, opts)
}

// UpdateTree writes the applications among objects (as Render or
// RenderRequests give them) into the GitOps tree in dir, leaving its
// other applications alone; each environment's root is updated to list
// them all. A Deployment pinned to an image records the pin in the tree,
// where later renders keep it. `goldenpath build --out` and `promote` use it.
func UpdateTree(dir string, objs []render.Object, opts ...Option) (*TreeReport, error) {
	return writeApps(dir, objs, true, opts)
}

func writeApps(dir string, objs []render.Object, partial bool, opts []Option) (*TreeReport, error) {
	o, units, err := appUnitsWith(objs, opts)
	if err != nil {
		return nil, err
	}
	put := map[string]bool{}
	for _, u := range units {
		put[u.Key] = true
	}
	replace := func(k string) bool {
		return strings.HasPrefix(k, "env/") || put[k] || (!partial && strings.HasPrefix(k, "app/"))
	}
	return o.writeUnits(dir, replace, true, units...)
}

// WritePlatformTree writes platform objects (RenderPlatform,
// RenderPinnedPlatform) into the GitOps tree in dir, as its platform unit:
// the platform/ folder becomes exactly these objects.
func WritePlatformTree(dir string, objs []render.Object, opts ...Option) (*TreeReport, error) {
	o, err := makeOptions(opts)
	if err != nil {
		return nil, err
	}
	u := tree.Unit{Key: platformKey, Dir: "platform"}
	if u.Files, err = treeFiles(objs); err != nil {
		return nil, err
	}
	for _, f := range u.Files {
		if !strings.HasPrefix(f.Path, u.Dir+"/") {
			return nil, fmt.Errorf("%s is not a platform object's file (platform/...)", f.Path)
		}
	}
	return o.writeUnits(dir, func(k string) bool { return k == platformKey }, false, u)
}

// TreeFiles are the files WriteTree would write for objects into an empty
// folder, goldenpath's index included: the same tree, for writers other
// than a local folder (the Dagger module's Directory).
func TreeFiles(objs []render.Object, opts ...Option) (map[string][]byte, error) {
	o, units, err := appUnitsWith(objs, opts)
	if err != nil {
		return nil, err
	}
	envs := map[contract.Environment][]string{}
	for _, u := range units {
		env, app := splitAppKey(u.Key)
		envs[env] = append(envs[env], app)
	}
	for env, apps := range envs {
		u, err := rootUnit(o.platform, env, apps)
		if err != nil {
			return nil, err
		}
		units = append(units, u)
	}
	return tree.Files(units)
}

const platformKey = "platform"

func appKey(env contract.Environment, app string) string { return "app/" + string(env) + "/" + app }

func splitAppKey(key string) (contract.Environment, string) {
	env, app, _ := strings.Cut(strings.TrimPrefix(key, "app/"), "/")
	return contract.Environment(env), app
}

func (o *options) openTree(dir string, replace func(string) bool) (*tree.Writer, error) {
	return tree.Open(dir, tree.Options{Adopt: o.tree.adopt, Replace: replace, Hook: o.tree.hook})
}

// writeUnits writes units into the tree in dir, replacing the units
// replace names; with roots, each environment's root too (commitTree).
func (o *options) writeUnits(dir string, replace func(string) bool, roots bool, units ...tree.Unit) (*TreeReport, error) {
	w, err := o.openTree(dir, replace)
	if err != nil {
		return nil, err
	}
	defer w.Close()
	for _, u := range units {
		if err := w.Put(u); err != nil {
			return nil, err
		}
	}
	if roots {
		return o.commitTree(w)
	}
	return w.Commit()
}

// commitTree puts each environment's root (the environments of the tree's
// applications, and those that had a root) and commits.
func (o *options) commitTree(w *tree.Writer) (*TreeReport, error) {
	envs := map[contract.Environment][]string{}
	for _, k := range w.PreviousKeys("env/") {
		envs[contract.Environment(strings.TrimPrefix(k, "env/"))] = nil
	}
	for _, k := range w.Keys("app/") {
		env, app := splitAppKey(k)
		envs[env] = append(envs[env], app)
	}
	for env, apps := range envs {
		u, err := rootUnit(o.platform, env, apps)
		if err != nil {
			return nil, err
		}
		if err := w.Put(u); err != nil {
			return nil, err
		}
	}
	return w.Commit()
}

func rootUnit(p *contract.Platform, env contract.Environment, apps []string) (tree.Unit, error) {
	objs, err := render.Root(p, env, apps)
	if err != nil {
		return tree.Unit{}, fmt.Errorf("the tree holds applications of environment %q: %w", env, err)
	}
	files, err := treeFiles(objs)
	return tree.Unit{Key: "env/" + string(env), Order: 1, Files: files}, err
}

// appUnit makes one application's objects (render.App) its unit.
func appUnit(p *contract.Platform, env contract.Environment, app string, objs []render.Object) (tree.Unit, error) {
	cfg, ok := p.Environments[env]
	if !ok {
		return tree.Unit{}, fmt.Errorf("platform %q has no environment %q", p.Name, env)
	}
	u := tree.Unit{Key: appKey(env, app), Dir: cfg.GitOpsPath(env, app)}
	for _, o := range objs {
		if o.Kind() == "Deployment" && o.Path == path.Join(u.Dir, "deployment.yaml") {
			u.Pin = pinOf(o)
		}
	}
	var err error
	u.Files, err = treeFiles(objs)
	return u, err
}

// pinOf is the image a Deployment is pinned to ("" when it follows a tag).
func pinOf(d render.Object) string {
	ann, _ := dig(d.Value, "metadata", "annotations").(map[string]any)
	if ann[render.ImageSourceAnnotation] != "pinned" {
		return ""
	}
	containers, _ := dig(d.Value, "spec", "template", "spec", "containers").([]any)
	if len(containers) == 0 {
		return ""
	}
	c, _ := containers[0].(map[string]any)
	img, _ := c["image"].(string)
	return img
}

func dig(v any, keys ...string) any {
	for _, k := range keys {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[k]
	}
	return v
}

// appUnitsWith is appUnits with the platform opts give.
func appUnitsWith(objs []render.Object, opts []Option) (*options, []tree.Unit, error) {
	o, err := makeOptions(opts)
	if err != nil {
		return nil, nil, err
	}
	units, err := appUnits(o.platform, objs)
	return o, units, err
}

// appUnits groups objects into application units by their Applications;
// environment roots among them are dropped (the writer renders them).
func appUnits(p *contract.Platform, objs []render.Object) ([]tree.Unit, error) {
	type app struct {
		env  contract.Environment
		name string
		objs []render.Object
	}
	byFile := map[string]*app{}
	var apps []*app
	for _, o := range objs {
		if o.Kind() != "Application" || o.APIVersion() != "argoproj.io/v1alpha1" {
			continue
		}
		labels, _ := dig(o.Value, "metadata", "labels").(map[string]any)
		env, _ := labels["goldenpath.io/environment"].(string)
		name, _ := labels["app.kubernetes.io/name"].(string)
		if labels["app.kubernetes.io/component"] != "gitops" || o.Path != render.ArgoApplicationPath(contract.Environment(env), name) {
			continue
		}
		a := &app{env: contract.Environment(env), name: name}
		apps = append(apps, a)
		byFile[o.Path] = a
	}
	dirs := map[string]*app{}
	for _, a := range apps {
		cfg, ok := p.Environments[a.env]
		if !ok {
			return nil, fmt.Errorf("platform %q has no environment %q", p.Name, a.env)
		}
		dirs[cfg.GitOpsPath(a.env, a.name)] = a
	}
	for _, o := range objs {
		if a := byFile[o.Path]; a != nil {
			a.objs = append(a.objs, o)
			continue
		}
		var owner *app
		for d := path.Dir(o.Path); d != "." && owner == nil; d = path.Dir(d) {
			owner = dirs[d]
		}
		switch {
		case owner != nil:
			owner.objs = append(owner.objs, o)
		case isRootFile(o.Path):
		default:
			return nil, fmt.Errorf("%s (%s %s) belongs to no application's folder", o.Path, o.Kind(), o.Name())
		}
	}
	units := make([]tree.Unit, 0, len(apps))
	for _, a := range apps {
		u, err := appUnit(p, a.env, a.name, a.objs)
		if err != nil {
			return nil, err
		}
		units = append(units, u)
	}
	return units, nil
}

// isRootFile reports whether p is an environment root's file.
func isRootFile(p string) bool {
	for _, env := range contract.Environments {
		if p == render.ArgoRootPath(env) || p == path.Join(render.ArgoFolder(env), "kustomization.yaml") {
			return true
		}
	}
	return false
}

// treeFiles lays objects out as the writer's files.
func treeFiles(objs []render.Object) ([]tree.File, error) {
	files, err := render.Tree(objs)
	if err != nil {
		return nil, err
	}
	out := make([]tree.File, 0, len(files))
	for p, data := range files {
		out = append(out, tree.File{Path: p, Data: data})
	}
	return out, nil
}

// ErrLink is the error of a tree write that would go through a symbolic
// link inside the tree (see errors.Is).
var ErrLink = tree.ErrLink

// NotTreeError is the refusal of a non-empty folder that is not a
// goldenpath tree (see errors.As).
type NotTreeError = tree.NotTreeError
