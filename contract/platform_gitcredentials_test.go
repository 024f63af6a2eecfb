package contract_test

import (
	"encoding/base64"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/goldenpath-dev/goldenpath/contract"
)

// platformWithGit is the default platform with a build.gitCredentials block
// (YAML list items, indented four spaces).
func platformWithGit(t *testing.T, creds string) (*contract.Platform, error) {
	t.Helper()
	data := string(contract.DefaultPlatformYAML())
	anchor := "  registrySecret: goldenpath-registry\n"
	require.Contains(t, data, anchor)
	data = strings.Replace(data, anchor, anchor+"  gitCredentials:\n"+indent(creds, "    "), 1)
	return contract.LoadPlatform("platform.yaml", []byte(data))
}

func TestGitCredentialsAreReservedAndTyped(t *testing.T) {
	p, err := platformWithGit(t, `- {secret: git-https, server: "https://git.corp.example"}
- {secret: git-ssh, server: "git@git.corp.example:2222"}
`)
	require.NoError(t, err)
	require.Len(t, p.Build.GitCredentials, 2)
	assert.Equal(t, corev1.SecretTypeBasicAuth, p.Build.GitCredentials[0].SecretType())
	assert.Equal(t, corev1.SecretTypeSSHAuth, p.Build.GitCredentials[1].SecretType())
	assert.Subset(t, p.ReservedSecrets(), []string{"git-https", "git-ssh", "goldenpath-registry"})
}

func TestGitCredentialsValidation(t *testing.T) {
	for _, tc := range []struct{ name, creds, path, msg string }{
		{"no transport", `- {secret: g, server: git.corp.example}`, "build.gitCredentials[0].server", "names no transport kpack matches"},
		{"ssh scheme", `- {secret: g, server: "ssh://git@git.corp.example"}`, "build.gitCredentials[0].server", "names no transport"},
		{"path", `- {secret: g, server: "https://git.corp.example/team"}`, "build.gitCredentials[0].server", "must be a server only"},
		{"credentials", `- {secret: g, server: "https://u:p@git.corp.example"}`, "build.gitCredentials[0].server", "must be a server only"},
		{"option host", `- {secret: g, server: "git@-oProxyCommand=x"}`, "build.gitCredentials[0].server", "starts with -"},
		{"numeric host", `- {secret: g, server: "https://2130706433"}`, "build.gitCredentials[0].server", "is a number"},
		{"port", `- {secret: g, server: "https://git.corp.example:99999"}`, "build.gitCredentials[0].server", `invalid port "99999"`},
		{"no server", `- {secret: g}`, "build.gitCredentials[0].server", "required field is missing"},
		{"no secret", `- {server: "https://git.corp.example"}`, "build.gitCredentials[0].secret", "required field is missing"},
		{"bad secret", `- {secret: Git_Creds, server: "https://git.corp.example"}`, "build.gitCredentials[0].secret", "Git_Creds"},
		{"registry secret", `- {secret: goldenpath-registry, server: "https://git.corp.example"}`, "build.gitCredentials[0].secret", "is the registry Secret"},
		{"same secret", "- {secret: g, server: \"https://a.corp.example\"}\n- {secret: g, server: \"https://b.corp.example\"}", "build.gitCredentials[1].secret", "already listed in build.gitCredentials[0]"},
		{"same server", "- {secret: a, server: \"https://git.corp.example\"}\n- {secret: b, server: \"https://GIT.corp.example/\"}", "build.gitCredentials[1].server", "already has a Secret in build.gitCredentials[0]"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := platformWithGit(t, tc.creds)
			require.Error(t, err)
			var errs contract.Errors
			require.ErrorAs(t, err, &errs)
			found := false
			for _, e := range errs {
				if e.Path == tc.path && strings.Contains(e.Message, tc.msg) {
					found = true
					assert.Equal(t, "platform.yaml", e.File)
					assert.NotZero(t, e.Line, "the error points at the line: %v", e)
				}
			}
			assert.True(t, found, "want %s: %s in\n%v", tc.path, tc.msg, err)
		})
	}
}

func TestBindingCannotMountGitCredentials(t *testing.T) {
	p, err := platformWithGit(t, `- {secret: git-https, server: "https://git.corp.example"}`)
	require.NoError(t, err)
	reqs, err := contract.Load("app.yaml", []byte(seed(t, binding("database", "git-https")...)))
	require.NoError(t, err)
	errs := p.Admit(reqs[0])
	require.NotEmpty(t, errs)
	assert.Contains(t, errs.Error(), `binding "git-https" names one of the platform's own Secrets`)
}

func secret(name string, typ corev1.SecretType, annotations map[string]string, data map[string]string) *corev1.Secret {
	s := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: name, Annotations: annotations}, Type: typ, Data: map[string][]byte{}}
	for k, v := range data {
		s.Data[k] = []byte(v)
	}
	return s
}

func TestCheckBuildSecret(t *testing.T) {
	p, err := platformWithGit(t, `- {secret: git-https, server: "https://git.corp.example"}
- {secret: git-ssh, server: "git@git.corp.example"}
`)
	require.NoError(t, err)
	auth := base64.StdEncoding.EncodeToString([]byte("robot:s3cret"))
	goodDocker := `{"auths": {"registry.goldenpath.io": {"auth": "` + auth + `"}}}`
	for _, tc := range []struct {
		name string
		s    *corev1.Secret
		want []string // "path: message" fragments; none: the Secret is right
	}{
		{"registry ok", secret("goldenpath-registry", corev1.SecretTypeDockerConfigJson, nil, map[string]string{".dockerconfigjson": goodDocker}), nil},
		{"registry URL key ok", secret("goldenpath-registry", corev1.SecretTypeDockerConfigJson, nil, map[string]string{".dockerconfigjson": `{"auths": {"https://registry.goldenpath.io/v1/": {"username": "u", "password": "p"}}}`}), nil},
		{"registry basic-auth", secret("goldenpath-registry", corev1.SecretTypeBasicAuth, nil, map[string]string{".dockerconfigjson": goodDocker}), []string{`type: registry Secret "goldenpath-registry" has type "kubernetes.io/basic-auth"`}},
		{"registry other host", secret("goldenpath-registry", corev1.SecretTypeDockerConfigJson, nil, map[string]string{".dockerconfigjson": `{"auths": {"ghcr.io": {"auth": "` + auth + `"}}}`}), []string{"data[.dockerconfigjson].auths: no entry for the platform's registry host registry.goldenpath.io"}},
		{"registry no creds", secret("goldenpath-registry", corev1.SecretTypeDockerConfigJson, nil, map[string]string{".dockerconfigjson": `{"auths": {"registry.goldenpath.io": {}}}`}), []string{"data[.dockerconfigjson].auths[registry.goldenpath.io]: has no credentials"}},
		{"registry bad auth", secret("goldenpath-registry", corev1.SecretTypeDockerConfigJson, nil, map[string]string{".dockerconfigjson": `{"auths": {"registry.goldenpath.io": {"auth": "bm9jb2xvbg=="}}}`}), []string{"auth: is not the base64 of user:password"}},
		{"registry not json", secret("goldenpath-registry", corev1.SecretTypeDockerConfigJson, nil, map[string]string{".dockerconfigjson": `auths:`}), []string{"data[.dockerconfigjson]: not a docker config"}},
		{"registry empty", secret("goldenpath-registry", corev1.SecretTypeDockerConfigJson, nil, nil), []string{"data[.dockerconfigjson]: missing"}},
		{"git https ok", secret("git-https", corev1.SecretTypeBasicAuth, map[string]string{"kpack.io/git": "https://git.corp.example"}, map[string]string{"username": "u", "password": "tok-3n"}), nil},
		{"git ssh ok", secret("git-ssh", corev1.SecretTypeSSHAuth, map[string]string{"kpack.io/git": "git@git.corp.example"}, map[string]string{"ssh-privatekey": "KEY"}), nil},
		{"git no annotation", secret("git-https", corev1.SecretTypeBasicAuth, nil, map[string]string{"username": "u", "password": "tok-3n"}), []string{"metadata.annotations[kpack.io/git]: missing"}},
		{"git other server", secret("git-https", corev1.SecretTypeBasicAuth, map[string]string{"kpack.io/git": "https://github.com"}, map[string]string{"username": "u", "password": "tok-3n"}), []string{`metadata.annotations[kpack.io/git]: is "https://github.com", but build.gitCredentials names the server "https://git.corp.example"`}},
		{"git opaque", secret("git-https", corev1.SecretTypeOpaque, map[string]string{"kpack.io/git": "https://git.corp.example"}, map[string]string{"username": "u"}), []string{`type: git Secret "git-https" has type "Opaque"`, "data[password]: missing or empty"}},
		{"ssh without key", secret("git-ssh", corev1.SecretTypeSSHAuth, map[string]string{"kpack.io/git": "git@git.corp.example"}, map[string]string{"username": "u"}), []string{"data[ssh-privatekey]: missing or empty"}},
		{"unknown", secret("other", corev1.SecretTypeOpaque, nil, nil), []string{`metadata.name: Secret "other" is not one the platform's build service account lists`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			errs := p.CheckBuildSecret(tc.s)
			if len(tc.want) == 0 {
				assert.Empty(t, errs)
				return
			}
			require.Len(t, errs, len(tc.want), "%v", errs)
			for _, w := range tc.want {
				assert.Contains(t, errs.Error(), w)
			}
			assert.NotContains(t, errs.Error(), "s3cret", "a check never prints a credential")
			assert.NotContains(t, errs.Error(), "tok-3n")
		})
	}
}
