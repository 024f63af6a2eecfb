package render

import (
	"encoding/json"
	"fmt"
	"strconv"

	appsv1 "k8s.io/api/apps/v1"

	"github.com/goldenpath-dev/goldenpath/contract"
)

// The verify gate's side in rendering. A platform whose controller
// verifies signatures (controller.publicKey) must never run an image nobody
// verified. An unpinned Deployment follows a mutable tag — kpack's
// latestImage tag, pushed by kpack before the controller's verify gate
// looks at the build, or the pipeline's tag — so under such a platform it
// is rendered with replicas 0: it exists (Argo CD syncs it, the Service and
// the kpack Image beside it work) but runs no pod until a verified digest
// is pinned. The pin (App with AppOptions.Image, or PinDeployment on the
// file in git) gives the Deployment the contract's replicas back.
const (
	// PinnedReplicasAnnotation holds, on a Deployment waiting for its first
	// verified pin, the replicas it runs once pinned ("unset" when the
	// request sets none: the API server's default then applies).
	PinnedReplicasAnnotation = "goldenpath.io/pinned-replicas"
	// WaitingForPinAnnotation says why such a Deployment runs no pod.
	WaitingForPinAnnotation = "goldenpath.io/waiting-for"
)

const unsetReplicas = "unset"

// gated says whether a Deployment of this image source must wait for a pin.
func gated(p *contract.Platform, source string) bool {
	return source != "pinned" && p.Controller.PublicKey != ""
}

// closeGate makes an unpinned Deployment run no pod and records the
// replicas the pin restores.
func closeGate(d *appsv1.Deployment, source string) {
	want := unsetReplicas
	if d.Spec.Replicas != nil {
		want = strconv.Itoa(int(*d.Spec.Replicas))
	}
	tag, pinner := "kpack's tag", "goldenpath's controller pins each build it verified"
	if source == "pipeline" {
		tag, pinner = "the pipeline's tag", "goldenpath build --verify-key ... --out pins what it built"
	}
	d.Annotations[PinnedReplicasAnnotation] = want
	d.Annotations[WaitingForPinAnnotation] = "waiting for the first verified pin: the platform verifies signatures " +
		"(controller.publicKey) and " + tag + " is not verified, so no pod runs until a signed digest is pinned (" + pinner + ")"
	d.Spec.Replicas = ptr(int32(0))
}

// openGate is the pin's side of closeGate on a decoded Deployment: the
// replicas recorded come back, the annotations go.
func openGate(obj map[string]any, ann map[string]any) error {
	if _, ok := ann[WaitingForPinAnnotation]; !ok {
		return nil
	}
	spec, _ := obj["spec"].(map[string]any)
	if spec == nil {
		return fmt.Errorf("the Deployment has no spec")
	}
	want, _ := ann[PinnedReplicasAnnotation].(string)
	switch n, err := strconv.ParseInt(want, 10, 32); {
	case want == unsetReplicas:
		delete(spec, "replicas")
	case err != nil || n < 0:
		return fmt.Errorf("the Deployment waits for its first pin but its %s annotation is %q, not a number of replicas: render it again with goldenpath", PinnedReplicasAnnotation, want)
	default:
		spec["replicas"] = json.Number(strconv.FormatInt(n, 10))
	}
	delete(ann, PinnedReplicasAnnotation)
	delete(ann, WaitingForPinAnnotation)
	return nil
}
