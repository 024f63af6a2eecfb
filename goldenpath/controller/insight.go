package controller

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"

	kpack "github.com/pivotal/kpack/pkg/apis/build/v1alpha2"
	corev1alpha1 "github.com/pivotal/kpack/pkg/apis/core/v1alpha1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/types"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	"github.com/goldenpath-dev/goldenpath/pipeline/insight"
)

// Excerpt sizes: the Build annotation keeps the last lines of the failed
// step's log; the Event on the Image the last few.
const (
	excerptLines    = 25
	excerptBytes    = 3000
	eventLines      = 8
	eventBytes      = 700
	logReadLines    = 200
	logReadMaxBytes = 256 << 10
)

// BuildInsight watches kpack Builds: a failed one gets its failing step and
// the end of that step's log as annotations (insight.Annotation*) and an
// Event on its Image; every Build feeds kpack_image_rebuilds_total and
// kpack_build_duration_seconds.
type BuildInsight struct {
	c *core

	mu       sync.Mutex
	counted  map[types.UID]bool // Builds counted in kpack_image_rebuilds_total
	observed map[types.UID]bool // Builds observed in kpack_build_duration_seconds
}

func setupBuildReconciler(mgr ctrl.Manager, c *core) error {
	r := &BuildInsight{c: c, counted: map[types.UID]bool{}, observed: map[types.UID]bool{}}
	return ctrl.NewControllerManagedBy(mgr).
		Named("build-insight").
		For(&kpack.Build{}, builder.WithPredicates(predicate.ResourceVersionChangedPredicate{})).
		Complete(r)
}

func (r *BuildInsight) Reconcile(ctx context.Context, req reconcile.Request) (reconcile.Result, error) {
	var b kpack.Build
	if err := r.c.client.Get(ctx, req.NamespacedName, &b); err != nil {
		if apierrors.IsNotFound(err) {
			r.forget(req)
		}
		return reconcile.Result{}, client404(err)
	}
	r.count(&b)
	if !b.IsFailure() || b.Annotations[insight.AnnotationStep] != "" {
		return reconcile.Result{}, nil
	}
	return reconcile.Result{}, r.explain(ctx, &b)
}

// forget drops a deleted Build from the metric bookkeeping.
func (r *BuildInsight) forget(req reconcile.Request) {
	r.mu.Lock()
	defer r.mu.Unlock()
	// UIDs are unknown once the Build is gone: keep the maps bounded by
	// clearing them when they grow large (a Build is counted once per
	// controller process either way).
	if len(r.counted) > 10000 {
		r.counted = map[types.UID]bool{}
		r.observed = map[types.UID]bool{}
	}
}

// count updates the build metrics once per Build made (and finished) while
// this process runs; Builds older than the process are not counted again
// after a restart.
func (r *BuildInsight) count(b *kpack.Build) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.counted[b.UID] {
		r.counted[b.UID] = true
		if !b.CreationTimestamp.Time.Before(r.c.started) {
			for _, reason := range reasons(b) {
				r.c.metrics.rebuilds.WithLabelValues(reason).Inc()
			}
		}
	}
	if done := finishedAt(b); !done.IsZero() && !r.observed[b.UID] {
		r.observed[b.UID] = true
		if !done.Before(r.c.started) {
			r.c.metrics.buildDuration.WithLabelValues(buildStatus(b)).Observe(done.Sub(b.CreationTimestamp.Time).Seconds())
		}
	}
}

// explain finds the failed step of a failed Build, records it on the Build
// and reports it on the Image.
func (r *BuildInsight) explain(ctx context.Context, b *kpack.Build) error {
	podName := b.PodName()
	var pod corev1.Pod
	err := r.c.reader.Get(ctx, types.NamespacedName{Namespace: b.Namespace, Name: podName}, &pod)
	var f insight.Failure
	ok := false
	switch {
	case apierrors.IsNotFound(err):
	case err != nil:
		return err
	default:
		f, ok = insight.FailedStep(&pod)
	}
	if !ok {
		f = insight.Failure{Step: insight.PodStep}
		if c := b.Status.GetCondition(corev1alpha1.ConditionSucceeded); c != nil {
			f.Reason = strings.TrimSpace(c.Reason + ": " + c.Message)
		}
	}
	excerpt := ""
	if f.Step != insight.PodStep {
		log, err := r.stepLog(ctx, b.Namespace, podName, f.Step)
		if err != nil {
			r.c.log.Warn("build insight: reading the step's log", "build", b.Namespace+"/"+b.Name, "step", f.Step, "error", err)
		}
		excerpt = insight.Excerpt(log, excerptLines, excerptBytes)
	}
	ann := map[string]string{
		insight.AnnotationStep:     f.Step,
		insight.AnnotationExitCode: strconv.Itoa(int(f.ExitCode)),
		insight.AnnotationReason:   truncate(f.Reason, 1000),
		insight.AnnotationExcerpt:  excerpt,
	}
	if err := r.c.annotate(ctx, b, ann); err != nil {
		return client404(err)
	}
	r.c.metrics.failures.WithLabelValues(f.Step).Inc()
	msg := fmt.Sprintf("build %s %s", b.Name, insight.Summary(f, excerpt))
	if tail := insight.Excerpt([]byte(excerpt), eventLines, eventBytes); strings.Contains(tail, "\n") {
		msg += "\n" + tail
	}
	if img := r.c.imageOfBuild(ctx, b); img != nil {
		r.c.event(img, true, "BuildFailed", "%s", msg)
	}
	r.c.event(b, true, "BuildFailed", "%s", msg)
	r.c.log.Info("build failed", "build", b.Namespace+"/"+b.Name, "step", f.Step, "exitCode", f.ExitCode, "last", insight.LastLine(excerpt))
	return nil
}

// stepLog reads the end of a build pod container's log.
func (r *BuildInsight) stepLog(ctx context.Context, namespace, pod, container string) ([]byte, error) {
	tail, limit := int64(logReadLines), int64(logReadMaxBytes)
	rc, err := r.c.clientset.CoreV1().Pods(namespace).GetLogs(pod, &corev1.PodLogOptions{Container: container, TailLines: &tail, LimitBytes: &limit}).Stream(ctx)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	return io.ReadAll(io.LimitReader(rc, limit))
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}

// client404 turns "not found" into nil: the object went away, nothing to do.
func client404(err error) error {
	if apierrors.IsNotFound(err) {
		return nil
	}
	return err
}
