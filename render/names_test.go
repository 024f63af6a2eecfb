package render_test

import (
	"fmt"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/goldenpath-dev/goldenpath/contract"
	"github.com/goldenpath-dev/goldenpath/internal/manifestcheck"
	"github.com/goldenpath-dev/goldenpath/render"
)

// permissive is the default platform with every environment's policy
// lifted and its binding catalogue open, with the given projection and
// cache: it admits every valid request, so that what renders is decided by
// validation alone.
func permissive(projection contract.BindingProjection, cache contract.CacheKind) *contract.Platform {
	p := contract.DefaultPlatform()
	p.BindingProjection = projection
	p.Build.Cache.Kind = cache
	if cache == contract.CacheVolume {
		p.Build.Cache.Size = "2Gi"
	}
	for name, env := range p.Environments {
		env.Policy = contract.Policy{AllowUncataloguedBindings: true}
		p.Environments[name] = env
	}
	return p
}

// longestHost is the longest host name (253 characters, labels of at most
// 63) under domain.
func longestHost(domain string) string {
	var labels []string
	n := len(domain)
	for n+1 < 253 {
		l := min(63, 253-n-1)
		labels = append(labels, strings.Repeat("h", l))
		n += l + 1
	}
	return strings.Join(labels, ".") + "." + domain
}

// renderChecked renders r against p and returns what the API server and
// kpack's webhook would refuse in it.
func renderChecked(t *testing.T, checker *manifestcheck.Checker, r *contract.AppDeploymentRequest, p *contract.Platform) []string {
	t.Helper()
	objs, err := render.App(r, p, render.AppOptions{})
	require.NoError(t, err)
	var problems []string
	for _, o := range objs {
		if o.Kind() == "Kustomization" {
			continue
		}
		// Through the emitted YAML, as kubectl and Argo CD read it.
		data, err := o.YAML()
		require.NoError(t, err)
		for _, err := range checker.CheckYAML(data) {
			problems = append(problems, fmt.Sprintf("%s: %v", o.Path, err))
		}
	}
	return problems
}

// Issue 14.7: validation derives its limits from what is rendered. The
// longest and oddest names that validate render objects the API server and
// kpack accept, in every environment, with both binding projections and
// every cache; names that were accepted before but rendered what Kubernetes
// refuses are now refused by validation.
func TestRenderedNamesAreValid(t *testing.T) {
	checker, err := manifestcheck.NewFromFS(os.DirFS("testdata/crds"))
	require.NoError(t, err)
	checker.DefaultStorageClass = true
	longest, err := os.ReadFile("../contract/testdata/valid-longest-names.yaml")
	require.NoError(t, err)
	// The oddest: the shortest names, dashes in a row, a binding that is a
	// digit.
	odd := regexp.MustCompile(`(?m)^application: .*$`).ReplaceAllString(string(longest), "application: x--1")
	odd = regexp.MustCompile(`(?m)^      name: .*$`).ReplaceAllString(odd, "      name: \"0\"")
	odd = regexp.MustCompile(`(?m)^owner: .*$`).ReplaceAllString(odd, "owner: \"0\"")
	for _, projection := range []contract.BindingProjection{contract.ProjectServiceBinding, contract.ProjectVolume} {
		for _, cache := range []contract.CacheKind{contract.CacheRegistry, contract.CacheVolume, contract.CacheNone} {
			p := permissive(projection, cache)
			for _, env := range contract.Environments {
				for name, doc := range map[string]string{"longest": string(longest), "oddest": odd} {
					doc = strings.Replace(doc, "environment: dev", "environment: "+string(env), 1)
					doc = strings.Replace(doc, longestHost("dev.goldenpath.io"), longestHost(p.Environments[env].IngressDomain), 1)
					reqs, err := contract.Load(name+".yaml", []byte(doc))
					require.NoError(t, err, "%s in %s", name, env)
					require.Empty(t, p.Admit(reqs[0]))
					assert.Empty(t, renderChecked(t, checker, reqs[0], p), "%s in %s with %s bindings and a %s cache", name, env, projection, cache)
				}
			}
		}
	}

	// Names that validated before and rendered objects Kubernetes refuses
	// (in some environment, with some projection).
	seed, err := os.ReadFile("../contract/testdata/valid-seed.yaml")
	require.NoError(t, err)
	for name, edits := range map[string][]string{
		"an application starting with a digit": {"application: payments-api", "application: 1web"},
		"an application of 56 characters":      {"application: payments-api", "application: a" + strings.Repeat("b", 55)},
		"an application of 63 characters":      {"application: payments-api", "application: a" + strings.Repeat("b", 62)},
		"a binding of 56 characters":           {"name: payments-db", "name: " + strings.Repeat("d", 56)},
		"a runtime SERVICE_BINDING_ROOT":       {"    replicas: 2\n", "    replicas: 2\n    env: {SERVICE_BINDING_ROOT: /b}\n"},
		"an id of 64 characters":               {"id: APP-0001", "id: APP-" + strings.Repeat("1", 60)},
	} {
		t.Run(name, func(t *testing.T) {
			doc := string(seed)
			require.Contains(t, doc, edits[0])
			doc = strings.Replace(doc, edits[0], edits[1], 1)
			for _, env := range contract.Environments {
				for _, projection := range []contract.BindingProjection{contract.ProjectServiceBinding, contract.ProjectVolume} {
					p := permissive(projection, contract.CacheVolume)
					envDoc := strings.Replace(doc, "environment: dev", "environment: "+string(env), 1)
					envDoc = strings.Replace(envDoc, ".dev.goldenpath.io", "."+p.Environments[env].IngressDomain, 1)
					reqs, err := contract.Load("case.yaml", []byte(envDoc))
					if err != nil {
						return // refused by validation: nothing is rendered
					}
					require.Empty(t, p.Admit(reqs[0]))
					assert.Empty(t, renderChecked(t, checker, reqs[0], p), "validates, so it must render objects Kubernetes accepts (%s, %s bindings)", env, projection)
				}
			}
		})
	}
}
