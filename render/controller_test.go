package render_test

import (
	"bytes"
	"encoding/json"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"

	"github.com/goldenpath-dev/goldenpath/contract"
	"github.com/goldenpath-dev/goldenpath/render"
)

func controllerPlatform(t *testing.T) *contract.Platform {
	t.Helper()
	p := platform(t, "testdata/platform.yaml")
	p.Controller.Image = "registry.example.com/goldenpath/controller@sha256:" + string(bytes.Repeat([]byte("ab"), 32))
	p.Controller.CosignSecret = "goldenpath-cosign"
	require.Empty(t, p.Validate())
	return p
}

func TestNoControllerWithoutImage(t *testing.T) {
	objs, err := render.Platform(platform(t, "testdata/platform.yaml"))
	require.NoError(t, err)
	for _, o := range objs {
		assert.NotEqual(t, render.ControllerName, o.Name(), "%s %s", o.Kind(), o.Path)
	}
}

// strictDecode decodes a rendered object into its typed form, refusing
// unknown fields.
func strictDecode(t *testing.T, o render.Object, v any) {
	t.Helper()
	data, err := json.Marshal(o.Value)
	require.NoError(t, err)
	require.NoError(t, strictJSON(data, v), "%s %s", o.Kind(), o.Path)
}

func TestControllerObjects(t *testing.T) {
	p := controllerPlatform(t)
	objs, err := render.Platform(p)
	require.NoError(t, err)
	var kinds []string
	var roles []rbacv1.PolicyRule
	roleNamespaces := map[string]bool{}
	for _, o := range objs {
		if o.Name() != render.ControllerName {
			if o.Kind() == "ServiceAccount" && o.Name() == p.Build.ServiceAccount {
				var sa corev1.ServiceAccount
				strictDecode(t, o, &sa)
				assert.Equal(t, []corev1.ObjectReference{{Name: p.Build.RegistrySecret}, {Name: "acme-git-https"}, {Name: "acme-git-ssh"}, {Name: "goldenpath-cosign"}}, sa.Secrets,
					"kpack signs with the cosign Secret the build service account lists")
			}
			continue
		}
		kinds = append(kinds, o.Kind())
		switch o.Kind() {
		case "Role":
			var r rbacv1.Role
			strictDecode(t, o, &r)
			roles = append(roles, r.Rules...)
			assert.False(t, roleNamespaces[r.Namespace], "one Role per namespace")
			roleNamespaces[r.Namespace] = true
		case "ClusterRole":
			var r rbacv1.ClusterRole
			strictDecode(t, o, &r)
			roles = append(roles, r.Rules...)
		case "Deployment":
			var d appsv1.Deployment
			strictDecode(t, o, &d)
			c := d.Spec.Template.Spec.Containers[0]
			assert.Equal(t, p.Controller.Image, c.Image)
			assert.Equal(t, []string{"controller", "--platform", render.ControllerPlatformFile}, c.Args)
			assert.True(t, *c.SecurityContext.ReadOnlyRootFilesystem)
			assert.True(t, *d.Spec.Template.Spec.SecurityContext.RunAsNonRoot)
			assert.Equal(t, []corev1.Capability{"ALL"}, c.SecurityContext.Capabilities.Drop)
			assert.Len(t, d.Spec.Template.Annotations[render.PlatformHashAnnotation], 64)
		case "ConfigMap":
			var cm corev1.ConfigMap
			strictDecode(t, o, &cm)
			// The controller reads back exactly the platform rendered.
			back, err := contract.LoadPlatform("platform.yaml", []byte(cm.Data["platform.yaml"]))
			require.NoError(t, err)
			want, err := render.PlatformFile(p)
			require.NoError(t, err)
			got, err := render.PlatformFile(back)
			require.NoError(t, err)
			assert.Equal(t, string(want), string(got))
		case "ServiceAccount":
			strictDecode(t, o, &corev1.ServiceAccount{})
		case "Service":
			strictDecode(t, o, &corev1.Service{})
		case "RoleBinding":
			strictDecode(t, o, &rbacv1.RoleBinding{})
		case "ClusterRoleBinding":
			strictDecode(t, o, &rbacv1.ClusterRoleBinding{})
		}
	}
	slices.Sort(kinds)
	kinds = slices.Compact(kinds)
	assert.Equal(t, []string{"ClusterRole", "ClusterRoleBinding", "ConfigMap", "Deployment", "Role", "RoleBinding", "Service", "ServiceAccount"}, kinds)
	// Every environment namespace, the controller's and Argo CD's.
	for _, env := range p.EnvironmentNames() {
		assert.True(t, roleNamespaces[p.Environments[contract.Environment(env)].Namespace], env)
	}
	assert.True(t, roleNamespaces[p.Controller.Namespace])
	assert.True(t, roleNamespaces[p.ArgoCD.Namespace])
	// Least privilege: no wildcard, no delete, Secrets only by name.
	for _, r := range roles {
		for _, v := range r.Verbs {
			assert.NotContains(t, []string{"*", "delete", "deletecollection", "escalate", "bind", "impersonate"}, v, "%+v", r)
		}
		assert.NotContains(t, r.Resources, "*")
		assert.NotContains(t, r.APIGroups, "*")
		if slices.Contains(r.Resources, "secrets") {
			assert.ElementsMatch(t, []string{p.Controller.WebhookSecret, p.Controller.GitSecret}, r.ResourceNames)
			assert.Equal(t, []string{"get"}, r.Verbs)
		}
	}
}

// The controller may share a namespace with an environment: one Role holds
// both jobs' rules.
func TestControllerRolesMerge(t *testing.T) {
	p := controllerPlatform(t)
	p.Controller.Namespace = p.Environments["dev"].Namespace
	objs, err := render.Platform(p)
	require.NoError(t, err)
	seen := map[string]int{}
	for _, o := range objs {
		if o.Kind() == "Role" {
			seen[o.Namespace()]++
		}
	}
	for ns, n := range seen {
		assert.Equal(t, 1, n, ns)
	}
}
