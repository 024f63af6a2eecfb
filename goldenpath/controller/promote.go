package controller

import (
	"context"
	"sort"
	"sync"
	"time"

	kpack "github.com/pivotal/kpack/pkg/apis/build/v1alpha2"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/types"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	"github.com/goldenpath-dev/goldenpath/contract"
	"github.com/goldenpath-dev/goldenpath/pipeline/gitops"
	"github.com/goldenpath-dev/goldenpath/pipeline/insight"
)

// candidate is a successful build waiting to be pinned.
type candidate struct {
	App      app
	Image    types.NamespacedName
	ImageUID types.UID
	Build    string
	Number   int64
	// Ref is the built image, repository@sha256:...
	Ref      string
	Reasons  []string
	Revision string
	Finished time.Time
}

// newer says whether c should replace o as the app's pending pin.
func (c candidate) newer(o candidate) bool {
	if c.ImageUID != o.ImageUID {
		return !c.Finished.Before(o.Finished)
	}
	return c.Number >= o.Number
}

// PromoteReconciler watches goldenpath's kpack Images and their Builds and
// hands the newest successful build of each to the Promoter, unless it is
// pinned already, was refused, or a newer build of the Image was pinned.
type PromoteReconciler struct {
	c *core
	p *Promoter
}

func setupPromoteReconciler(mgr ctrl.Manager, c *core, p *Promoter) error {
	r := &PromoteReconciler{c: c, p: p}
	return ctrl.NewControllerManagedBy(mgr).
		Named("promote").
		For(&kpack.Image{}).
		Watches(&kpack.Build{}, handler.EnqueueRequestsFromMapFunc(func(_ context.Context, o client.Object) []reconcile.Request {
			img := o.GetLabels()[kpack.ImageLabel]
			if img == "" {
				return nil
			}
			return []reconcile.Request{{NamespacedName: types.NamespacedName{Namespace: o.GetNamespace(), Name: img}}}
		})).
		Complete(r)
}

func (r *PromoteReconciler) Reconcile(ctx context.Context, req reconcile.Request) (reconcile.Result, error) {
	var img kpack.Image
	if err := r.c.client.Get(ctx, req.NamespacedName, &img); err != nil {
		return reconcile.Result{}, client404(err)
	}
	a, ok := r.c.appOf(&img)
	if !ok {
		return reconcile.Result{}, nil
	}
	builds, err := r.c.buildsOf(ctx, &img)
	if err != nil {
		return reconcile.Result{}, err
	}
	var newest *kpack.Build
	var pinnedNumber int64 = -1
	for i := range builds {
		b := &builds[i]
		if b.Annotations[insight.AnnotationPinned] != "" && buildNumber(b) > pinnedNumber {
			pinnedNumber = buildNumber(b)
		}
		if newest == nil && b.IsSuccess() && b.Status.LatestImage != "" {
			newest = b
		}
	}
	if newest == nil {
		return reconcile.Result{}, nil
	}
	ann := newest.Annotations
	switch {
	case ann[insight.AnnotationPinned] != "", ann[insight.AnnotationRefused] != "", ann[insight.AnnotationSuperseded] != "":
		return reconcile.Result{}, nil
	case pinnedNumber > buildNumber(newest):
		return reconcile.Result{}, client404(r.c.annotate(ctx, newest, map[string]string{insight.AnnotationSuperseded: "a newer build is pinned"}))
	case !sameRepository(newest.Status.LatestImage, r.c.repository(a)):
		// An Image pushing elsewhere than the platform's repository for
		// the application is never pinned.
		r.c.metrics.refusals.WithLabelValues("wrong-repository").Inc()
		r.c.event(&img, true, "PromotionRefused", "build %s pushed %s, outside the platform's repository %s for %s: not pinned",
			newest.Name, newest.Status.LatestImage, r.c.repository(a), a)
		return reconcile.Result{}, client404(r.c.annotate(ctx, newest, map[string]string{
			insight.AnnotationRefused: "image outside the platform's repository " + r.c.repository(a)}))
	}
	r.p.offer(candidate{
		App:      a,
		Image:    req.NamespacedName,
		ImageUID: img.UID,
		Build:    newest.Name,
		Number:   buildNumber(newest),
		Ref:      newest.Status.LatestImage,
		Reasons:  reasons(newest),
		Revision: revisionOf(newest),
		Finished: finishedAt(newest),
	})
	return reconcile.Result{}, nil
}

func revisionOf(b *kpack.Build) string {
	if g := b.Spec.Source.Git; g != nil {
		return g.Revision
	}
	return ""
}

// Promoter pins what the PromoteReconciler offers, one worker per
// environment: at most batchSize applications per commit and at most one
// commit per interval (the platform's controller.promotion), so that a
// mass rebuild after a run image patch is staggered. Each batch is verified
// (the verify gate), pinned in one commit, and Argo CD is asked to refresh
// the pinned applications. A failed batch is retried with a growing delay;
// what is pending lives only until the next reconcile offers it again (a
// restarted controller re-derives it from the cluster and git).
type Promoter struct {
	c        *core
	verifier *verifier

	mu      sync.Mutex
	pending map[contract.Environment]map[string]candidate
	// decided remembers the Builds this process pinned or refused, for
	// the moment the informer cache lags behind their annotations.
	decided map[string]time.Time
	wake    map[contract.Environment]chan struct{}
	repos   map[string]*gitops.Repo
}

func newPromoter(c *core) *Promoter {
	p := &Promoter{c: c, verifier: newVerifier(c), pending: map[contract.Environment]map[string]candidate{},
		wake: map[contract.Environment]chan struct{}{}, repos: map[string]*gitops.Repo{}, decided: map[string]time.Time{}}
	for _, env := range c.platform.EnvironmentNames() {
		e := contract.Environment(env)
		p.pending[e] = map[string]candidate{}
		p.wake[e] = make(chan struct{}, 1)
	}
	return p
}

// NeedLeaderElection: only the leader pins.
func (p *Promoter) NeedLeaderElection() bool { return true }

func (p *Promoter) offer(c candidate) {
	p.mu.Lock()
	if _, done := p.decided[c.Image.Namespace+"/"+c.Build]; done {
		p.mu.Unlock()
		return
	}
	pend := p.pending[c.App.Env]
	if old, ok := pend[c.App.Name]; ok && !c.newer(old) {
		p.mu.Unlock()
		return
	}
	pend[c.App.Name] = c
	p.mu.Unlock()
	select {
	case p.wake[c.App.Env] <- struct{}{}:
	default:
	}
}

// decide remembers that a Build was pinned or refused (for ten minutes:
// by then the cache has the annotations saying so).
func (p *Promoter) decide(c candidate) {
	p.mu.Lock()
	defer p.mu.Unlock()
	now := time.Now()
	for k, t := range p.decided {
		if now.Sub(t) > 10*time.Minute {
			delete(p.decided, k)
		}
	}
	p.decided[c.Image.Namespace+"/"+c.Build] = now
}

// take removes up to n pending candidates of env, oldest build first.
func (p *Promoter) take(env contract.Environment, n int) []candidate {
	p.mu.Lock()
	defer p.mu.Unlock()
	var all []candidate
	for _, c := range p.pending[env] {
		all = append(all, c)
	}
	sort.Slice(all, func(i, j int) bool {
		if !all[i].Finished.Equal(all[j].Finished) {
			return all[i].Finished.Before(all[j].Finished)
		}
		return all[i].App.Name < all[j].App.Name
	})
	if len(all) > n {
		all = all[:n]
	}
	for _, c := range all {
		delete(p.pending[env], c.App.Name)
	}
	return all
}

// Start runs one worker per environment until ctx ends.
func (p *Promoter) Start(ctx context.Context) error {
	var wg sync.WaitGroup
	for env := range p.pending {
		wg.Add(1)
		go func() {
			defer wg.Done()
			p.run(ctx, env)
		}()
	}
	wg.Wait()
	return nil
}

func (p *Promoter) run(ctx context.Context, env contract.Environment) {
	rate := p.c.platform.Controller.Promotion
	interval := p.c.platform.Controller.PromotionInterval()
	backoff := time.Duration(0)
	for {
		select {
		case <-ctx.Done():
			return
		case <-p.wake[env]:
		}
		for ctx.Err() == nil {
			batch := p.take(env, rate.BatchSize)
			if len(batch) == 0 {
				break
			}
			err := p.promote(ctx, env, batch)
			if err != nil {
				for _, c := range batch {
					p.offer(c) // kept unless a newer build came meanwhile
				}
				backoff = min(max(2*backoff, time.Second), 30*time.Second)
				p.c.metrics.promotions.WithLabelValues(string(env), "error").Inc()
				p.c.log.Error("promotion failed: retrying", "environment", env, "apps", len(batch), "in", backoff.String(), "error", err)
				if !sleep(ctx, backoff) {
					return
				}
				continue
			}
			backoff = 0
			if interval > 0 && !sleep(ctx, interval) {
				return
			}
		}
	}
}

func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// promote verifies a batch, pins the verified builds in one commit and
// records the outcome on each Build and Image.
func (p *Promoter) promote(ctx context.Context, env contract.Environment, batch []candidate) error {
	var ok []candidate
	for _, c := range batch {
		// Read from the API server, not the cache: a promotion that has
		// just annotated this Build may not be in the cache yet, and
		// deciding on a stale copy would pin (or refuse) it twice.
		var b kpack.Build
		if err := p.c.reader.Get(ctx, types.NamespacedName{Namespace: c.Image.Namespace, Name: c.Build}, &b); err != nil {
			if apierrors.IsNotFound(err) {
				continue // garbage-collected: a newer build exists
			}
			return err
		}
		if b.Annotations[insight.AnnotationPinned] != "" || b.Annotations[insight.AnnotationRefused] != "" {
			continue
		}
		passed, err := p.verifier.gate(ctx, &b, c)
		if err != nil {
			return err
		}
		if passed {
			ok = append(ok, c)
		} else {
			p.decide(c)
		}
	}
	if len(ok) == 0 {
		return nil
	}
	cfg := p.c.platform.Environments[env]
	repo, err := p.repo(ctx, cfg.GitOps)
	if err != nil {
		return err
	}
	pin := &pinChange{candidates: ok}
	res, err := repo.Update(ctx, 5, pin.apply)
	if err != nil {
		return err
	}
	now := time.Now()
	for _, o := range pin.outcomes {
		c := o.candidate
		if o.result != outcomeNoFolder {
			p.decide(c)
		}
		img := &kpack.Image{}
		img.Namespace, img.Name, img.UID = c.Image.Namespace, c.Image.Name, c.ImageUID
		b := &kpack.Build{}
		b.Namespace, b.Name = c.Image.Namespace, c.Build
		var ann map[string]string
		switch o.result {
		case outcomePinned:
			ann = map[string]string{insight.AnnotationPinned: res.Commit, insight.AnnotationPinnedAt: now.UTC().Format(time.RFC3339)}
			p.c.metrics.promotions.WithLabelValues(string(env), "pinned").Inc()
			if !c.Finished.IsZero() {
				p.c.metrics.buildToPin.WithLabelValues(string(env)).Observe(now.Sub(c.Finished).Seconds())
			}
			p.c.event(img, false, "Pinned", "pinned %s to %s (build %s, %s) in GitOps commit %s", c.App, digestOf(c.Ref), c.Build, joinReasons(c.Reasons), short(res.Commit))
			p.c.log.Info("pinned", "app", c.App.String(), "build", c.Build, "image", c.Ref, "commit", res.Commit, "attempts", res.Attempts,
				"sinceBuild", now.Sub(c.Finished).Round(time.Millisecond).String())
			if err := p.c.refresh(ctx, applicationName(c.App)); err != nil {
				p.c.log.Warn("asking Argo CD to refresh", "app", c.App.String(), "error", err)
			}
		case outcomeUnchanged:
			ann = map[string]string{insight.AnnotationPinned: "unchanged@" + res.Head, insight.AnnotationPinnedAt: now.UTC().Format(time.RFC3339)}
			p.c.metrics.promotions.WithLabelValues(string(env), "unchanged").Inc()
			p.c.log.Info("already pinned in git", "app", c.App.String(), "build", c.Build, "image", c.Ref, "head", res.Head)
		case outcomeSuperseded:
			ann = map[string]string{insight.AnnotationSuperseded: o.detail}
			p.c.log.Info("not pinned: a newer build is pinned", "app", c.App.String(), "build", c.Build, "detail", o.detail)
		case outcomeNoFolder:
			p.c.event(img, true, "PromotionFailed", "cannot pin %s: %s", c.App, o.detail)
			p.c.log.Warn("not pinned", "app", c.App.String(), "build", c.Build, "reason", o.detail)
			continue
		}
		if err := p.c.annotate(ctx, b, ann); err != nil && !apierrors.IsNotFound(err) {
			p.c.log.Warn("recording the pin on the Build", "build", b.Namespace+"/"+b.Name, "error", err)
		}
	}
	return nil
}

// repo is the in-memory clone of a GitOps repository, made on first use;
// its credentials are read from the git Secret at each use.
func (p *Promoter) repo(ctx context.Context, g contract.GitOpsTarget) (*gitops.Repo, error) {
	auth, err := p.c.gitAuth(ctx)
	if err != nil {
		return nil, err
	}
	p.mu.Lock()
	key := g.RepoURL + "#" + g.TargetRevision
	r, ok := p.repos[key]
	if !ok {
		r = &gitops.Repo{URL: g.RepoURL, Branch: g.TargetRevision}
		r.Author.Name, r.Author.Email = "goldenpath controller", "goldenpath-controller@goldenpath.invalid"
		p.repos[key] = r
	}
	p.mu.Unlock()
	r.SetAuth(auth)
	return r, nil
}
