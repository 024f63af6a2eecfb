package cluster

import (
	"testing"
	"time"

	kpack "github.com/pivotal/kpack/pkg/apis/build/v1alpha2"
	corev1alpha1 "github.com/pivotal/kpack/pkg/apis/core/v1alpha1"
	"github.com/stretchr/testify/assert"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/goldenpath-dev/goldenpath/pipeline/insight"
)

// describe reads back what kpack and the controller recorded on a Build.
func TestDescribeBuild(t *testing.T) {
	done := metav1.NewTime(time.Date(2026, 11, 29, 7, 0, 0, 0, time.UTC))
	b := &kpack.Build{ObjectMeta: metav1.ObjectMeta{
		Name:   "app-build-4",
		Labels: map[string]string{kpack.BuildNumberLabel: "4"},
		Annotations: map[string]string{
			kpack.BuildReasonAnnotation: "COMMIT,STACK",
			insight.AnnotationStep:      "build", insight.AnnotationExitCode: "51",
			insight.AnnotationExcerpt:  "./main.go:18:6: undefined: brokenOnPurpose",
			insight.AnnotationVerified: "false", insight.AnnotationRefused: "unsigned: not signed",
		},
	}}
	b.Status.Conditions = corev1alpha1.Conditions{{Type: corev1alpha1.ConditionSucceeded, Status: corev1.ConditionFalse,
		Reason: "PodFailed", LastTransitionTime: corev1alpha1.VolatileTime{Inner: done}}}
	got := describe(b)
	assert.Equal(t, int64(4), got.Number)
	assert.Equal(t, []string{"COMMIT", "STACK"}, got.Reason)
	assert.Equal(t, "failed", got.Result)
	assert.Equal(t, "build", got.FailedStep)
	assert.Equal(t, 51, got.ExitCode)
	assert.Equal(t, "no", got.Signed)
	assert.Equal(t, "PodFailed", got.FailureReason)
	assert.Equal(t, done.Time, got.Finished.UTC())

	running := describe(&kpack.Build{})
	assert.Equal(t, "running", running.Result)
	assert.Equal(t, "unknown", running.Signed)
	assert.True(t, running.Finished.IsZero())

	assert.Equal(t, "sha256:ab", digestOf("r.example/a@sha256:ab"))
	assert.Equal(t, "sha256:ab", digestOf("sha256:ab"))
}
