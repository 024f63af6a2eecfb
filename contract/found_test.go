package contract_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/goldenpath-dev/goldenpath/contract"
)

// What counts as a contract in a folder is decided by parsing apiVersion and
// kind (issue 13.5): a misspelt apiVersion is a contract with a problem, a
// rendered Kubernetes object that mentions goldenpath.io/ in a label is not
// a contract.
func TestLoadFound(t *testing.T) {
	contractDoc := string(mustRead(t, "testdata/valid-seed.yaml"))
	cases := []struct {
		name  string
		data  string
		found bool
		err   string // a problem the file must report; "" for none
	}{
		{"a contract", contractDoc, true, ""},
		{"a misspelt apiVersion", strings.Replace(contractDoc, "goldenpath.io/v1", "goldenpth.io/v1", 1), true, `unsupported apiVersion "goldenpth.io/v1"`},
		{"an unknown version", strings.Replace(contractDoc, "goldenpath.io/v1", "goldenpath.io/v2", 1), true, `unsupported apiVersion "goldenpath.io/v2"`},
		{"a misspelt kind", strings.Replace(contractDoc, "kind: AppDeploymentRequest", "kind: AppDeploymentReqest", 1), true, `kind "AppDeploymentReqest" is not part of goldenpath.io/v1`},
		{"a kind without apiVersion", strings.Replace(contractDoc, "apiVersion: goldenpath.io/v1\n", "", 1), true, "apiVersion: required field is missing"},
		{"a platform", string(contract.DefaultPlatformYAML()), true, ""},
		{"a contract after a foreign document", "apiVersion: v1\nkind: ConfigMap\n---\n" + contractDoc, true, `unsupported apiVersion "v1"`},
		{"a contract with a syntax error", contractDoc + "  oops: [\n", true, "invalid YAML"},
		{"a quoted kind with a syntax error", "kind: \"AppDeploymentRequest\"\nspec: {\n", true, "invalid YAML"},
		{"a workflow", "name: ci\non: push\njobs: {}\n", false, ""},
		{"a rendered Deployment", "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  labels:\n    goldenpath.io/id: APP-0001\n", false, ""},
		{"a kustomization", "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources: [deployment.yaml]\n", false, ""},
		{"an Argo CD Application", "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata: {name: x, labels: {goldenpath.io/owner: t}}\n", false, ""},
		{"a comment naming goldenpath.io/v1", "# see goldenpath.io/v1 contracts\nname: x\n", false, ""},
		{"a Helm template", "apiVersion: {{ .Values.api }}\nkind: Deployment\nmetadata: {name: {{ .Release.Name }}}\n", false, ""},
		{"an empty file", "", false, ""},
		{"a binary file", "\x00\x01\x02", false, ""},
		{"a list", "- a\n- b\n", false, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			objs, found, err := contract.LoadFound("f.yaml", []byte(tc.data))
			assert.Equal(t, tc.found, found)
			if !tc.found {
				assert.Nil(t, objs)
				assert.NoError(t, err)
				return
			}
			if tc.err == "" {
				assert.NoError(t, err)
				assert.NotEmpty(t, objs)
			} else {
				assert.ErrorContains(t, err, tc.err)
			}
		})
	}
}
