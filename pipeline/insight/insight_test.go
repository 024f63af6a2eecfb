package insight

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
)

// buildPod is a kpack build pod's spec (steps as init containers, then
// completion) with the given statuses.
func buildPod(init []corev1.ContainerStatus, containers []corev1.ContainerStatus, phase corev1.PodPhase) *corev1.Pod {
	p := &corev1.Pod{}
	for _, n := range []string{"prepare", "analyze", "detect", "restore", "build", "export"} {
		p.Spec.InitContainers = append(p.Spec.InitContainers, corev1.Container{Name: n})
	}
	p.Spec.Containers = []corev1.Container{{Name: "completion"}}
	p.Status.InitContainerStatuses = init
	p.Status.ContainerStatuses = containers
	p.Status.Phase = phase
	return p
}

func done(name string, code int32) corev1.ContainerStatus {
	return corev1.ContainerStatus{Name: name, State: corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{ExitCode: code, Reason: map[bool]string{true: "Completed", false: "Error"}[code == 0]}}}
}

func waiting(name, reason, msg string) corev1.ContainerStatus {
	return corev1.ContainerStatus{Name: name, State: corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: reason, Message: msg}}}
}

func TestFailedStep(t *testing.T) {
	for _, tc := range []struct {
		name string
		pod  *corev1.Pod
		want Failure
		ok   bool
	}{
		{"build step", buildPod([]corev1.ContainerStatus{done("prepare", 0), done("analyze", 0), done("detect", 0), done("restore", 0), done("build", 1), waiting("export", "PodInitializing", "")},
			[]corev1.ContainerStatus{waiting("completion", "PodInitializing", "")}, corev1.PodFailed), Failure{Step: "build", ExitCode: 1, Reason: "Error"}, true},
		{"detect step", buildPod([]corev1.ContainerStatus{done("prepare", 0), done("analyze", 0), done("detect", 20)}, nil, corev1.PodFailed),
			Failure{Step: "detect", ExitCode: 20, Reason: "Error"}, true},
		{"completion (signing) step", buildPod([]corev1.ContainerStatus{done("prepare", 0), done("analyze", 0), done("detect", 0), done("restore", 0), done("build", 0), done("export", 0)},
			[]corev1.ContainerStatus{{Name: "completion", State: corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{ExitCode: 1, Reason: "Error", Message: "failed to sign: no such key"}}}}, corev1.PodFailed),
			Failure{Step: "completion", ExitCode: 1, Reason: "Error: failed to sign: no such key"}, true},
		// With INJECTED_SIDECAR_SUPPORT every step is a normal container:
		// the statuses are all in containerStatuses.
		{"steps as containers", func() *corev1.Pod {
			p := buildPod(nil, []corev1.ContainerStatus{done("completion", 0), done("export", 0), done("build", 0), done("restore", 3), done("detect", 0)}, corev1.PodFailed)
			p.Spec.Containers = append(p.Spec.InitContainers, p.Spec.Containers...)
			p.Spec.InitContainers = nil
			return p
		}(), Failure{Step: "restore", ExitCode: 3, Reason: "Error"}, true},
		{"image pull", buildPod([]corev1.ContainerStatus{waiting("prepare", "ErrImagePull", "pull access denied")}, nil, corev1.PodPending),
			Failure{Step: "prepare", Reason: "ErrImagePull: pull access denied"}, true},
		{"evicted", func() *corev1.Pod {
			p := buildPod([]corev1.ContainerStatus{done("prepare", 0)}, nil, corev1.PodFailed)
			p.Status.Reason, p.Status.Message = "Evicted", "The node was low on resource: ephemeral-storage."
			return p
		}(), Failure{Step: PodStep, Reason: "Evicted: The node was low on resource: ephemeral-storage."}, true},
		{"unschedulable", func() *corev1.Pod {
			p := buildPod(nil, nil, corev1.PodPending)
			p.Status.Conditions = []corev1.PodCondition{{Type: corev1.PodScheduled, Status: corev1.ConditionFalse, Reason: "Unschedulable", Message: "0/1 nodes are available"}}
			return p
		}(), Failure{Step: PodStep, Reason: "Unschedulable: 0/1 nodes are available"}, true},
		{"running", buildPod([]corev1.ContainerStatus{done("prepare", 0), {Name: "analyze", State: corev1.ContainerState{Running: &corev1.ContainerStateRunning{}}}}, nil, corev1.PodPending), Failure{}, false},
		{"succeeded", buildPod([]corev1.ContainerStatus{done("prepare", 0), done("build", 0)}, []corev1.ContainerStatus{done("completion", 0)}, corev1.PodSucceeded), Failure{}, false},
		{"nil", nil, Failure{}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := FailedStep(tc.pod)
			assert.Equal(t, tc.ok, ok)
			assert.Equal(t, tc.want, got)
		})
	}
}

// Pods recorded from the kind cluster's kpack (kubectl get pod -o json of
// failed builds), when present in testdata.
func TestFailedStepRecorded(t *testing.T) {
	files, err := filepath.Glob("testdata/*.pod.json")
	require.NoError(t, err)
	for _, f := range files {
		data, err := os.ReadFile(f)
		require.NoError(t, err)
		var p corev1.Pod
		require.NoError(t, json.Unmarshal(data, &p))
		want := strings.SplitN(filepath.Base(f), ".", 2)[0] // <step>.pod.json or <step>-<what>.pod.json
		want = strings.SplitN(want, "-", 2)[0]
		got, ok := FailedStep(&p)
		assert.True(t, ok, f)
		assert.Equal(t, want, got.Step, f)
	}
}

func TestExcerpt(t *testing.T) {
	log := "\x1b[33m===> BUILD\x1b[0m\nline 1\nline 2\r\n# example.com/app\n./main.go:9:2: undefined: fmt.Printl\x07n\nERROR: failed to build: exit status 1\n"
	assert.Equal(t, "# example.com/app\n./main.go:9:2: undefined: fmt.Println\nERROR: failed to build: exit status 1", Excerpt([]byte(log), 3, 4096))
	assert.Equal(t, "ERROR: failed to build: exit status 1", Excerpt([]byte(log), 10, 40))
	long := strings.Repeat("é", 100)
	got := Excerpt([]byte(long), 5, 51)
	assert.True(t, utf8.ValidString(got))
	assert.LessOrEqual(t, len(got), 51)
	assert.Equal(t, "\uFFFDok", Excerpt([]byte{0xff, 'o', 'k'}, 5, 100))
	assert.Equal(t, "failed in step build (exit 1): ERROR: failed to build: exit status 1", Summary(Failure{Step: "build", ExitCode: 1}, Excerpt([]byte(log), 3, 4096)))
	assert.Equal(t, "failed in step pod: Evicted", Summary(Failure{Step: PodStep, Reason: "Evicted"}, ""))
}
