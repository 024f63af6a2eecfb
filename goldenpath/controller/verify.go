package controller

import (
	"context"

	kpack "github.com/pivotal/kpack/pkg/apis/build/v1alpha2"

	"github.com/goldenpath-dev/goldenpath/pipeline/insight"
)

// verifier is the verify gate: before a build's image is pinned, its cosign
// signature (kpack signs in the build's completion step with the platform's
// cosign Secret) must verify with the platform's public key, and its SLSA
// provenance too when the platform requires it. A refused build is
// annotated (insight.AnnotationVerified=false, AnnotationRefused), reported
// as an Event on its Image, counted in goldenpath_promotion_refusals_total
// and never pinned.
type verifier struct {
	c   *core
	key *verifyKey
	err error
}

func newVerifier(c *core) *verifier {
	v := &verifier{c: c}
	if pem := c.platform.Controller.PublicKey; pem != "" {
		v.key, v.err = loadVerifyKey(pem)
	}
	return v
}

// gate says whether the build may be pinned; an error means the check could
// not run (try again later).
func (v *verifier) gate(ctx context.Context, b *kpack.Build, c candidate) (bool, error) {
	if v.err != nil {
		return false, v.err
	}
	if v.key == nil {
		return true, nil // the platform asks for no verification
	}
	if b.Annotations[insight.AnnotationVerified] == "true" {
		return true, nil
	}
	insecure := v.c.platform.Controller.InsecureRegistries
	res, err := verifySignature(ctx, c.Ref, v.key, insecure)
	if err != nil {
		return false, err
	}
	if res.ok && v.c.platform.Controller.RequireProvenance {
		if res, err = verifyProvenance(ctx, c.Ref, v.key, insecure); err != nil {
			return false, err
		}
	}
	if !res.ok {
		img := &kpack.Image{}
		img.Namespace, img.Name, img.UID = c.Image.Namespace, c.Image.Name, c.ImageUID
		v.c.metrics.refusals.WithLabelValues(res.kind).Inc()
		v.c.event(img, true, "PromotionRefused", "build %s: %s: not pinned", c.Build, res.message)
		v.c.log.Warn("promotion refused", "app", c.App.String(), "build", c.Build, "image", c.Ref, "reason", res.kind, "detail", res.message)
		return false, client404(v.c.annotate(ctx, b, map[string]string{
			insight.AnnotationVerified: "false",
			insight.AnnotationRefused:  res.kind + ": " + truncate(res.message, 1000),
		}))
	}
	v.c.log.Info("verified", "app", c.App.String(), "build", c.Build, "image", c.Ref, "key", v.key.id())
	return true, client404(v.c.annotate(ctx, b, map[string]string{insight.AnnotationVerified: "true"}))
}
