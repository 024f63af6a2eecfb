package render_test

import (
	"encoding/base64"
	"strings"
	"testing"

	kpack "github.com/pivotal/kpack/pkg/apis/build/v1alpha2"
	kpackcore "github.com/pivotal/kpack/pkg/apis/core/v1alpha1"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/goldenpath-dev/goldenpath/contract"
	"github.com/goldenpath-dev/goldenpath/render"
)

// The build service account lists the platform's git Secrets next to the
// registry Secret, and kpack's own build pod (what its controller makes of a
// Build run by that account) hands each of them, in the shape
// CheckBuildSecret accepts, to build-init as git credentials for its server.
func TestBuildServiceAccountGivesKpackGitCredentials(t *testing.T) {
	p := platform(t, "testdata/platform.yaml")
	objs, err := render.Platform(p)
	require.NoError(t, err)
	var listed []string
	for _, o := range objs {
		if o.Kind() == "ServiceAccount" && o.Namespace() == "apps-dev" {
			for _, s := range dig(o.Value, "secrets").([]any) {
				listed = append(listed, s.(map[string]any)["name"].(string))
			}
		}
	}
	require.Equal(t, []string{"acme-registry", "acme-git-https", "acme-git-ssh"}, listed)

	// The Secrets as the platform team creates them, checked by goldenpath.
	auth := base64.StdEncoding.EncodeToString([]byte("robot:pw"))
	secrets := map[string]*corev1.Secret{
		"acme-registry": {Type: corev1.SecretTypeDockerConfigJson, Data: map[string][]byte{
			".dockerconfigjson": []byte(`{"auths": {"registry.acme.example": {"auth": "` + auth + `"}}}`)}},
		"acme-git-https": {Type: corev1.SecretTypeBasicAuth, ObjectMeta: metav1.ObjectMeta{Annotations: map[string]string{contract.GitSecretAnnotation: "https://git.acme.example"}},
			Data: map[string][]byte{"username": []byte("robot"), "password": []byte("token")}},
		"acme-git-ssh": {Type: corev1.SecretTypeSSHAuth, ObjectMeta: metav1.ObjectMeta{Annotations: map[string]string{contract.GitSecretAnnotation: "git@git.acme.example"}},
			Data: map[string][]byte{"ssh-privatekey": []byte("KEY")}},
	}
	var inContext []corev1.Secret
	for _, n := range listed {
		s := secrets[n]
		s.Name = n
		require.Empty(t, p.CheckBuildSecret(s), n)
		inContext = append(inContext, *s)
	}

	b := &kpack.Build{
		ObjectMeta: metav1.ObjectMeta{Name: "payments-api-build-1", Namespace: "apps-dev"},
		Spec: kpack.BuildSpec{
			Tags:               []string{"registry.acme.example/apps/dev/payments-api"},
			Builder:            kpackcore.BuildBuilderSpec{Image: "registry.acme.example/builders/default@sha256:" + strings.Repeat("a", 64)},
			ServiceAccountName: p.Build.ServiceAccount,
			Source:             kpackcore.SourceConfig{Git: &kpackcore.Git{URL: "https://git.acme.example/payments/api.git", Revision: strings.Repeat("b", 40)}},
		},
	}
	pod, err := b.BuildPod(kpack.BuildPodImages{BuildInitImage: "build-init", CompletionImage: "completion", RebaseImage: "rebase", BuildWaiterImage: "waiter"},
		kpack.BuildContext{Secrets: inContext, BuildPodBuilderConfig: kpack.BuildPodBuilderConfig{
			StackID: "io.goldenpath.stacks.bookworm", RunImage: "registry.acme.example/run:bookworm", Uid: 1000, Gid: 1000, PlatformAPIs: []string{"0.9"}}})
	require.NoError(t, err)
	var prepare *corev1.Container
	for i := range pod.Spec.InitContainers {
		if pod.Spec.InitContainers[i].Name == "prepare" {
			prepare = &pod.Spec.InitContainers[i]
		}
	}
	require.NotNil(t, prepare, "kpack's build pod has a prepare step")
	assert.Subset(t, prepare.Args, []string{
		"-dockerconfig=acme-registry",
		"-basic-git=acme-git-https=https://git.acme.example",
		"-ssh-git=acme-git-ssh=git@git.acme.example",
	})
}
