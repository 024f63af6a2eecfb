package render_test

import (
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

// The status page: read access to what it shows, and the page exposed by
// the Service only with a token (else kubectl port-forward reaches it on
// the pod's loopback).
func TestControllerStatusPage(t *testing.T) {
	for _, secret := range []string{"", "goldenpath-status"} {
		p := controllerPlatform(t)
		p.Controller.StatusTokenSecret = secret
		require.Empty(t, p.Validate())
		objs, err := render.Platform(p)
		require.NoError(t, err)
		var svc corev1.Service
		var dep appsv1.Deployment
		rules := map[string][]rbacv1.PolicyRule{}
		for _, o := range objs {
			if o.Name() != render.ControllerName {
				continue
			}
			switch o.Kind() {
			case "Service":
				strictDecode(t, o, &svc)
			case "Deployment":
				strictDecode(t, o, &dep)
			case "Role":
				var r rbacv1.Role
				strictDecode(t, o, &r)
				rules[r.Namespace] = r.Rules
			}
		}
		exposed := slices.ContainsFunc(svc.Spec.Ports, func(sp corev1.ServicePort) bool { return sp.Name == "status" })
		assert.Equal(t, secret != "", exposed, "Service port status with secret %q", secret)
		env := dep.Spec.Template.Spec.Containers[0].Env
		i := slices.IndexFunc(env, func(e corev1.EnvVar) bool { return e.Name == render.ControllerStatusTokenEnv })
		if secret == "" {
			assert.Equal(t, -1, i)
		} else {
			require.NotEqual(t, -1, i)
			assert.Empty(t, env[i].Value, "the token is never rendered")
			assert.Equal(t, &corev1.SecretKeySelector{LocalObjectReference: corev1.LocalObjectReference{Name: secret}, Key: "token"}, env[i].ValueFrom.SecretKeyRef)
		}
		for _, e := range p.EnvironmentNames() {
			ns := p.Environments[contract.Environment(e)].Namespace
			assert.True(t, slices.ContainsFunc(rules[ns], func(r rbacv1.PolicyRule) bool {
				return slices.Equal(r.APIGroups, []string{"apps"}) && slices.Equal(r.Resources, []string{"deployments", "replicasets"}) &&
					slices.Equal(r.Verbs, []string{"get", "list", "watch"})
			}), "%s: read Deployments and ReplicaSets", ns)
		}
		assert.True(t, slices.ContainsFunc(rules[p.ArgoCD.Namespace], func(r rbacv1.PolicyRule) bool {
			return slices.Contains(r.Resources, "applications") && slices.Contains(r.Verbs, "watch")
		}), "watch Argo CD Applications")
	}
	p := controllerPlatform(t)
	p.Controller.StatusTokenSecret = "Not_A_Name"
	assert.NotEmpty(t, p.Validate())
}
