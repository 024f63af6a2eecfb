package contract_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/goldenpath-dev/goldenpath/contract"
)

// An unknown field gets "did you mean" only when a known field is close to
// it; otherwise the list of known fields. The hints are read from real
// decoding errors (top level: apiVersion, application, environment, id,
// kind, owner, spec; spec.ingress: enabled, host, tls; spec.runtime: env,
// healthCheck, port, replicas, resources).
func TestSuggestOnlyWhenClose(t *testing.T) {
	for _, tc := range []struct {
		field, under, want string // want "" means no suggestion
	}{
		{"a7", "", ""},   // two characters, both different from "id"
		{"x", "", ""},    // nothing like any field
		{"ab", "", ""},   // as far from "id" as a7
		{"di", "", "id"}, // transposed
		{"ids", "", "id"},
		{"owmer", "", "owner"},
		{"onwer", "", "owner"}, // transposed
		{"Owner", "", "owner"}, // case
		{"aplication", "", "application"},
		{"applciation", "", "application"},
		{"envirnoment", "", "environment"},
		{"spce", "", "spec"},
		{"hots", "ingress", "host"},
		{"hst", "ingress", "host"},
		{"tsl", "ingress", "tls"},
		{"xyz", "ingress", ""},
		{"enabeld", "ingress", "enabled"},
		{"replicaz", "runtime", "replicas"},
		{"replica", "runtime", "replicas"},
		{"healtcheck", "runtime", "healthCheck"},
		{"health", "runtime", ""}, // a prefix, far from healthCheck
		{"prt", "runtime", "port"},
		{"cpu", "runtime", ""}, // a field of resources, not runtime: nothing close
	} {
		t.Run(tc.field, func(t *testing.T) {
			hint := unknownFieldHint(t, tc.field, tc.under)
			if tc.want == "" {
				assert.NotContains(t, hint, "did you mean", "unknown field %q", tc.field)
				assert.True(t, strings.HasPrefix(hint, "known fields: "), hint)
				return
			}
			assert.Equal(t, `did you mean "`+tc.want+`"?`, hint, "unknown field %q", tc.field)
		})
	}
}

// unknownFieldHint decodes the seed contract with one extra field, at the
// top level or under spec.<under>, and returns the hint of its error.
func unknownFieldHint(t *testing.T, field, under string) string {
	t.Helper()
	doc := `apiVersion: goldenpath.io/v1
kind: AppDeploymentRequest
id: APP-1
environment: dev
owner: team
application: app
spec:
  source: {git: {url: "https://git.example.com/a.git", revision: main}}
  build: {type: buildpack, buildpack: {language: go}}
  runtime: {port: 8080}
  ingress: {enabled: false}
`
	switch under {
	case "":
		doc += field + ": 1\n"
	case "ingress":
		doc = strings.Replace(doc, "ingress: {enabled: false}", "ingress: {enabled: false, "+field+": 1}", 1)
	case "runtime":
		doc = strings.Replace(doc, "runtime: {port: 8080}", "runtime: {port: 8080, "+field+": 1}", 1)
	}
	_, err := contract.Load("suggest.yaml", []byte(doc))
	require.Error(t, err)
	path := field
	if under != "" {
		path = "spec." + under + "." + field
	}
	for _, e := range contract.AsErrors(err) {
		if e.Path == path {
			require.Contains(t, e.Message, "unknown field")
			return e.Hint
		}
	}
	t.Fatalf("no error at %s in %v", path, err)
	return ""
}
