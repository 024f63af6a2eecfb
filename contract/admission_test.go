package contract_test

import (
	"bytes"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/goldenpath-dev/goldenpath/contract"
	"github.com/goldenpath-dev/goldenpath/internal/golden"
)

// seed returns testdata/valid-seed.yaml (payments-api in dev, ingress
// payments-api.dev.goldenpath.io, binding payments-db) with edits.
func seed(t *testing.T, edits ...string) string {
	t.Helper()
	return edited(t, string(mustRead(t, "testdata/valid-seed.yaml")), edits...)
}

// Edits of the seed.
var (
	seedBinding = "    - type: database\n      name: payments-db  # References RDS-0001\n"
	seedIngress = "    host: payments-api.dev.goldenpath.io\n"
	// inProd makes the seed pass the default prod policy (without its binding).
	inProd = []string{"environment: dev", "environment: prod", "host: payments-api.dev.goldenpath.io", "host: payments-api.goldenpath.io\n    tls: {enabled: true}",
		"    replicas: 2\n", "    replicas: 2\n    healthCheck: {path: /healthz}\n", "  bindings:\n" + seedBinding, ""}
)

func binding(typ, name string) []string {
	return []string{seedBinding, fmt.Sprintf("    - type: %s\n      name: %s\n", typ, name)}
}

func app(name string, more ...string) []string {
	return append([]string{"application: payments-api", "application: " + name, seedIngress, "    host: " + name + ".dev.goldenpath.io\n"}, more...)
}

func tlsSecret(name string) []string {
	return []string{"    enabled: true\n", "    enabled: true\n    tls: {enabled: true, secretName: " + name + "}\n"}
}

func openDev(p *contract.Platform) {
	dev := p.Environments[contract.EnvDev]
	dev.Policy.AllowUncataloguedBindings = true
	p.Environments[contract.EnvDev] = dev
}

// TestAdmission: each set of requests the platform refuses (issues 14.2,
// 14.3, 13.5 and their siblings): which request and field is refused, and
// every problem found in testdata/admission.golden.
func TestAdmission(t *testing.T) {
	cases := []struct {
		name     string
		platform func(*contract.Platform)
		requests [][]string // seed edits, one request each
		refused  int        // the request refused
		path     string     // the field refused
	}{
		{"binding to the registry push Secret", nil, [][]string{binding("registry", "goldenpath-registry")}, 0, "spec.bindings[0].name"},
		{"binding outside the catalogue", nil, [][]string{binding("database", "other-db")}, 0, "spec.bindings[0].name"},
		{"binding not offered to prod", nil, [][]string{append(slices.Clone(inProd), "  ingress:\n", "  bindings:\n"+seedBinding+"  ingress:\n")}, 0, "spec.bindings[0].name"},
		{"binding of the wrong type", nil, [][]string{binding("cache", "payments-db")}, 0, "spec.bindings[0].type"},
		{"open catalogue still refuses the registry Secret", openDev, [][]string{binding("registry", "goldenpath-registry")}, 0, "spec.bindings[0].name"},
		{"open catalogue refuses a service not offered here", func(p *contract.Platform) {
			openDev(p)
			p.Bindings["prod-db"] = contract.BindingTarget{Type: "database", Secret: "prod-db-credentials", Environments: []contract.Environment{contract.EnvProd}}
		}, [][]string{binding("database", "prod-db")}, 0, "spec.bindings[0].name"},
		{"open catalogue refuses the Secret of a service not offered here", func(p *contract.Platform) {
			openDev(p)
			p.Bindings["prod-db"] = contract.BindingTarget{Type: "database", Secret: "prod-db-credentials", Environments: []contract.Environment{contract.EnvProd}}
		}, [][]string{binding("database", "prod-db-credentials")}, 0, "spec.bindings[0].name"},
		{"open catalogue refuses the builds' CA bundle Secret", func(p *contract.Platform) {
			openDev(p)
			p.Egress.CACertificates = &contract.CACertificates{Bundles: []contract.CABundle{{Secret: "corp-ca"}}}
		}, [][]string{binding("ca", "corp-ca")}, 0, "spec.bindings[0].name"},
		{"open catalogue refuses a builder's mirror credentials Secret", func(p *contract.Platform) {
			openDev(p)
			b := p.Builders["default"]
			b.Egress = &contract.Egress{Mirrors: &contract.Mirrors{NpmRegistry: &contract.Mirror{URL: "https://npm.example.com/", CredentialsSecret: "npm-mirror-login"}}}
			p.Builders["default"] = b
		}, [][]string{binding("npm", "npm-mirror-login")}, 0, "spec.bindings[0].name"},
		{"open catalogue refuses kpack's cosign signing Secret", func(p *contract.Platform) {
			openDev(p)
			p.Controller.CosignSecret = "goldenpath-cosign"
		}, [][]string{binding("signing", "goldenpath-cosign")}, 0, "spec.bindings[0].name"},
		{"open catalogue refuses the controller's GitOps credentials", openDev, [][]string{binding("git", "goldenpath-gitops")}, 0, "spec.bindings[0].name"},
		{"host is the environment's domain itself", nil, [][]string{{seedIngress, "    host: dev.goldenpath.io\n"}}, 0, "spec.ingress.host"},
		{"prod host in the dev domain", nil, [][]string{append(slices.Clone(inProd), "host: payments-api.goldenpath.io", "host: payments-api.dev.goldenpath.io")}, 0, "spec.ingress.host"},
		{"prod host is the dev domain", nil, [][]string{append(slices.Clone(inProd), "host: payments-api.goldenpath.io", "host: dev.goldenpath.io")}, 0, "spec.ingress.host"},
		{"TLS Secret is the registry push Secret", nil, [][]string{tlsSecret("goldenpath-registry")}, 0, "spec.ingress.tls.secretName"},
		{"TLS Secret is a catalogue service's Secret", nil, [][]string{tlsSecret("orders-db")}, 0, "spec.ingress.tls.secretName"},
		{"TLS Secret is the request's own binding", openDev, [][]string{append(binding("database", "team-db"), tlsSecret("team-db")...)}, 0, "spec.ingress.tls.secretName"},
		{"two applications claim one host", nil, [][]string{nil, {"application: payments-api", "application: billing-api"}}, 1, "spec.ingress.host"},
		{"two applications share a TLS Secret", nil, [][]string{tlsSecret("shared-tls"), app("billing-api", tlsSecret("shared-tls")...)}, 1, "spec.ingress.tls.secretName"},
		{"one request per application and environment", nil, [][]string{nil, {"id: APP-0001", "id: APP-0002"}}, 1, "application"},
		{"ServiceBinding names collide", openDev, [][]string{app("shop", binding("database", "cart-db")...), app("shop-cart", binding("database", "db")...)}, 1, "spec.bindings[0].name"},
		{"binding names another application's TLS Secret", openDev, [][]string{{"    enabled: true\n", "    enabled: true\n    tls: {enabled: true}\n"}, app("billing-api", binding("database", "payments-api-tls")...)}, 1, "spec.bindings[0].name"},
		{"binding names the TLS Secret of a later application", openDev, [][]string{app("billing-api", binding("database", "payments-api-tls")...), {"    enabled: true\n", "    enabled: true\n    tls: {enabled: true}\n"}}, 0, "spec.bindings[0].name"},
		{"GitOps folder in argocd/", func(p *contract.Platform) {
			dev := p.Environments[contract.EnvDev]
			dev.GitOps.Path = "{application}/{environment}"
			p.Environments = map[contract.Environment]contract.EnvironmentConfig{contract.EnvDev: dev}
			p.Bindings = nil
		}, [][]string{app("argocd", "  bindings:\n"+seedBinding, "")}, 0, "application"},
	}
	var out bytes.Buffer
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := contract.DefaultPlatform()
			if tc.platform != nil {
				tc.platform(p)
			}
			require.Empty(t, p.Validate(), "the case's platform must be valid")
			var docs []string
			for _, edits := range tc.requests {
				docs = append(docs, seed(t, edits...))
			}
			reqs, err := contract.Load("reqs.yaml", []byte(strings.Join(docs, "---\n")))
			require.NoError(t, err)
			require.Len(t, reqs, len(tc.requests))
			got := p.AdmitAll(reqs)
			require.Len(t, got, len(reqs))
			fmt.Fprintf(&out, "== %s\n", tc.name)
			for i, errs := range got {
				for _, e := range errs {
					fmt.Fprintf(&out, "[%d] %s\n", i, e)
				}
				if i != tc.refused {
					assert.Empty(t, errs, "request %d is admitted", i)
				}
			}
			paths := map[string]bool{}
			for _, e := range got[tc.refused] {
				paths[e.Path] = true
				assert.Regexp(t, `^reqs\.yaml:\d+:\d+: `, e.Error(), "every problem has its position")
			}
			assert.True(t, paths[tc.path], "request %d has no problem at %s: %v", tc.refused, tc.path, got[tc.refused])
			// validate and render share this admission: Admit alone sees the
			// same per-request problems.
			if len(tc.requests) == 1 {
				assert.Equal(t, got[0], p.Admit(reqs[0]))
			}
		})
	}
	golden.Assert(t, "testdata/admission.golden", out.Bytes())
}

// What the platform admits stays admitted.
func TestAdmissionAccepts(t *testing.T) {
	p := contract.DefaultPlatform()
	cases := map[string][][]string{
		"the seed":                                   {nil},
		"a catalogue service in test":                {{"environment: dev", "environment: test", "host: payments-api.dev.goldenpath.io", "host: payments-api.test.goldenpath.io"}},
		"prod with TLS and no binding":               {inProd},
		"a dev host deep in dev's domain":            {{seedIngress, "    host: a.b.payments.dev.goldenpath.io\n"}},
		"one application in two environments":        {nil, {"environment: dev", "environment: test", "host: payments-api.dev.goldenpath.io", "host: payments-api.test.goldenpath.io"}},
		"two applications with TLS in one namespace": {tlsSecret("payments-tls"), app("billing-api", tlsSecret("billing-tls")...)},
	}
	for name, requests := range cases {
		t.Run(name, func(t *testing.T) {
			var docs []string
			for _, edits := range requests {
				docs = append(docs, seed(t, edits...))
			}
			reqs, err := contract.Load("reqs.yaml", []byte(strings.Join(docs, "---\n")))
			require.NoError(t, err)
			for i, errs := range p.AdmitAll(reqs) {
				assert.Empty(t, errs, "request %d", i)
			}
		})
	}
	// An open catalogue binds the Secret of the binding's name.
	openDev(p)
	reqs, err := contract.Load("reqs.yaml", []byte(seed(t, binding("database", "team-db")...)))
	require.NoError(t, err)
	assert.Empty(t, slices.Concat(p.AdmitAll(reqs)...))
	assert.Equal(t, "team-db", p.BindingSecret(reqs[0].Spec.Bindings[0]))
}
