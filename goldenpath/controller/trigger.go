package controller

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"time"

	kpack "github.com/pivotal/kpack/pkg/apis/build/v1alpha2"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/goldenpath-dev/goldenpath/contract"
)

// ResolveAnnotation is what the controller sets on a kpack SourceResolver to
// make kpack resolve its git source now (any update re-resolves it; kpack
// otherwise polls every minute): the pushed commit and the time.
const ResolveAnnotation = "goldenpath.io/resolve-requested"

// RefreshAnnotation asks Argo CD to compare an Application with git now
// (what Argo CD's own webhook does); Argo CD removes it when done.
const RefreshAnnotation = "argocd.argoproj.io/refresh"

var (
	applicationGVK     = schema.GroupVersionKind{Group: "argoproj.io", Version: "v1alpha1", Kind: "Application"}
	applicationListGVK = schema.GroupVersionKind{Group: "argoproj.io", Version: "v1alpha1", Kind: "ApplicationList"}
	shaRE              = regexp.MustCompile(`^[0-9a-f]{40}([0-9a-f]{24})?$`)
)

// trigger acts on verified pushes: kpack Images following the pushed
// repository and branch resolve now; Argo CD Applications of a pushed
// GitOps repository refresh.
type trigger struct{ c *core }

// follows says whether a revision (a kpack Image's spec.source.git.revision,
// an Argo CD targetRevision) follows the pushed ref. A commit SHA follows
// nothing; HEAD follows any branch (the default branch is not known here).
func follows(revision string, p Push) bool {
	switch {
	case revision == "" || shaRE.MatchString(revision):
		return false
	case revision == p.Ref:
		return true
	case p.Branch() != "":
		return revision == p.Branch() || revision == "HEAD"
	case p.Tag() != "":
		return revision == p.Tag()
	}
	return false
}

func (t *trigger) HandlePush(ctx context.Context, p Push) (Triggered, error) {
	repos := map[string]bool{}
	for _, u := range p.Repositories {
		if n := NormalizeRepoURL(u); n != "" {
			repos[n] = true
		}
	}
	var trig Triggered
	known := false
	now := strconv.FormatInt(time.Now().UnixNano(), 10)
	var errs []error
	seenNS := map[string]bool{}
	for _, env := range t.c.platform.EnvironmentNames() {
		cfg := t.c.platform.Environments[contract.Environment(env)]
		if seenNS[cfg.Namespace] {
			continue
		}
		seenNS[cfg.Namespace] = true
		var images kpack.ImageList
		if err := t.c.client.List(ctx, &images, client.InNamespace(cfg.Namespace)); err != nil {
			return trig, err
		}
		for _, img := range images.Items {
			g := img.Spec.Source.Git
			if g == nil || !repos[NormalizeRepoURL(g.URL)] {
				continue
			}
			known = true
			if !follows(g.Revision, p) {
				continue
			}
			sr := &kpack.SourceResolver{}
			sr.Namespace, sr.Name = img.Namespace, img.Name+"-source"
			err := t.c.annotate(ctx, sr, map[string]string{ResolveAnnotation: p.After + "@" + now})
			switch {
			case apierrors.IsNotFound(err):
				// kpack has not made it yet: its first resolution is near
			case err != nil:
				errs = append(errs, fmt.Errorf("SourceResolver %s/%s: %w", sr.Namespace, sr.Name, err))
			default:
				trig.SourceResolvers = append(trig.SourceResolvers, sr.Namespace+"/"+sr.Name)
			}
		}
	}
	gitops := false
	for _, env := range t.c.platform.EnvironmentNames() {
		cfg := t.c.platform.Environments[contract.Environment(env)]
		if repos[NormalizeRepoURL(cfg.GitOps.RepoURL)] && follows(cfg.GitOps.TargetRevision, p) {
			gitops = true
		}
	}
	if gitops {
		known = true
		apps, err := t.c.refreshRepository(ctx, repos)
		trig.Applications = apps
		if err != nil {
			errs = append(errs, err)
		}
	}
	if !known {
		return trig, ErrUnknownRepository
	}
	return trig, errors.Join(errs...)
}

// refreshRepository asks Argo CD to refresh every Application (in the
// platform's Argo CD namespace) whose source is one of repos.
func (c *core) refreshRepository(ctx context.Context, repos map[string]bool) ([]string, error) {
	list := &unstructured.UnstructuredList{}
	list.SetGroupVersionKind(applicationListGVK)
	if err := c.reader.List(ctx, list, client.InNamespace(c.platform.ArgoCD.Namespace)); err != nil {
		return nil, fmt.Errorf("listing Argo CD Applications: %w", err)
	}
	var names []string
	for _, a := range list.Items {
		var urls []string
		if u, ok, _ := unstructured.NestedString(a.Object, "spec", "source", "repoURL"); ok {
			urls = append(urls, u)
		}
		srcs, _, _ := unstructured.NestedSlice(a.Object, "spec", "sources")
		for _, s := range srcs {
			if m, ok := s.(map[string]any); ok {
				if u, ok := m["repoURL"].(string); ok {
					urls = append(urls, u)
				}
			}
		}
		for _, u := range urls {
			if repos[NormalizeRepoURL(u)] {
				if err := c.refresh(ctx, a.GetName()); err != nil {
					return names, err
				}
				names = append(names, a.GetNamespace()+"/"+a.GetName())
				break
			}
		}
	}
	return names, nil
}

// refresh asks Argo CD to refresh one Application; a missing one is not an
// error (Argo CD will find the new commit when it makes it).
func (c *core) refresh(ctx context.Context, name string) error {
	a := &unstructured.Unstructured{}
	a.SetGroupVersionKind(applicationGVK)
	a.SetNamespace(c.platform.ArgoCD.Namespace)
	a.SetName(name)
	err := c.client.Patch(ctx, a, client.RawPatch(types.MergePatchType, []byte(`{"metadata":{"annotations":{"`+RefreshAnnotation+`":"normal"}}}`)))
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("refreshing Argo CD Application %s: %w", name, err)
	}
	return nil
}
