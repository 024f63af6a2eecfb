// Package insight explains failed kpack builds: which step of the build pod
// failed (the first container, in step order, that ended with a non-zero
// exit or could not start) and the end of that step's log, and the
// annotations goldenpath's controller records them in on the kpack Build
// (which `goldenpath status` reads back).
//
// kpack itself leaves the Build's condition message empty for lifecycle
// steps (only its completion container falls back to its log as the
// termination message): kpack issues #253 and #431.
package insight

import (
	"bytes"
	"fmt"
	"regexp"
	"strings"
	"unicode/utf8"

	corev1 "k8s.io/api/core/v1"
)

// Annotations goldenpath's controller writes on kpack Builds: the record of
// what it found and did, read back by `goldenpath status`. They live and go
// with the Build (kpack keeps the last few per Image).
const (
	// AnnotationStep is the failed step (prepare, analyze, detect, restore,
	// build, export; rebase or completion) or "pod" when the pod failed
	// before any step ran.
	AnnotationStep = "goldenpath.io/failed-step"
	// AnnotationExitCode is the failed step's exit code.
	AnnotationExitCode = "goldenpath.io/failed-exit-code"
	// AnnotationReason is the pod's or container's reason and message.
	AnnotationReason = "goldenpath.io/failure-reason"
	// AnnotationExcerpt holds the last lines of the failed step's log.
	AnnotationExcerpt = "goldenpath.io/failure-excerpt"
	// AnnotationVerified is "true" when the build's image verified with the
	// platform's public key, "false" when it did not.
	AnnotationVerified = "goldenpath.io/verified"
	// AnnotationRefused says why the verify gate refused the image.
	AnnotationRefused = "goldenpath.io/refused"
	// AnnotationPinned is the GitOps commit that pinned the build's image
	// ("unchanged" when git already held the pin).
	AnnotationPinned = "goldenpath.io/pinned"
	// AnnotationPinnedAt is when the pin was pushed (RFC 3339).
	AnnotationPinnedAt = "goldenpath.io/pinned-at"
	// AnnotationSuperseded: a newer build of the Image was pinned first, so
	// this one never will be.
	AnnotationSuperseded = "goldenpath.io/superseded"
)

// Steps are the containers of kpack build pods in the order they run: a
// build pod runs prepare to export, then completion; a rebase pod runs
// rebase, then completion.
var Steps = []string{"prepare", "analyze", "detect", "restore", "build", "export", "rebase", "completion"}

// PodStep is the step reported when the pod failed before any step ran
// (not scheduled, evicted, an image that cannot be pulled...).
const PodStep = "pod"

// Failure is why a build pod failed.
type Failure struct {
	// Step is the failed step (a kpack container name) or PodStep.
	Step string `json:"step"`
	// ExitCode of the step's container (0 when it did not run).
	ExitCode int32 `json:"exitCode,omitempty"`
	// Reason is the container's or pod's reason and message, such as
	// "Error" or "ErrImagePull: ...".
	Reason string `json:"reason,omitempty"`
}

// FailedStep finds the step that failed: the first container in the pod
// spec's order (init containers, then containers) whose status, in either
// status list (kpack runs the steps as normal containers when sidecars are
// injected), shows a non-zero exit, else the first that is stuck waiting for
// a reason other than PodInitializing/ContainerCreating. ok is false when
// no step failed (the pod is fine, or still running).
func FailedStep(pod *corev1.Pod) (f Failure, ok bool) {
	if pod == nil {
		return Failure{}, false
	}
	statuses := map[string]corev1.ContainerStatus{}
	for _, list := range [][]corev1.ContainerStatus{pod.Status.InitContainerStatuses, pod.Status.ContainerStatuses} {
		for _, s := range list {
			statuses[s.Name] = s
		}
	}
	var order []string
	for _, c := range pod.Spec.InitContainers {
		order = append(order, c.Name)
	}
	for _, c := range pod.Spec.Containers {
		order = append(order, c.Name)
	}
	for _, name := range order {
		s := statuses[name]
		if t := s.State.Terminated; t != nil && t.ExitCode != 0 {
			return Failure{Step: name, ExitCode: t.ExitCode, Reason: joinReason(t.Reason, t.Message)}, true
		}
		if t := s.LastTerminationState.Terminated; t != nil && t.ExitCode != 0 && s.State.Running == nil {
			return Failure{Step: name, ExitCode: t.ExitCode, Reason: joinReason(t.Reason, t.Message)}, true
		}
	}
	for _, name := range order {
		s := statuses[name]
		if w := s.State.Waiting; w != nil && w.Reason != "" && w.Reason != "PodInitializing" && w.Reason != "ContainerCreating" {
			return Failure{Step: name, Reason: joinReason(w.Reason, w.Message)}, true
		}
	}
	if pod.Status.Phase == corev1.PodFailed {
		return Failure{Step: PodStep, Reason: joinReason(pod.Status.Reason, pod.Status.Message)}, true
	}
	for _, c := range pod.Status.Conditions {
		if c.Type == corev1.PodScheduled && c.Status == corev1.ConditionFalse && c.Reason == corev1.PodReasonUnschedulable {
			return Failure{Step: PodStep, Reason: joinReason(c.Reason, c.Message)}, true
		}
	}
	return Failure{}, false
}

func joinReason(reason, message string) string {
	message = strings.TrimSpace(message)
	switch {
	case reason == "":
		return message
	case message == "":
		return reason
	}
	return reason + ": " + message
}

var ansi = regexp.MustCompile(`\x1b\[[0-9;?]*[ -/]*[@-~]`)

// Excerpt is the end of a log: its last lines (at most lines of them and
// maxBytes bytes, cut at a line start when possible), terminal colour codes
// and other control characters removed, valid UTF-8.
func Excerpt(log []byte, lines, maxBytes int) string {
	log = ansi.ReplaceAll(log, nil)
	log = bytes.ToValidUTF8(log, []byte("\uFFFD"))
	all := strings.Split(strings.TrimRight(string(log), "\n"), "\n")
	if len(all) > lines {
		all = all[len(all)-lines:]
	}
	for i, l := range all {
		all[i] = strings.Map(func(r rune) rune {
			if r == '\t' || r >= ' ' && r != 0x7f {
				return r
			}
			return -1
		}, strings.TrimRight(l, "\r"))
	}
	out := strings.Join(all, "\n")
	for len(out) > maxBytes {
		if i := strings.IndexByte(out, '\n'); i >= 0 {
			out = out[i+1:] // drop whole lines first
			continue
		}
		// a single line longer than maxBytes: keep its end
		cut := len(out) - maxBytes
		for cut < len(out) && !utf8.RuneStart(out[cut]) {
			cut++
		}
		out = out[cut:]
	}
	return out
}

// Summary is one line for an Event or a table: the step, its exit code
// and the excerpt's last non-empty line.
func Summary(f Failure, excerpt string) string {
	s := "failed in step " + f.Step
	if f.ExitCode != 0 {
		s += fmt.Sprintf(" (exit %d)", f.ExitCode)
	}
	if last := LastLine(excerpt); last != "" {
		s += ": " + last
	} else if f.Reason != "" {
		s += ": " + f.Reason
	}
	return s
}

// LastLine is the last non-empty line of text.
func LastLine(text string) string {
	lines := strings.Split(strings.TrimSpace(text), "\n")
	for i := len(lines) - 1; i >= 0; i-- {
		if l := strings.TrimSpace(lines[i]); l != "" {
			return l
		}
	}
	return ""
}
