package contract_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/goldenpath-dev/goldenpath/contract"
)

func loadSeedAs(t *testing.T, edits ...string) *contract.AppDeploymentRequest {
	t.Helper()
	data := string(mustRead(t, "testdata/valid-seed.yaml"))
	for i := 0; i+1 < len(edits); i += 2 {
		require.Contains(t, data, edits[i])
		data = strings.Replace(data, edits[i], edits[i+1], 1)
	}
	reqs, err := contract.Load("seed.yaml", []byte(data))
	require.NoError(t, err)
	return reqs[0]
}

func TestPolicy(t *testing.T) {
	p := contract.DefaultPlatform()
	assert.Empty(t, p.Admit(loadSeedAs(t)), "the seed passes the default dev policy")

	staging := loadSeedAs(t, "environment: dev", "environment: staging", "replicas: 2", "replicas: 1", "builder: default", "builder: exotic")
	errs := p.Admit(staging)
	assert.Equal(t, []string{
		`seed.yaml:16:14: spec.build.builder: platform has no builder "exotic" (use one of default)`,
		`seed.yaml:19:5: spec.runtime.healthCheck: a health check is required in staging (policy of staging)`,
		`seed.yaml:19:15: spec.runtime.replicas: must be >= 2 in staging (policy of staging)`,
		`seed.yaml:26:11: spec.ingress.host: host "payments-api.dev.goldenpath.io" is outside the staging ingress domain staging.goldenpath.io (use a name ending in .staging.goldenpath.io)`,
	}, lines(errs))

	prod := loadSeedAs(t, "environment: dev", "environment: prod", "type: buildpack  # or \"dockerfile\" for opt-out\n    builder: default", "type: dockerfile")
	assert.Contains(t, prod.Validate().Error()+p.Admit(prod).Error(), "dockerfile builds are not allowed in prod")

	p.Bindings = map[string]contract.BindingTarget{"payments-db": {Type: "cache", Secret: "s"}}
	assert.Contains(t, p.Admit(loadSeedAs(t)).Error(), `binding "payments-db" is a cache, not a database`)
}

func TestPlatformValidation(t *testing.T) {
	data := strings.Replace(string(contract.DefaultPlatformYAML()), "  dev:\n    namespace: apps-dev", "  dev:\n    namespace: Apps_Dev", 1)
	data = strings.Replace(data, "allowedBuilders: [default]", "allowedBuilders: [default, nope]", 1)
	data = strings.Replace(data, "registry: registry.goldenpath.io/apps", "registry: registry.goldenpath.io/Apps:latest", 1)
	_, err := contract.LoadPlatform("platform.yaml", []byte(data))
	require.Error(t, err)
	assert.Equal(t, []string{
		`platform.yaml:7:11: registry: "registry.goldenpath.io/Apps:latest" is not an image repository: repository can only contain the characters ` + "`abcdefghijklmnopqrstuvwxyz0123456789_-./`: Apps:latest (write host[:port]/path, such as registry.example.com/apps or 127.0.0.1:5000/apps)",
		`platform.yaml:48:16: environments.dev.namespace: "Apps_Dev" is not a DNS-1123 label (use at most 63 lower case letters, digits and -, starting and ending with a letter or digit)`,
		`platform.yaml:76:34: environments.prod.policy.allowedBuilders[1]: no builder named "nope" in this platform`,
	}, lines(contract.AsErrors(err)))
}

func lines(errs contract.Errors) []string {
	var out []string
	for _, e := range errs {
		out = append(out, e.Error())
	}
	return out
}
