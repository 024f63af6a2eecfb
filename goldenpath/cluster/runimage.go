package cluster

import (
	"fmt"
	"strings"

	kpack "github.com/pivotal/kpack/pkg/apis/build/v1alpha2"

	"github.com/goldenpath-dev/goldenpath/pipeline/insight"
)

// runImageState says where an application stands against the newest run
// image of its ClusterStack, and why:
//
//   - patched: the pinned image's build ran on the newest run image and
//     every pod runs it;
//   - rebase pending: not yet, nothing blocks it (a build on it runs,
//     awaits the verify gate or the pin, the pin awaits Argo CD's sync or
//     the rollout, or kpack has not started a build on it yet);
//   - rebuild needed: kpack cannot get there by itself: the build on the
//     newest run image was refused by the verify gate, or the latest build
//     failed (a rebase starts from a successful build);
//   - unknown: no newest run image (ClusterBuilder or ClusterStack missing
//     or not ready), or nothing built yet.
func (s *snapshot) runImageState(st *AppStatus, builds []*kpack.Build) (string, string) {
	latest := st.LatestBuild
	newest := st.NewestRunImage
	switch {
	case st.Builder == "":
		return StateUnknown, "not built by a ClusterBuilder"
	case st.Stack == "":
		return StateUnknown, fmt.Sprintf("ClusterBuilder %s not found", st.Builder)
	case newest == "":
		return StateUnknown, fmt.Sprintf("ClusterStack %s has not resolved a run image", st.Stack)
	case len(builds) == 0:
		return StateUnknown, "kpack has not built it yet"
	}
	argo := ""
	if a := st.Argo; a != nil {
		argo = fmt.Sprintf(" (Argo CD: %s, %s)", a.Sync, a.Health)
	}
	if st.ServingRunImage != "" && digestOf(st.ServingRunImage) == digestOf(newest) {
		if st.RolledOut {
			return StatePatched, ""
		}
		return StateRebasePending, fmt.Sprintf("build %d is pinned, rollout in progress: %d of %d pods ready%s", st.PinnedBuild, st.Ready, st.Replicas, argo)
	}
	var onNew *kpack.Build
	for _, b := range builds {
		if isSuccess(b) && isOn(b, newest) {
			onNew = b
			break
		}
	}
	if onNew != nil {
		n, ann := number(onNew), onNew.Annotations
		switch {
		case ann[insight.AnnotationRefused] != "":
			return StateRebuildNeeded, fmt.Sprintf("build %d on the newest run image was refused: %s", n, ann[insight.AnnotationRefused])
		case ann[insight.AnnotationPinned] != "":
			return StateRebasePending, fmt.Sprintf("build %d on the newest run image is pinned (%s), waiting for the rollout%s", n, shortCommit(ann[insight.AnnotationPinned]), argo)
		case st.Pinned == "":
			return StateRebasePending, fmt.Sprintf("build %d is on the newest run image; the Deployment runs a tag, not pinned yet", n)
		}
		return StateRebasePending, fmt.Sprintf("build %d is on the newest run image, awaiting the verify gate and the pin", n)
	}
	switch latest.Result {
	case "running":
		return StateRebasePending, fmt.Sprintf("build %d (%s) is running", latest.Number, strings.Join(latest.Reason, ","))
	case "failed":
		return StateRebuildNeeded, failedWhy(latest)
	}
	return StateRebasePending, "kpack has not started a build on the newest run image yet"
}

// failedWhy says which build failed where.
func failedWhy(b *Build) string {
	var w strings.Builder
	fmt.Fprintf(&w, "build %d failed", b.Number)
	if b.FailedStep != "" {
		fmt.Fprintf(&w, " in step %s", b.FailedStep)
		if b.ExitCode != 0 {
			fmt.Fprintf(&w, " (exit %d)", b.ExitCode)
		}
	} else if b.FailureReason != "" {
		fmt.Fprintf(&w, ": %s", b.FailureReason)
	}
	w.WriteString("; fix the source and push")
	return w.String()
}

// shortCommit shortens a commit hash (and "unchanged@<hash>").
func shortCommit(c string) string {
	prefix, h, ok := strings.Cut(c, "@")
	if !ok {
		h, prefix = c, ""
	}
	if len(h) > 10 {
		h = h[:10]
	}
	if prefix != "" {
		return prefix + "@" + h
	}
	return h
}
