//go:build incluster

package e2e_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"

	"github.com/goldenpath-dev/goldenpath/pipeline/insight"
)

type kubeFunc func(ctx context.Context, stdin []byte, args ...string) ([]byte, error)

// kubeJSON reads an object with kubectl -o json.
func kubeJSON[T any](t *testing.T, kube kubeFunc, args ...string) T {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	out, err := kube(ctx, nil, append(args, "-o", "json")...)
	require.NoError(t, err)
	var v T
	require.NoError(t, json.Unmarshal(out, &v))
	return v
}

func kubeApply(t *testing.T, kube kubeFunc, obj any) {
	t.Helper()
	data, err := json.Marshal(obj)
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	_, err = kube(ctx, data, "apply", "-f", "-")
	require.NoError(t, err)
}

// waitKube polls kubectl args until it prints want.
func waitKube(t *testing.T, kube kubeFunc, within time.Duration, what, want string, args ...string) {
	t.Helper()
	var got string
	eventually(t, within, what, func() bool {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		out, _ := kube(ctx, nil, args...)
		got = strings.TrimSpace(string(out))
		return got == want
	}, func() string { return "last: " + got })
}

// kpackBuilds follows the numbered Builds of one kpack Image.
type kpackBuilds struct {
	t     *testing.T
	kube  kubeFunc
	ns    string
	image string
}

func (k kpackBuilds) build(n int) string { return fmt.Sprintf("%s-build-%d", k.image, n) }

// status is Build n's Succeeded condition status ("" while it does not exist or runs).
func (k kpackBuilds) status(n int) string {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	out, _ := k.kube(ctx, nil, "-n", k.ns, "get", "build.kpack.io", k.build(n), "-o", `jsonpath={.status.conditions[?(@.type=="Succeeded")].status}`)
	return strings.TrimSpace(string(out))
}

func (k kpackBuilds) describe() string {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var b strings.Builder
	for _, args := range [][]string{
		{"-n", k.ns, "get", "image.kpack.io,build.kpack.io,sourceresolver.kpack.io,pods", "-o", "wide"},
		{"-n", k.ns, "get", "events", "--sort-by=.lastTimestamp"},
		{"-n", k.ns, "logs", "-l", "image.kpack.io/image=" + k.image, "--all-containers", "--tail=30", "--prefix"},
	} {
		out, err := k.kube(ctx, nil, args...)
		fmt.Fprintf(&b, "$ kubectl %s\n%s%v\n", strings.Join(args, " "), out, err)
	}
	return b.String()
}

// failed waits for Build n to fail and returns the failed step (goldenpath's build insight over the build pod) and
// the end of that step's log.
func (k kpackBuilds) failed(n int) (insight.Failure, string) {
	k.t.Helper()
	k.finish(n, 15*time.Minute, "False")
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	podName, err := k.kube(ctx, nil, "-n", k.ns, "get", "build.kpack.io", k.build(n), "-o", "jsonpath={.status.podName}")
	require.NoError(k.t, err)
	if strings.TrimSpace(string(podName)) == "" {
		// kpack failed the build before it made a pod: its condition says why
		msg, _ := k.kube(ctx, nil, "-n", k.ns, "get", "build.kpack.io", k.build(n), "-o", `jsonpath={.status.conditions[?(@.type=="Succeeded")].reason}: {.status.conditions[?(@.type=="Succeeded")].message}`)
		return insight.Failure{Step: insight.PodStep, Reason: string(msg)}, string(msg)
	}
	pod := kubeJSON[corev1.Pod](k.t, k.kube, "-n", k.ns, "get", "pod", strings.TrimSpace(string(podName)))
	f, ok := insight.FailedStep(&pod)
	require.True(k.t, ok, "no failed step in pod %s\n%s", pod.Name, k.describe())
	log, err := k.kube(ctx, nil, "-n", k.ns, "logs", pod.Name, "-c", f.Step)
	require.NoError(k.t, err)
	return f, insight.Excerpt(log, 20, 4000)
}

// finish waits up to within for Build n to finish and fails the test unless its Succeeded condition is want.
func (k kpackBuilds) finish(n int, within time.Duration, want string) {
	k.t.Helper()
	eventually(k.t, within, "build "+k.build(n)+" to finish", func() bool { st := k.status(n); return st == "False" || st == "True" }, k.describe)
	require.Equal(k.t, want, k.status(n), "build %s: Succeeded is %s, want %s\n%s", k.build(n), k.status(n), want, k.describe())
}

// succeeded waits for Build n to succeed and returns the Image's latest image.
func (k kpackBuilds) succeeded(n int) string {
	k.t.Helper()
	k.finish(n, 20*time.Minute, "True")
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	out, err := k.kube(ctx, nil, "-n", k.ns, "get", "build.kpack.io", k.build(n), "-o", "jsonpath={.status.latestImage}")
	require.NoError(k.t, err)
	return strings.TrimSpace(string(out))
}

// rebuild asks kpack for another build after Build n (kpack does not retry a failed build by itself).
func (k kpackBuilds) rebuild(n int) {
	k.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	_, err := k.kube(ctx, nil, "-n", k.ns, "annotate", "--overwrite", "build.kpack.io", k.build(n), "image.kpack.io/additionalBuildNeeded=true")
	require.NoError(k.t, err)
}
