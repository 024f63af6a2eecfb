package cluster

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	kpack "github.com/pivotal/kpack/pkg/apis/build/v1alpha2"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/goldenpath-dev/goldenpath/contract"
)

// LogsRequest names a build.
type LogsRequest struct {
	Platform *contract.Platform
	Kube     *rest.Config
	// Application whose build to show.
	Application string
	// Environment, needed only when the application is in several.
	Environment string
	// Build number; 0 is the latest build.
	Build int64
	// Follow streams the logs of a running build until it ends.
	Follow bool
	// Poll is how often a followed build is checked for its next step.
	// Default 500ms.
	Poll time.Duration
}

// Logs writes a build's logs step by step, each headed by "===> STEP" (as
// kp build logs does): the steps of the build pod in the order they run.
// With Follow it waits for the pod and each step, and streams until the
// build ends; without, it prints what the steps logged so far.
func Logs(ctx context.Context, req LogsRequest, w io.Writer) error {
	if req.Platform == nil || req.Kube == nil {
		return errors.New("logs: a platform and a cluster are needed")
	}
	if req.Poll == 0 {
		req.Poll = 500 * time.Millisecond
	}
	c, err := newClient(req.Kube)
	if err != nil {
		return err
	}
	cs, err := kubernetes.NewForConfig(req.Kube)
	if err != nil {
		return err
	}
	img, err := findImage(ctx, c, req)
	if err != nil {
		return err
	}
	b, err := findBuild(ctx, c, img, req)
	if err != nil {
		return err
	}
	podName := b.PodName()
	var pod corev1.Pod
	for {
		err := c.Get(ctx, client.ObjectKey{Namespace: b.Namespace, Name: podName}, &pod)
		if err == nil {
			break
		}
		if !apierrors.IsNotFound(err) {
			return err
		}
		if !req.Follow {
			return fmt.Errorf("build %s has no pod (yet, or any more): %s", b.Name, podName)
		}
		if err := wait(ctx, req.Poll); err != nil {
			return err
		}
	}
	var steps []string
	for _, ctr := range append(append([]corev1.Container{}, pod.Spec.InitContainers...), pod.Spec.Containers...) {
		steps = append(steps, ctr.Name)
	}
	for _, step := range steps {
		state, err := waitStep(ctx, c, b.Namespace, podName, step, req)
		if err != nil {
			return err
		}
		if state == stepNeverRan {
			if req.Follow {
				return nil // the build ended before this step: done
			}
			continue
		}
		fmt.Fprintf(w, "===> %s\n", strings.ToUpper(step))
		stream, err := cs.CoreV1().Pods(b.Namespace).GetLogs(podName, &corev1.PodLogOptions{Container: step, Follow: req.Follow}).Stream(ctx)
		if err != nil {
			return fmt.Errorf("logs of %s step %s: %w", b.Name, step, err)
		}
		_, err = io.Copy(w, bufio.NewReader(stream))
		stream.Close()
		if err != nil {
			return err
		}
	}
	return nil
}

type stepState int

const (
	stepStarted stepState = iota
	stepNeverRan
)

// waitStep waits (with Follow) until a step has started, or the pod has
// ended without it.
func waitStep(ctx context.Context, c client.Client, ns, podName, step string, req LogsRequest) (stepState, error) {
	for {
		var pod corev1.Pod
		if err := c.Get(ctx, client.ObjectKey{Namespace: ns, Name: podName}, &pod); err != nil {
			return stepNeverRan, err
		}
		for _, list := range [][]corev1.ContainerStatus{pod.Status.InitContainerStatuses, pod.Status.ContainerStatuses} {
			for _, s := range list {
				if s.Name == step && (s.State.Running != nil || s.State.Terminated != nil) {
					return stepStarted, nil
				}
			}
		}
		if pod.Status.Phase == corev1.PodSucceeded || pod.Status.Phase == corev1.PodFailed || !req.Follow {
			return stepNeverRan, nil
		}
		if err := wait(ctx, req.Poll); err != nil {
			return stepNeverRan, err
		}
	}
}

func wait(ctx context.Context, d time.Duration) error {
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(d):
		return nil
	}
}

func findImage(ctx context.Context, c client.Client, req LogsRequest) (*kpack.Image, error) {
	var found []*kpack.Image
	var envs []string
	for _, env := range req.Platform.EnvironmentNames() {
		if req.Environment != "" && env != req.Environment {
			continue
		}
		cfg := req.Platform.Environments[contract.Environment(env)]
		var img kpack.Image
		err := c.Get(ctx, client.ObjectKey{Namespace: cfg.Namespace, Name: req.Application}, &img)
		if apierrors.IsNotFound(err) {
			continue
		}
		if err != nil {
			return nil, err
		}
		found = append(found, &img)
		envs = append(envs, env)
	}
	switch len(found) {
	case 0:
		return nil, fmt.Errorf("no kpack Image %s in the platform's environments", req.Application)
	case 1:
		return found[0], nil
	}
	return nil, fmt.Errorf("%s is built in %s: say which environment", req.Application, strings.Join(envs, ", "))
}

func findBuild(ctx context.Context, c client.Client, img *kpack.Image, req LogsRequest) (*kpack.Build, error) {
	if req.Build > 0 {
		var list kpack.BuildList
		if err := c.List(ctx, &list, client.InNamespace(img.Namespace), client.MatchingLabels{
			kpack.ImageLabel: img.Name, kpack.BuildNumberLabel: strconv.FormatInt(req.Build, 10)}); err != nil {
			return nil, err
		}
		if len(list.Items) == 0 {
			return nil, fmt.Errorf("%s has no build %d (kpack keeps the last few)", img.Name, req.Build)
		}
		return &list.Items[0], nil
	}
	builds, err := buildsOf(ctx, c, img)
	if err != nil {
		return nil, err
	}
	if len(builds) == 0 {
		return nil, fmt.Errorf("%s has no build yet", img.Name)
	}
	return &builds[0], nil
}
