package cluster

import (
	"net/url"
	"strconv"
	"strings"
	"time"

	kpack "github.com/pivotal/kpack/pkg/apis/build/v1alpha2"
	corev1alpha1 "github.com/pivotal/kpack/pkg/apis/core/v1alpha1"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/goldenpath-dev/goldenpath/pipeline/insight"
	"github.com/goldenpath-dev/goldenpath/render"
)

// appStatus joins what the cluster holds about one application: its kpack
// Image and Builds, its Deployment and ReplicaSets, its ClusterStack and
// its Argo CD Application.
func (s *snapshot) appStatus(env string, img *kpack.Image) AppStatus {
	st := AppStatus{Environment: env, Application: img.Name, Namespace: img.Namespace,
		ID: img.Labels[render.RequestIDLabel], Owner: img.Labels["goldenpath.io/owner"]}
	if g := img.Spec.Source.Git; g != nil {
		st.Source, st.Revision = withoutCredentials(g.URL), g.Revision
	}
	if img.Spec.Builder.Kind == kpack.ClusterBuilderKind {
		st.Builder = img.Spec.Builder.Name
		st.Stack = s.builderStack[st.Builder]
		st.NewestRunImage = s.stackRun[st.Stack]
	}
	builds := s.builds[key(img.Namespace, img.Name)]
	var lastSuccess *kpack.Build
	for i, b := range builds {
		if i == 0 {
			st.LatestBuild = describe(b)
		}
		if isSuccess(b) {
			lastSuccess = b
			if i > 0 {
				st.LastSuccess = describe(b)
			}
			st.RunImage = b.Status.Stack.RunImage
			break
		}
	}
	st.RunImageCurrent = st.RunImage != "" && st.NewestRunImage != "" && digestOf(st.RunImage) == digestOf(st.NewestRunImage)

	d := s.deployments[key(img.Namespace, img.Name)]
	var serving *kpack.Build
	if d != nil {
		st.Deployed = appImage(&d.Spec.Template.Spec)
		if _, dg, ok := strings.Cut(st.Deployed, "@"); ok {
			st.Pinned = dg
		}
		st.Replicas, st.Ready, st.RolledOut = rollout(d)
		st.WaitingFor = waitingFor(d, st.Pinned)
		if st.Pinned != "" {
			serving = buildOfDigest(builds, st.Pinned)
			if serving != nil {
				st.PinnedBuild = number(serving)
				st.ServingRunImage = serving.Status.Stack.RunImage
				st.PinnedAt = pinnedAt(serving)
			}
			if st.PinnedAt.IsZero() {
				st.PinnedAt = s.firstReplicaSetWith(d, st.Pinned)
			}
		}
	}
	verdict := serving
	if verdict == nil {
		verdict = lastSuccess
	}
	st.Signed, st.Provenance = "unknown", "unknown"
	if verdict != nil {
		st.Signed, st.Provenance = s.verdict(verdict)
	}
	st.Argo = argoStatus(s.argo[key(env, img.Name)])
	st.State, st.Why = s.runImageState(&st, builds)
	return st
}

// withoutCredentials drops a user:password a git URL should never hold.
func withoutCredentials(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.User == nil {
		return raw
	}
	u.User = nil
	return u.String()
}

// appImage is the image of the container named app.
func appImage(pod *corev1.PodSpec) string {
	for _, c := range pod.Containers {
		if c.Name == "app" {
			return c.Image
		}
	}
	return ""
}

// rollout counts a Deployment's pods and says whether every one runs its
// current template.
func rollout(d *appsv1.Deployment) (replicas, ready int32, done bool) {
	replicas = 1
	if d.Spec.Replicas != nil {
		replicas = *d.Spec.Replicas
	}
	st := d.Status
	done = st.ObservedGeneration >= d.Generation && st.UpdatedReplicas == replicas && st.Replicas == replicas && st.AvailableReplicas >= replicas
	return replicas, st.ReadyReplicas, done
}

// maxWaitingFor bounds the annotation's text Status reports (render writes
// about 250 bytes; an annotation may hold up to 256 KiB).
const maxWaitingFor = 1024

// waitingFor is why an unpinned Deployment runs no pod: render's verify
// gate annotation (render.WaitingForPinAnnotation), "" when the Deployment
// is pinned (a pin opens the gate: a stale annotation beside a digest is
// not believed) or has none.
func waitingFor(d *appsv1.Deployment, pinned string) string {
	why, ok := d.Annotations[render.WaitingForPinAnnotation]
	if !ok || pinned != "" {
		return ""
	}
	why = strings.TrimSpace(why)
	if why == "" {
		why = "waiting for the first verified pin"
	}
	if len(why) > maxWaitingFor {
		why = strings.ToValidUTF8(why[:maxWaitingFor], "") + "…"
	}
	return why
}

// buildOfDigest is the build whose image has the digest.
func buildOfDigest(builds []*kpack.Build, digest string) *kpack.Build {
	for _, b := range builds {
		if b.Status.LatestImage != "" && digestOf(b.Status.LatestImage) == digest {
			return b
		}
	}
	return nil
}

func pinnedAt(b *kpack.Build) time.Time {
	t, _ := time.Parse(time.RFC3339, b.Annotations[insight.AnnotationPinnedAt])
	return t
}

// firstReplicaSetWith is when the Deployment's first (surviving)
// ReplicaSet running the digest was created.
func (s *snapshot) firstReplicaSetWith(d *appsv1.Deployment, digest string) time.Time {
	for _, rs := range s.replicaSets[d.UID] {
		if strings.HasSuffix(appImage(&rs.Spec.Template.Spec), "@"+digest) {
			return rs.CreationTimestamp.UTC()
		}
	}
	return time.Time{}
}

// verdict is the verify gate's record on a build: signed, and provenance
// (the controller checks it only when the platform requires it, and only
// after the signature verified).
func (s *snapshot) verdict(b *kpack.Build) (signed, provenance string) {
	ann := b.Annotations
	required := s.platform.Controller.RequireProvenance
	switch ann[insight.AnnotationVerified] {
	case "true":
		if required {
			return "yes", "yes"
		}
		return "yes", "not required"
	case "false":
		if strings.Contains(ann[insight.AnnotationRefused], "provenance") {
			return "yes", "no"
		}
		if required {
			return "no", "unknown"
		}
		return "no", "not required"
	}
	if !required {
		return "unknown", "not required"
	}
	return "unknown", "unknown"
}

// describe reads what kpack and the controller recorded on a Build.
func describe(b *kpack.Build) *Build {
	ann := b.Annotations
	out := &Build{
		Name:          b.Name,
		Number:        number(b),
		Result:        "running",
		Image:         b.Status.LatestImage,
		RunImage:      b.Status.Stack.RunImage,
		Created:       b.CreationTimestamp.UTC(),
		FailedStep:    ann[insight.AnnotationStep],
		FailureReason: ann[insight.AnnotationReason],
		Excerpt:       ann[insight.AnnotationExcerpt],
		Signed:        "unknown",
		Refused:       ann[insight.AnnotationRefused],
		Pinned:        ann[insight.AnnotationPinned],
		PinnedAt:      pinnedAt(b),
		Superseded:    ann[insight.AnnotationSuperseded],
	}
	out.ExitCode, _ = strconv.Atoi(ann[insight.AnnotationExitCode])
	for _, r := range strings.Split(ann[kpack.BuildReasonAnnotation], ",") {
		if r = strings.TrimSpace(r); r != "" {
			out.Reason = append(out.Reason, r)
		}
	}
	if g := b.Spec.Source.Git; g != nil {
		out.Revision = g.Revision
	}
	switch ann[insight.AnnotationVerified] {
	case "true":
		out.Signed = "yes"
	case "false":
		out.Signed = "no"
	}
	if c := succeeded(b); c != nil {
		switch c.Status {
		case corev1.ConditionTrue:
			out.Result = "succeeded"
		case corev1.ConditionFalse:
			out.Result = "failed"
			if out.FailureReason == "" {
				out.FailureReason = strings.TrimSpace(c.Reason + " " + c.Message)
			}
		}
		out.Finished = finished(b)
	}
	return out
}

// succeeded is the build's Succeeded condition (nil while kpack has not
// set it).
func succeeded(b *kpack.Build) *corev1alpha1.Condition {
	for i := range b.Status.Conditions {
		if b.Status.Conditions[i].Type == corev1alpha1.ConditionSucceeded {
			return &b.Status.Conditions[i]
		}
	}
	return nil
}

// finished is when the build ended (zero while it runs).
func finished(b *kpack.Build) time.Time {
	if c := succeeded(b); c != nil && c.Status != corev1.ConditionUnknown {
		return c.LastTransitionTime.Inner.UTC()
	}
	return time.Time{}
}

// argoStatus reads an Application's sync and health.
func argoStatus(a *unstructured.Unstructured) *ArgoStatus {
	if a == nil {
		return nil
	}
	str := func(fields ...string) string {
		v, _, _ := unstructured.NestedString(a.Object, fields...)
		return v
	}
	out := &ArgoStatus{
		Application: a.GetName(),
		Sync:        str("status", "sync", "status"),
		Health:      str("status", "health", "status"),
		Revision:    str("status", "sync", "revision"),
		Operation:   str("status", "operationState", "phase"),
	}
	if out.Operation != "" && out.Operation != "Succeeded" {
		out.Message = str("status", "operationState", "message")
	}
	if out.Sync == "" {
		out.Sync = "Unknown"
	}
	if out.Health == "" {
		out.Health = "Unknown"
	}
	return out
}

func digestOf(ref string) string {
	if _, d, ok := strings.Cut(ref, "@"); ok {
		return d
	}
	return ref
}

// isSuccess says the build succeeded.
func isSuccess(b *kpack.Build) bool {
	c := succeeded(b)
	return c != nil && c.Status == corev1.ConditionTrue
}
