package cluster

import (
	"context"
	"fmt"
	"strings"
	"time"

	kpack "github.com/pivotal/kpack/pkg/apis/build/v1alpha2"
	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/goldenpath-dev/goldenpath/contract"
	"github.com/goldenpath-dev/goldenpath/pipeline/kube"
)

// KubeConfig loads a client configuration: the kubeconfig file when path
// is not empty, else the in-cluster service account when running in a pod,
// else $KUBECONFIG or ~/.kube/config (what kubectl uses).
func KubeConfig(path string) (*rest.Config, error) { return kube.KubeConfig(path) }

// StatusRequest says which applications to report, and how to read the
// cluster.
type StatusRequest struct {
	// Platform names the environments (their namespaces), the builders and
	// Argo CD's namespace. Required.
	Platform *contract.Platform
	// Apps are application names; none means every application.
	Apps []string
	// Kube reaches the cluster. Required unless Reader is set.
	Kube *rest.Config
	// Reader, when set, is read instead of a client made from Kube: the
	// controller passes its informer cache, tests a fake client. It must
	// know Kubernetes' and kpack's types (Scheme); Argo CD Applications
	// are read as unstructured objects.
	Reader client.Reader
	// Now is the time the report is made at. Default time.Now.
	Now func() time.Time
}

// Fleet is the platform at a glance: every application in every
// environment, and the roll-out of each ClusterStack's newest run image.
// It is what `goldenpath status -o json` prints and the status page's JSON
// API serves.
type Fleet struct {
	// Platform is the platform's name.
	Platform string `json:"platform"`
	// Generated is when the cluster was read.
	Generated time.Time `json:"generated"`
	// Environments lists the platform's environments in promotion order.
	Environments []string    `json:"environments"`
	Apps         []AppStatus `json:"apps"`
	Rollouts     []Rollout   `json:"rollouts"`
	// Warnings say what could not be read (an Argo CD the reader may not
	// list, a missing ClusterBuilder): the rest is still reported.
	Warnings []string `json:"warnings,omitempty"`
}

// The states of an application's run image, relative to the newest run
// image of its builder's ClusterStack (AppStatus.State).
const (
	// StatePatched: the image it serves was built on the newest run image.
	StatePatched = "patched"
	// StateRebasePending: not yet, and nothing blocks it: kpack's build on
	// the newest run image is running or has not started, or the built
	// image awaits the verify gate, the pin or the rollout.
	StateRebasePending = "rebase pending"
	// StateRebuildNeeded: not patched, and kpack cannot get there by
	// itself: the latest build failed (fix the source), or the build on
	// the newest run image was refused by the verify gate.
	StateRebuildNeeded = "rebuild needed"
	// StateUnknown: the builder's ClusterStack has no run image (missing,
	// not ready), or nothing was built yet.
	StateUnknown = "unknown"
)

// AppStatus is one application in one environment.
type AppStatus struct {
	Environment string `json:"environment"`
	Application string `json:"application"`
	Namespace   string `json:"namespace"`
	// ID and Owner are the contract's (labels on the kpack Image).
	ID    string `json:"id,omitempty"`
	Owner string `json:"owner,omitempty"`
	// Source is the contract's git repository (without credentials) and
	// the branch or revision kpack follows.
	Source   string `json:"source,omitempty"`
	Revision string `json:"revision,omitempty"`
	// Builder is the ClusterBuilder and Stack its ClusterStack.
	Builder string `json:"builder,omitempty"`
	Stack   string `json:"stack,omitempty"`
	// Deployed is the image the application's Deployment runs ("" when
	// it has none yet).
	Deployed string `json:"deployed"`
	// Pinned is the digest the Deployment is pinned to ("" when it runs a
	// tag, before its first pin), PinnedAt when that pin was made (the
	// controller's record on the Build, else when the Deployment's first
	// ReplicaSet with that digest was created).
	Pinned   string    `json:"pinned"`
	PinnedAt time.Time `json:"pinnedAt,omitzero"`
	// PinnedBuild is the kpack build whose image is pinned (0: unknown,
	// kpack's history no longer holds it).
	PinnedBuild int64 `json:"pinnedBuild,omitempty"`
	// Replicas and Ready count the Deployment's pods; RolledOut says every
	// pod runs the Deployment's current template.
	Replicas  int32 `json:"replicas"`
	Ready     int32 `json:"ready"`
	RolledOut bool  `json:"rolledOut"`
	// WaitingFor, on an unpinned application under a platform whose
	// controller verifies signatures, says why its Deployment runs no pod:
	// it waits for its first verified pin (render's verify gate: replicas
	// 0 and the goldenpath.io/waiting-for annotation, which this holds).
	// "" when the Deployment is pinned or not gated.
	WaitingFor string `json:"waitingFor,omitempty"`
	// LatestBuild is kpack's latest build of the application (nil before
	// the first).
	LatestBuild *Build `json:"latestBuild,omitempty"`
	// LastSuccess is the latest successful build, when it is not the
	// latest build.
	LastSuccess *Build `json:"lastSuccess,omitempty"`
	// RunImage is the run image the latest successful build runs on.
	RunImage string `json:"runImage,omitempty"`
	// ServingRunImage is the run image of the pinned image's build (""
	// when unknown).
	ServingRunImage string `json:"servingRunImage,omitempty"`
	// NewestRunImage is the run image the builder's ClusterStack has now.
	NewestRunImage string `json:"newestRunImage,omitempty"`
	// RunImageCurrent: RunImage is NewestRunImage.
	RunImageCurrent bool `json:"runImageCurrent"`
	// State is StatePatched, StateRebasePending, StateRebuildNeeded or
	// StateUnknown; Why says what it waits for or what blocks it.
	State string `json:"state"`
	Why   string `json:"why,omitempty"`
	// Signed and Provenance are the verify gate's verdict on the image it
	// serves (else the latest successful build): yes, no or unknown; for
	// Provenance also "not required" (the platform does not ask for it).
	Signed     string `json:"signed"`
	Provenance string `json:"provenance"`
	// Argo is the Argo CD Application's sync and health (nil when there
	// is none or it could not be read).
	Argo *ArgoStatus `json:"argo,omitempty"`
}

// Build is a kpack build as goldenpath reports it.
type Build struct {
	Name   string   `json:"name"`
	Number int64    `json:"number"`
	Reason []string `json:"reasons"`
	// Revision is the source commit built.
	Revision string `json:"revision,omitempty"`
	// Result is succeeded, failed or running.
	Result   string    `json:"result"`
	Image    string    `json:"image,omitempty"`
	RunImage string    `json:"runImage,omitempty"`
	Created  time.Time `json:"created"`
	Finished time.Time `json:"finished,omitzero"`
	// FailedStep, ExitCode, FailureReason and Excerpt explain a failed
	// build (the controller's build insight).
	FailedStep    string `json:"failedStep,omitempty"`
	ExitCode      int    `json:"exitCode,omitempty"`
	FailureReason string `json:"failureReason,omitempty"`
	Excerpt       string `json:"excerpt,omitempty"`
	// Signed is yes (verified with the platform's key), no (refused) or
	// unknown (not checked: no public key, or not promoted yet).
	Signed  string `json:"signed"`
	Refused string `json:"refused,omitempty"`
	// Pinned is the GitOps commit that pinned the build's image, PinnedAt
	// when.
	Pinned   string    `json:"pinned,omitempty"`
	PinnedAt time.Time `json:"pinnedAt,omitzero"`
	// Superseded says a newer build was pinned first.
	Superseded string `json:"superseded,omitempty"`
}

// ArgoStatus is an Argo CD Application's state.
type ArgoStatus struct {
	Application string `json:"application"`
	// Sync is Synced, OutOfSync or Unknown; Health is Healthy,
	// Progressing, Degraded, Suspended, Missing or Unknown.
	Sync     string `json:"sync"`
	Health   string `json:"health"`
	Revision string `json:"revision,omitempty"`
	// Operation is the phase of the last sync operation (Succeeded,
	// Running, Failed, Error) and Message its message when not Succeeded.
	Operation string `json:"operation,omitempty"`
	Message   string `json:"message,omitempty"`
}

// Scheme holds the Kubernetes and kpack types Status reads; a Reader
// passed in StatusRequest must know them.
func Scheme() (*runtime.Scheme, error) {
	s := runtime.NewScheme()
	if err := clientgoscheme.AddToScheme(s); err != nil {
		return nil, err
	}
	return s, kpack.AddToScheme(s)
}

// NewReader returns a client reading the cluster live, for
// StatusRequest.Reader: made once, it is reused by every Status call (its
// API discovery is done once).
func NewReader(cfg *rest.Config) (client.Reader, error) { return newClient(cfg) }

func newClient(cfg *rest.Config) (client.Client, error) {
	s, err := Scheme()
	if err != nil {
		return nil, err
	}
	return client.New(cfg, client.Options{Scheme: s})
}

// Status reads the platform's applications from the cluster (those named
// in req.Apps, or all), sorted by environment order and name, and the
// roll-out of each ClusterStack's newest run image over them. A
// Kubernetes object is listed once per namespace (kpack Images and
// Builds, Deployments and ReplicaSets), Argo CD Applications and the
// ClusterBuilders and ClusterStacks once: a page over a thousand
// applications is a dozen reads.
func Status(ctx context.Context, req StatusRequest) (*Fleet, error) {
	if req.Platform == nil || (req.Kube == nil && req.Reader == nil) {
		return nil, fmt.Errorf("status: a platform and a cluster are needed")
	}
	r := req.Reader
	if r == nil {
		c, err := newClient(req.Kube)
		if err != nil {
			return nil, err
		}
		r = c
	}
	now := time.Now
	if req.Now != nil {
		now = req.Now
	}
	snap, err := collect(ctx, r, req.Platform)
	if err != nil {
		return nil, err
	}
	f := &Fleet{Platform: req.Platform.Name, Generated: now().UTC(), Environments: req.Platform.EnvironmentNames(),
		Apps: []AppStatus{}, Rollouts: []Rollout{}, Warnings: snap.warnings}
	want := map[string]bool{}
	for _, a := range req.Apps {
		want[a] = true
	}
	found := map[string]bool{}
	for _, env := range f.Environments {
		for _, img := range snap.images[env] {
			if len(want) > 0 && !want[img.Name] {
				continue
			}
			found[img.Name] = true
			f.Apps = append(f.Apps, snap.appStatus(env, img))
		}
	}
	f.Rollouts = snap.rollouts(f.Apps, f.Generated)
	var missing []string
	for _, a := range req.Apps {
		if !found[a] {
			missing = append(missing, a)
		}
	}
	if len(missing) > 0 {
		return f, fmt.Errorf("no kpack Image for %s in the platform's environments (%s)", strings.Join(missing, ", "), strings.Join(f.Environments, ", "))
	}
	return f, nil
}
