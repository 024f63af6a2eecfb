package contract

import (
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
)

// PlatformController configures goldenpath's in-cluster controller
// (`goldenpath controller`, package goldenpath/controller): what `goldenpath
// platform render` installs, how kpack signs builds, what promotion verifies
// before it pins, which Secrets hold webhook and git credentials (referenced
// by name, never rendered), and how fast promotion may write to git.
type PlatformController struct {
	// Image of the controller: an image holding the goldenpath binary (hack/controller/image builds one). When set, goldenpath platform render emits the controller's Deployment, service account, RBAC, Service and configuration; empty renders none of them.
	Image string `json:"image,omitempty"`
	// Namespace the controller runs in (its lease, its webhook and git Secrets, its replay record). Defaults to build.namespace.
	Namespace string `json:"namespace,omitempty"`
	// Replicas of the controller Deployment; leader election makes more than one safe (every replica answers webhooks, one reconciles). Defaults to 1.
	Replicas int32 `json:"replicas,omitempty"`
	// CosignSecret is the Secret (in every environment namespace) kpack signs each build with: keys cosign.key, cosign.password and cosign.pub, as goldenpath keygen or cosign generate-key-pair k8s://NS/NAME make them. The build service accounts list it; its content is never rendered. Empty: kpack does not sign.
	CosignSecret string `json:"cosignSecret,omitempty"`
	// PublicKey is the PEM public key (cosign.pub) a build's image must carry a cosign signature of before promotion pins it. Empty: promotion pins without verifying.
	PublicKey string `json:"publicKey,omitempty"`
	// RequireProvenance makes promotion also require a SLSA provenance attestation that verifies with publicKey.
	RequireProvenance bool `json:"requireProvenance,omitempty"`
	// WebhookSecret is the Secret in the controller's namespace holding the git webhook secrets, one key per provider: github, gitlab, gitea, generic. A provider without a key is refused. Defaults to goldenpath-webhook.
	WebhookSecret string `json:"webhookSecret,omitempty"`
	// GitSecret is the Secret in the controller's namespace the controller pushes pins to the GitOps repositories with (keys username and password, as a kubernetes.io/basic-auth Secret). When it does not exist, pushes are anonymous. Defaults to goldenpath-gitops.
	GitSecret string `json:"gitSecret,omitempty"`
	// MaxWebhookBytes is the largest webhook body accepted. Defaults to 1048576 (1 MiB).
	MaxWebhookBytes int64 `json:"maxWebhookBytes,omitempty"`
	// Promotion limits how fast pins are written per environment.
	Promotion PromotionRate `json:"promotion,omitempty"`
	// StackUpdateInterval is how often the controller resolves the builders' stack images and moves ClusterStacks to new digests (the stack updater), a Go duration such as 30s; 0 turns it off. Defaults to 1m.
	StackUpdateInterval string `json:"stackUpdateInterval,omitempty"`
	// InsecureRegistries are registry hosts (host[:port]) the controller reaches over plain HTTP, besides loopback ones.
	InsecureRegistries []string `json:"insecureRegistries,omitempty"`
	// StatusTokenSecret is a Secret in the controller's namespace whose key token is the bearer token of the read-only status page (port 8082): the page then listens on every interface and the Service exposes it, for an ingress. Empty: the page listens on 127.0.0.1 only and is reached with kubectl port-forward, behind Kubernetes' authentication.
	StatusTokenSecret string `json:"statusTokenSecret,omitempty"`
}

// PromotionRate staggers pins after a mass rebuild (a patched run image
// rebases every app at once): per environment, at most batchSize apps per
// commit and at most one commit per interval.
type PromotionRate struct {
	// BatchSize is the most applications one pin commit holds. Defaults to 10.
	BatchSize int `json:"batchSize,omitempty"`
	// Interval is the least time between two pin commits to the same environment, a Go duration such as 5s. Defaults to 0s (no wait).
	Interval string `json:"interval,omitempty"`
}

// Controller defaults applied by (*Platform).SetDefaults.
const (
	DefaultWebhookSecret       = "goldenpath-webhook"
	DefaultGitSecret           = "goldenpath-gitops"
	DefaultMaxWebhookBytes     = int64(1 << 20)
	DefaultPromotionBatchSize  = 10
	DefaultPromotionInterval   = "0s"
	DefaultStackUpdateInterval = "1m"
)

// maxWebhookBytesLimit bounds maxWebhookBytes: a webhook body is read into
// memory before its signature is checked.
const maxWebhookBytesLimit = int64(64 << 20)

func (c *PlatformController) setDefaults(p *Platform) {
	if c.Namespace == "" {
		c.Namespace = p.Build.Namespace
	}
	if c.Replicas == 0 {
		c.Replicas = 1
	}
	if c.WebhookSecret == "" {
		c.WebhookSecret = DefaultWebhookSecret
	}
	if c.GitSecret == "" {
		c.GitSecret = DefaultGitSecret
	}
	if c.MaxWebhookBytes == 0 {
		c.MaxWebhookBytes = DefaultMaxWebhookBytes
	}
	if c.Promotion.BatchSize == 0 {
		c.Promotion.BatchSize = DefaultPromotionBatchSize
	}
	if c.Promotion.Interval == "" {
		c.Promotion.Interval = DefaultPromotionInterval
	}
	if c.StackUpdateInterval == "" {
		c.StackUpdateInterval = DefaultStackUpdateInterval
	}
}

func (c *PlatformController) validate(v *validator, p fieldPath) {
	v.image(p.Child("image"), c.Image, false)
	if c.Namespace != "" {
		v.dnsLabel(p.Child("namespace"), c.Namespace, false)
	}
	if c.Replicas < 0 {
		v.add(p.Child("replicas"), "must be >= 1", "")
	}
	v.subdomain(p.Child("cosignSecret"), c.CosignSecret)
	v.subdomain(p.Child("webhookSecret"), c.WebhookSecret)
	v.subdomain(p.Child("gitSecret"), c.GitSecret)
	v.subdomain(p.Child("statusTokenSecret"), c.StatusTokenSecret)
	if c.PublicKey != "" {
		if err := checkPublicKeyPEM(c.PublicKey); err != nil {
			v.add(p.Child("publicKey"), err.Error(), "paste cosign.pub as written by goldenpath keygen or cosign generate-key-pair")
		}
	} else if c.RequireProvenance {
		v.add(p.Child("requireProvenance"), "requires controller.publicKey", "the provenance is verified with the platform's public key")
	}
	if c.MaxWebhookBytes < 0 || c.MaxWebhookBytes > maxWebhookBytesLimit {
		v.add(p.Child("maxWebhookBytes"), fmt.Sprintf("must be between 1 and %d", maxWebhookBytesLimit), "")
	}
	if c.Promotion.BatchSize < 0 {
		v.add(p.Child("promotion").Child("batchSize"), "must be >= 1", "")
	}
	v.duration(p.Child("promotion").Child("interval"), c.Promotion.Interval)
	v.duration(p.Child("stackUpdateInterval"), c.StackUpdateInterval)
	for i, h := range c.InsecureRegistries {
		if _, err := name.NewRegistry(h, name.StrictValidation); err != nil || strings.Contains(h, "/") {
			v.add(p.Child("insecureRegistries").Index(i), fmt.Sprintf("%q is not a registry host[:port]", h), "for example registry.internal:5000")
		}
	}
}

// duration checks a non-negative Go duration.
func (v *validator) duration(p fieldPath, s string) {
	if s == "" {
		return
	}
	d, err := time.ParseDuration(s)
	switch {
	case err != nil:
		v.add(p, fmt.Sprintf("%q is not a duration", s), "use a Go duration such as 30s, 5m or 1h")
	case d < 0:
		v.add(p, fmt.Sprintf("must not be negative, not %s", s), "")
	}
}

// checkPublicKeyPEM accepts exactly one PEM "PUBLIC KEY" block holding a
// PKIX public key (cosign.pub).
func checkPublicKeyPEM(s string) error {
	block, rest := pem.Decode([]byte(s))
	if block == nil {
		return fmt.Errorf("not a PEM public key")
	}
	if block.Type != "PUBLIC KEY" {
		return fmt.Errorf("PEM block %q is not a PUBLIC KEY", block.Type)
	}
	if strings.TrimSpace(string(rest)) != "" {
		return fmt.Errorf("more than one PEM block")
	}
	if _, err := x509.ParsePKIXPublicKey(block.Bytes); err != nil {
		return fmt.Errorf("not a PKIX public key: %v", err)
	}
	return nil
}

// Durations of the controller block, parsed; (*Platform).Validate has
// checked them.
func (c PlatformController) durations() (promotion, stacks time.Duration) {
	promotion, _ = time.ParseDuration(c.Promotion.Interval)
	stacks, _ = time.ParseDuration(c.StackUpdateInterval)
	return promotion, stacks
}

// PromotionInterval is the least time between two pin commits to one
// environment.
func (c PlatformController) PromotionInterval() time.Duration { d, _ := c.durations(); return d }

// StackInterval is how often the stack updater runs (0: never).
func (c PlatformController) StackInterval() time.Duration { _, d := c.durations(); return d }
