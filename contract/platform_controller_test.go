package contract_test

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/goldenpath-dev/goldenpath/contract"
)

const testPublicKey = `-----BEGIN PUBLIC KEY-----
MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEoGmeSIAy/E3sCHAkCwEY1UUp5+95
TNc2M5zT5yxV+J0O5craz1kNTYt8HX4V9QxM+ub2MrZx5iO0i+O2r8QS2w==
-----END PUBLIC KEY-----
`

func TestPlatformControllerDefaults(t *testing.T) {
	p := contract.DefaultPlatform()
	c := p.Controller
	assert.Equal(t, "", c.Image, "no controller unless the platform names its image")
	assert.Equal(t, p.Build.Namespace, c.Namespace)
	assert.Equal(t, int32(1), c.Replicas)
	assert.Equal(t, contract.DefaultWebhookSecret, c.WebhookSecret)
	assert.Equal(t, contract.DefaultGitSecret, c.GitSecret)
	assert.Equal(t, contract.DefaultMaxWebhookBytes, c.MaxWebhookBytes)
	assert.Equal(t, 10, c.Promotion.BatchSize)
	assert.Equal(t, time.Duration(0), c.PromotionInterval())
	assert.Equal(t, time.Minute, c.StackInterval())
}

func TestPlatformControllerValidation(t *testing.T) {
	block := `
controller:
  image: "registry.example.com/goldenpath:Bad Tag"
  namespace: Not_A_Label
  cosignSecret: "-bad-"
  publicKey: |
    -----BEGIN RSA PRIVATE KEY-----
    AAAA
    -----END RSA PRIVATE KEY-----
  maxWebhookBytes: 999999999999
  promotion:
    batchSize: -1
    interval: soon
  stackUpdateInterval: -5s
  insecureRegistries: ["registry.internal:5000/path"]
`
	data := string(contract.DefaultPlatformYAML()) + block
	_, err := contract.LoadPlatform("platform.yaml", []byte(data))
	require.Error(t, err)
	got := strings.Join(lines(contract.AsErrors(err)), "\n")
	for _, want := range []string{
		`controller.image: "registry.example.com/goldenpath:Bad Tag" is not an image reference`,
		`controller.namespace: "Not_A_Label" is not a DNS-1123 label`,
		`controller.cosignSecret: "-bad-" is not a valid Kubernetes name`,
		`controller.publicKey: PEM block "RSA PRIVATE KEY" is not a PUBLIC KEY`,
		`controller.maxWebhookBytes: must be between 1 and 67108864`,
		`controller.promotion.batchSize: must be >= 1`,
		`controller.promotion.interval: "soon" is not a duration`,
		`controller.stackUpdateInterval: must not be negative, not -5s`,
		`controller.insecureRegistries[0]: "registry.internal:5000/path" is not a registry host[:port]`,
	} {
		assert.Contains(t, got, want)
	}
	// Each problem is placed at its line.
	for _, e := range contract.AsErrors(err) {
		if strings.HasPrefix(e.Path, "controller.") {
			assert.Greater(t, e.Position.Line, 80, "%s", e)
		}
	}
}

func TestPlatformControllerPublicKey(t *testing.T) {
	p := contract.DefaultPlatform()
	p.Controller.PublicKey = testPublicKey
	assert.Empty(t, p.Validate())

	p.Controller.PublicKey = testPublicKey + testPublicKey
	assert.Contains(t, p.Validate().Error(), "controller.publicKey: more than one PEM block")

	p.Controller.PublicKey = ""
	p.Controller.RequireProvenance = true
	assert.Contains(t, p.Validate().Error(), "controller.requireProvenance: requires controller.publicKey")
}
