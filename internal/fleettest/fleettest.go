// Package fleettest makes the cluster objects of a fleet of applications
// for tests and benchmarks of goldenpath/cluster's Status and the status
// page: each application's contract is rendered by goldenpath's own
// renderer (the kpack Image, Deployment and Argo CD Application exactly
// as the platform applies them), then given what kpack, Kubernetes and
// Argo CD would add (Builds with the controller's annotations,
// ReplicaSets, statuses). The objects go into controller-runtime's fake
// client.
package fleettest

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
	"time"

	kpack "github.com/pivotal/kpack/pkg/apis/build/v1alpha2"
	corev1alpha1 "github.com/pivotal/kpack/pkg/apis/core/v1alpha1"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	"github.com/goldenpath-dev/goldenpath/contract"
	"github.com/goldenpath-dev/goldenpath/goldenpath/cluster"
	"github.com/goldenpath-dev/goldenpath/pipeline/insight"
	"github.com/goldenpath-dev/goldenpath/render"
)

// App is one application's state to make.
type App struct {
	Env, Name, Owner, ID string
	// Branch is the contract's spec.source.git.branch (default main).
	Branch string
	// Builds, oldest first (numbered from 1).
	Builds []Build
	// Pinned is the number of the build the Deployment is pinned to (0: it
	// runs kpack's tag). Every earlier pinned build left a ReplicaSet.
	Pinned int
	// RollingOut: the Deployment's pods do not all run its template yet.
	RollingOut bool
	// Sync and Health are the Argo CD Application's (default Synced and
	// Healthy); NoArgo leaves the Application out.
	Sync, Health string
	NoArgo       bool
}

// Build is one kpack build of an App.
type Build struct {
	// Result is succeeded, failed or running.
	Result  string
	Reasons string // kpack's reasons, such as COMMIT or STACK
	// Run is the index of the run image it ran on in World.RunImages.
	Run int
	// Step, Exit and Excerpt explain a failure (the controller's record).
	Step    string
	Exit    int
	Excerpt string
	// Verified is the verify gate's verdict ("true", "false", "") and
	// Refused why it refused.
	Verified, Refused string
	// At is when the build was created, relative to World.Start; it
	// finishes a minute later, and is pinned (Pin) two seconds after.
	At  time.Duration
	Pin bool
}

// World is a platform's cluster state under construction.
type World struct {
	Platform *contract.Platform
	// Start is when the ClusterStack's run image last moved (to the last
	// of RunImages).
	Start     time.Time
	RunImages []string
	objects   []client.Object
	uid       int
}

// New starts a world on the default platform with two run images, the
// newest resolved by the ClusterStack "default" at start.
func New(start time.Time) *World {
	w := &World{Platform: contract.DefaultPlatform(), Start: start,
		RunImages: []string{digestRef("registry.example/run", "old"), digestRef("registry.example/run", "patched")}}
	newest := w.RunImages[len(w.RunImages)-1]
	cs := &kpack.ClusterStack{ObjectMeta: metav1.ObjectMeta{Name: "default", ManagedFields: []metav1.ManagedFieldsEntry{
		{Manager: "controller", Operation: metav1.ManagedFieldsOperationUpdate, APIVersion: kpack.SchemeGroupVersion.String(),
			Subresource: "status", Time: &metav1.Time{Time: start}, FieldsType: "FieldsV1",
			FieldsV1: &metav1.FieldsV1{Raw: []byte(`{"f:status":{"f:runImage":{}}}`)}},
	}}}
	cs.Status.RunImage.LatestImage = newest
	cb := &kpack.ClusterBuilder{ObjectMeta: metav1.ObjectMeta{Name: "default"}}
	cb.Spec.Stack = corev1.ObjectReference{Kind: kpack.ClusterStackKind, Name: "default"}
	w.objects = append(w.objects, cs, cb)
	return w
}

func digestRef(repo, seed string) string {
	sum := sha256.Sum256([]byte(seed))
	return repo + "@sha256:" + hex.EncodeToString(sum[:])
}

func (w *World) nextUID() types.UID {
	w.uid++
	return types.UID(fmt.Sprintf("00000000-0000-0000-0000-%012d", w.uid))
}

// Add makes an application's objects.
func (w *World) Add(a App) error {
	if a.Branch == "" {
		a.Branch = "main"
	}
	env := w.Platform.Environments[contract.Environment(a.Env)]
	doc := fmt.Sprintf(`apiVersion: goldenpath.io/v1
kind: AppDeploymentRequest
id: %s
environment: %s
owner: %s
application: %s
spec:
  source:
    git: {url: "https://git.example/%s/%s", branch: %q}
  build: {type: buildpack, builder: default}
  runtime:
    replicas: 2
    healthCheck: {path: /healthz}
    resources: {memory: 128Mi, cpu: 100m}
  ingress: {enabled: true, host: %s.%s, tls: {enabled: true}}
`, a.ID, a.Env, a.Owner, a.Name, a.Owner, a.Name, a.Branch, a.Name, env.IngressDomain)
	reqs, err := contract.Load(a.Name+".yaml", []byte(doc))
	if err != nil {
		return err
	}
	var img kpack.Image
	var dep appsv1.Deployment
	var app *unstructured.Unstructured
	if err := w.render(reqs[0], "", &img, &dep, &app); err != nil {
		return err
	}
	if a.Pinned > 0 { // as the controller's pin leaves it (under a verifying platform: the gate opened)
		if err := w.render(reqs[0], w.buildImage(&img, a.Pinned), nil, &dep, nil); err != nil {
			return err
		}
	}
	img.UID = w.nextUID()
	w.objects = append(w.objects, &img)
	var pinned []string // images of the pinned builds, in order
	var pinnedAt []time.Time
	for i, b := range a.Builds {
		kb := w.build(&img, i+1, b)
		w.objects = append(w.objects, kb)
		if b.Pin || i+1 == a.Pinned {
			pinned = append(pinned, kb.Status.LatestImage)
			pinnedAt = append(pinnedAt, w.Start.Add(b.At+time.Minute+2*time.Second))
		}
	}
	dep.UID, dep.Generation = w.nextUID(), 2
	replicas := *dep.Spec.Replicas
	dep.Status = appsv1.DeploymentStatus{ObservedGeneration: 2, Replicas: replicas, UpdatedReplicas: replicas, ReadyReplicas: replicas, AvailableReplicas: replicas}
	if a.RollingOut {
		dep.Status.UpdatedReplicas, dep.Status.ReadyReplicas, dep.Status.AvailableReplicas = 1, 1, 1
	}
	w.objects = append(w.objects, &dep)
	for i, image := range pinned {
		rs := &appsv1.ReplicaSet{ObjectMeta: metav1.ObjectMeta{
			Name: fmt.Sprintf("%s-%d", a.Name, i+1), Namespace: dep.Namespace, Labels: dep.Spec.Template.Labels, UID: w.nextUID(),
			CreationTimestamp: metav1.NewTime(pinnedAt[i].Add(3 * time.Second)),
			OwnerReferences:   []metav1.OwnerReference{{APIVersion: "apps/v1", Kind: "Deployment", Name: dep.Name, UID: dep.UID, Controller: ptr(true)}},
		}}
		rs.Spec.Template = *dep.Spec.Template.DeepCopy()
		setImage(&rs.Spec.Template.Spec, image)
		w.objects = append(w.objects, rs)
		if i == len(pinned)-1 && !a.RollingOut {
			dep.Status.Conditions = []appsv1.DeploymentCondition{{Type: appsv1.DeploymentProgressing, Status: corev1.ConditionTrue,
				Reason: "NewReplicaSetAvailable", Message: fmt.Sprintf("ReplicaSet %q has successfully progressed.", rs.Name),
				LastUpdateTime: metav1.NewTime(rs.CreationTimestamp.Add(8 * time.Second))}}
		}
	}
	if !a.NoArgo && app != nil {
		sync, health := a.Sync, a.Health
		if sync == "" {
			sync = "Synced"
		}
		if health == "" {
			health = "Healthy"
		}
		_ = unstructured.SetNestedField(app.Object, map[string]any{
			"sync":           map[string]any{"status": sync, "revision": "0123456789abcdef0123456789abcdef01234567"},
			"health":         map[string]any{"status": health},
			"operationState": map[string]any{"phase": "Succeeded"},
		}, "status")
		w.objects = append(w.objects, app)
	}
	return nil
}

// render renders the request (pinned to image, unless "") with
// goldenpath's renderer and decodes the objects asked for (nil: not).
func (w *World) render(r *contract.AppDeploymentRequest, image string, img *kpack.Image, dep *appsv1.Deployment, app **unstructured.Unstructured) error {
	objs, err := render.App(r, w.Platform, render.AppOptions{Image: image})
	if err != nil {
		return err
	}
	for _, o := range objs {
		switch {
		case o.Kind() == kpack.ImageKind && img != nil:
			err = runtime.DefaultUnstructuredConverter.FromUnstructured(o.Value, img)
		case o.Kind() == "Deployment" && dep != nil:
			*dep = appsv1.Deployment{}
			err = runtime.DefaultUnstructuredConverter.FromUnstructured(o.Value, dep)
		case o.Kind() == "Application" && app != nil:
			*app = &unstructured.Unstructured{Object: runtime.DeepCopyJSON(o.Value)}
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// VerifySignatures turns the platform's verify gate on
// (controller.publicKey, as render/testdata/platform-verify.yaml): Add
// then renders an application that is not pinned as render does under
// such a platform, a Deployment with replicas 0 waiting for its first
// verified pin.
func (w *World) VerifySignatures() {
	w.Platform.Controller.CosignSecret = "goldenpath-cosign"
	w.Platform.Controller.PublicKey = verifyKey
}

// verifyKey is a P-256 public key (render/testdata/platform-verify.yaml's).
const verifyKey = `-----BEGIN PUBLIC KEY-----
MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE+lyDW9efUt9p/R5mo109C8w56ZXq
IH5Fh31qY3LXcUtEANZkaR/f7R8VsrQ8gcX5BnbDo4fRrD/4UsxMmQ6BMQ==
-----END PUBLIC KEY-----
`

func ptr[T any](v T) *T { return &v }

func setImage(pod *corev1.PodSpec, image string) {
	for i := range pod.Containers {
		if pod.Containers[i].Name == "app" {
			pod.Containers[i].Image = image
		}
	}
}

// buildImage is the image build n of the Image pushed (by digest).
func (w *World) buildImage(img *kpack.Image, n int) string {
	return digestRef(img.Spec.Tag, img.Namespace+"/"+img.Name+"/"+strconv.Itoa(n))
}

func (w *World) build(img *kpack.Image, n int, b Build) *kpack.Build {
	created := w.Start.Add(b.At)
	kb := &kpack.Build{ObjectMeta: metav1.ObjectMeta{
		Name: fmt.Sprintf("%s-build-%d", img.Name, n), Namespace: img.Namespace, UID: w.nextUID(),
		CreationTimestamp: metav1.NewTime(created),
		Labels:            map[string]string{kpack.ImageLabel: img.Name, kpack.BuildNumberLabel: strconv.Itoa(n)},
		Annotations:       map[string]string{kpack.BuildReasonAnnotation: b.Reasons},
		OwnerReferences:   []metav1.OwnerReference{{APIVersion: kpack.SchemeGroupVersion.String(), Kind: kpack.ImageKind, Name: img.Name, UID: img.UID, Controller: ptr(true)}},
	}}
	kb.Spec.Source.Git = &corev1alpha1.Git{URL: img.Spec.Source.Git.URL, Revision: fmt.Sprintf("%040x", n)}
	done := corev1alpha1.VolatileTime{Inner: metav1.NewTime(created.Add(time.Minute))}
	ann := kb.Annotations
	switch b.Result {
	case "succeeded":
		kb.Status.Conditions = corev1alpha1.Conditions{{Type: corev1alpha1.ConditionSucceeded, Status: corev1.ConditionTrue, LastTransitionTime: done}}
		kb.Status.LatestImage = w.buildImage(img, n)
		kb.Status.Stack.RunImage = w.RunImages[b.Run]
	case "failed":
		kb.Status.Conditions = corev1alpha1.Conditions{{Type: corev1alpha1.ConditionSucceeded, Status: corev1.ConditionFalse, LastTransitionTime: done}}
		ann[insight.AnnotationStep], ann[insight.AnnotationExcerpt] = b.Step, b.Excerpt
		if b.Exit != 0 {
			ann[insight.AnnotationExitCode] = strconv.Itoa(b.Exit)
		}
	default:
		kb.Status.Conditions = corev1alpha1.Conditions{{Type: corev1alpha1.ConditionSucceeded, Status: corev1.ConditionUnknown}}
	}
	if b.Verified != "" {
		ann[insight.AnnotationVerified] = b.Verified
	}
	if b.Refused != "" {
		ann[insight.AnnotationRefused] = b.Refused
	}
	if b.Pin {
		at := created.Add(time.Minute + 2*time.Second)
		ann[insight.AnnotationPinned] = fmt.Sprintf("%040x", 1000+n)
		ann[insight.AnnotationPinnedAt] = at.UTC().Format(time.RFC3339)
	}
	return kb
}

// Objects are the world's objects.
func (w *World) Objects() []client.Object { return w.objects }

// Reader is controller-runtime's fake client holding the objects, which
// knows Argo CD's Application as an unstructured kind.
func (w *World) Reader() (client.Reader, error) {
	s, err := cluster.Scheme()
	if err != nil {
		return nil, err
	}
	mapper := meta.NewDefaultRESTMapper(nil)
	for gvk := range s.AllKnownTypes() {
		mapper.Add(gvk, scopeOf(gvk))
	}
	argo := schema.GroupVersionKind{Group: cluster.ArgoApplicationList.Group, Version: cluster.ArgoApplicationList.Version, Kind: "Application"}
	mapper.Add(argo, meta.RESTScopeNamespace)
	return fake.NewClientBuilder().WithScheme(s).WithRESTMapper(mapper).WithObjects(w.objects...).WithReturnManagedFields().Build(), nil
}

func scopeOf(gvk schema.GroupVersionKind) meta.RESTScope {
	switch {
	case strings.HasPrefix(gvk.Kind, "Cluster"), gvk.Kind == "Namespace", gvk.Kind == "Node":
		return meta.RESTScopeRoot
	}
	return meta.RESTScopeNamespace
}

// Generate makes n applications over the platform's environments, owners
// and states (patched, rebase pending, rebuild needed after a failed
// build, refused by the verify gate, rolling out), each with three to
// five builds: what a fleet looks like during a patch roll-out.
func Generate(n int, start time.Time) (*World, error) {
	w := New(start)
	envs := w.Platform.EnvironmentNames()
	owners := []string{"payments", "checkout", "search", "platform-team", "identity", "data"}
	for i := 0; i < n; i++ {
		a := App{Env: envs[i%len(envs)], Name: fmt.Sprintf("app-%04d", i), Owner: owners[i%len(owners)], ID: fmt.Sprintf("APP-%04d", 1000+i)}
		old := []Build{
			{Result: "succeeded", Reasons: "CONFIG", Run: 0, At: -72 * time.Hour, Verified: "true", Pin: true},
			{Result: "succeeded", Reasons: "COMMIT", Run: 0, At: -24 * time.Hour, Verified: "true", Pin: true},
		}
		at := time.Duration(i%50) * 10 * time.Second
		switch i % 5 {
		case 0, 1: // patched
			a.Builds = append(old, Build{Result: "succeeded", Reasons: "STACK", Run: 1, At: at, Verified: "true", Pin: true})
			a.Pinned = 3
		case 2: // rebase pending: built, awaiting the pin
			a.Builds = append(old, Build{Result: "succeeded", Reasons: "STACK", Run: 1, At: at})
			a.Pinned = 2
		case 3: // rebuild needed: a broken commit
			a.Builds = append(old, Build{Result: "failed", Reasons: "COMMIT", At: -time.Hour, Step: "build", Exit: 1,
				Excerpt: "./main.go:18:6: undefined: brokenOnPurpose\nERROR: failed to build: exit status 1"},
				Build{Result: "failed", Reasons: "STACK", At: at, Step: "build", Exit: 1, Excerpt: "./main.go:18:6: undefined: brokenOnPurpose"})
			a.Pinned = 2
		case 4: // patched, rolling out
			a.Builds = append(old, Build{Result: "succeeded", Reasons: "STACK", Run: 1, At: at, Verified: "true", Pin: true})
			a.Pinned, a.RollingOut, a.Health = 3, true, "Progressing"
		}
		if err := w.Add(a); err != nil {
			return nil, err
		}
	}
	return w, nil
}
