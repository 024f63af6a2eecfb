package cluster

import (
	"sort"
	"strings"
	"time"

	kpack "github.com/pivotal/kpack/pkg/apis/build/v1alpha2"
	appsv1 "k8s.io/api/apps/v1"

	"github.com/goldenpath-dev/goldenpath/pipeline/insight"
)

// Rollout is how far a ClusterStack's newest run image has reached the
// applications built on it. Every time in it is read from the cluster
// (kpack Builds' completion and the controller's pin record on them,
// ReplicaSets' creation and the Deployments' rollout conditions), so it
// is the same after a restart of whoever reads it.
type Rollout struct {
	// Stack is the ClusterStack, RunImage its newest run image.
	Stack    string `json:"stack"`
	RunImage string `json:"runImage"`
	// Since is when the run image moved: the earliest of kpack's first
	// build on it and the ClusterStack's last status update.
	Since time.Time `json:"since"`
	// Apps counts the applications built on the stack; Built, Pinned and
	// Serving those with a successful build on the run image, with such a
	// build pinned, and serving it on every pod.
	Apps    int `json:"apps"`
	Built   int `json:"built"`
	Pinned  int `json:"pinned"`
	Serving int `json:"serving"`
	// Timeline has a point each time one of the counts changed, from
	// Since to the report's time.
	Timeline []RolloutPoint `json:"timeline"`
	// Behind are the applications not serving from it yet, with why.
	Behind []Behind `json:"behind"`
}

// RolloutPoint is the counts of a Rollout at a time.
type RolloutPoint struct {
	At      time.Time `json:"at"`
	Built   int       `json:"built"`
	Pinned  int       `json:"pinned"`
	Serving int       `json:"serving"`
}

// Behind is an application not serving from its stack's newest run image.
type Behind struct {
	Environment string `json:"environment"`
	Application string `json:"application"`
	State       string `json:"state"`
	Why         string `json:"why"`
}

// appProgress is when one application reached each step on a run image
// (zero: not yet).
type appProgress struct{ built, pinned, serving time.Time }

// rollouts reports a Rollout per ClusterStack the applications use, in
// name order.
func (s *snapshot) rollouts(apps []AppStatus, now time.Time) []Rollout {
	by := map[string]*Rollout{}
	var names []string
	for i := range apps {
		a := &apps[i]
		if a.Stack == "" || a.NewestRunImage == "" {
			continue
		}
		r := by[a.Stack]
		if r == nil {
			r = &Rollout{Stack: a.Stack, RunImage: a.NewestRunImage, Timeline: []RolloutPoint{}, Behind: []Behind{}}
			by[a.Stack] = r
			names = append(names, a.Stack)
		}
		r.Apps++
		if a.State != StatePatched {
			r.Behind = append(r.Behind, Behind{Environment: a.Environment, Application: a.Application, State: a.State, Why: a.Why})
		}
	}
	sort.Strings(names)
	out := make([]Rollout, 0, len(names))
	for _, name := range names {
		r := by[name]
		var progress []appProgress
		var firstBuild time.Time
		for i := range apps {
			a := &apps[i]
			if a.Stack != name {
				continue
			}
			p, created := s.progress(a)
			progress = append(progress, p)
			if !created.IsZero() && (firstBuild.IsZero() || created.Before(firstBuild)) {
				firstBuild = created
			}
		}
		r.Since = earliest(firstBuild, s.stackStatusTime(name), now)
		r.Timeline = timeline(r.Since, progress)
		if n := len(r.Timeline); n > 0 {
			last := r.Timeline[n-1]
			r.Built, r.Pinned, r.Serving = last.Built, last.Pinned, last.Serving
		}
		out = append(out, *r)
	}
	return out
}

// progress is when an application was first built on, pinned to and
// served from its stack's newest run image, and when kpack created its
// first build on it.
func (s *snapshot) progress(a *AppStatus) (appProgress, time.Time) {
	var p appProgress
	var created time.Time
	onNew := map[string]bool{} // digests built on the newest run image
	builds := s.builds[key(a.Namespace, a.Application)]
	for i := len(builds) - 1; i >= 0; i-- { // oldest first
		b := builds[i]
		if !isOn(b, a.NewestRunImage) {
			continue
		}
		if created.IsZero() {
			created = b.CreationTimestamp.Time
		}
		if !isSuccess(b) {
			continue
		}
		onNew[digestOf(b.Status.LatestImage)] = true
		if p.built.IsZero() {
			p.built = finished(b)
		}
		if t := pinnedAt(b); !t.IsZero() && b.Annotations[insight.AnnotationPinned] != "" && (p.pinned.IsZero() || t.Before(p.pinned)) {
			p.pinned = t
		}
	}
	if a.State == StatePatched {
		if d := s.deployments[key(a.Namespace, a.Application)]; d != nil {
			p.serving = s.servingSince(d, onNew)
		}
		if p.pinned.IsZero() { // pinned by hand, or the record is gone: the pin is as old as its rollout
			p.pinned = earliest(a.PinnedAt, p.serving)
		}
		if p.built.IsZero() {
			p.built = p.pinned
		}
	}
	return p, created
}

// servingSince is when the Deployment started serving an image of the
// set: its first such ReplicaSet's creation, or, when that is the current
// ReplicaSet and the rollout ended, the time the Deployment says it
// became available.
func (s *snapshot) servingSince(d *appsv1.Deployment, digests map[string]bool) time.Time {
	for _, rs := range s.replicaSets[d.UID] {
		img := appImage(&rs.Spec.Template.Spec)
		if _, dg, ok := strings.Cut(img, "@"); !ok || !digests[dg] {
			continue
		}
		t := rs.CreationTimestamp.Time
		for _, c := range d.Status.Conditions {
			if c.Type == appsv1.DeploymentProgressing && c.Reason == "NewReplicaSetAvailable" && strings.Contains(c.Message, `"`+rs.Name+`"`) && c.LastUpdateTime.After(t) {
				t = c.LastUpdateTime.Time
			}
		}
		return t
	}
	return time.Time{}
}

// stackStatusTime is the last time kpack wrote the ClusterStack's status
// (its managed fields), when it resolved the run image.
func (s *snapshot) stackStatusTime(name string) time.Time {
	cs := s.stacks[name]
	if cs == nil {
		return time.Time{}
	}
	var t time.Time
	for _, m := range cs.ManagedFields {
		if m.Subresource == "status" && m.Time != nil && m.Time.After(t) {
			t = m.Time.Time
		}
	}
	return t
}

// timeline turns each application's progress into counts over time, one
// point per change, from since on (earlier changes count at since).
func timeline(since time.Time, progress []appProgress) []RolloutPoint {
	type change struct {
		at   time.Time
		what int
	}
	var changes []change
	for _, p := range progress {
		for what, t := range []time.Time{p.built, p.pinned, p.serving} {
			if !t.IsZero() {
				if t.Before(since) {
					t = since
				}
				changes = append(changes, change{t.UTC(), what})
			}
		}
	}
	sort.SliceStable(changes, func(i, j int) bool { return changes[i].at.Before(changes[j].at) })
	points := []RolloutPoint{{At: since}}
	for _, c := range changes {
		last := points[len(points)-1]
		next := last
		next.At = c.at
		switch c.what {
		case 0:
			next.Built++
		case 1:
			next.Pinned++
		case 2:
			next.Serving++
		}
		if next.At.Equal(last.At) {
			points[len(points)-1] = next
		} else {
			points = append(points, next)
		}
	}
	return points
}

// earliest of the times that are set.
func earliest(ts ...time.Time) time.Time {
	var out time.Time
	for _, t := range ts {
		if !t.IsZero() && (out.IsZero() || t.Before(out)) {
			out = t.UTC()
		}
	}
	return out
}

// isOn says a build ran on the run image.
func isOn(b *kpack.Build, runImage string) bool {
	return b.Status.Stack.RunImage != "" && digestOf(b.Status.Stack.RunImage) == digestOf(runImage)
}
