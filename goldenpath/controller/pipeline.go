package controller

import (
	"context"
	"errors"

	"k8s.io/client-go/rest"

	"github.com/goldenpath-dev/goldenpath/contract"
	"github.com/goldenpath-dev/goldenpath/pipeline/fleet"
	"github.com/goldenpath-dev/goldenpath/pipeline/kube"
	"github.com/goldenpath-dev/goldenpath/pipeline/registry"
	"github.com/goldenpath-dev/goldenpath/pipeline/supplychain"
)

// The controller's calls into pipeline, kept in this one file: the verify
// gate (cosign signature, SLSA provenance) and the stack updater.

// verification is the outcome of a check that ran: ok, or refused with a
// kind (supplychain.FailureUnsigned, FailureKeyMismatch,
// FailureNoAttestation) and a message.
type verification struct {
	ok      bool
	kind    string
	message string
}

type verifyKey struct{ key *supplychain.VerificationKey }

func loadVerifyKey(pem string) (*verifyKey, error) {
	k, err := supplychain.LoadVerificationKey([]byte(pem))
	if err != nil {
		return nil, err
	}
	return &verifyKey{key: k}, nil
}

func (k *verifyKey) id() string { return k.key.KeyID() }

// registryOptions: the registries the platform names are spoken to over
// plain HTTP (per host; loopback ones always are).
func registryOptions(insecure []string) []registry.Option {
	return []registry.Option{registry.WithInsecureRegistries(insecure...)}
}

// verifySignature checks the image's cosign signature with the key. An
// error is a check that could not run (registry unreachable): try again.
func verifySignature(ctx context.Context, image string, k *verifyKey, insecure []string) (verification, error) {
	_, err := supplychain.Verify(ctx, image, k.key, registryOptions(insecure)...)
	return classify(err)
}

// verifyProvenance checks the image's SLSA provenance attestation.
func verifyProvenance(ctx context.Context, image string, k *verifyKey, insecure []string) (verification, error) {
	_, err := supplychain.VerifyProvenance(ctx, image, k.key, registryOptions(insecure)...)
	return classify(err)
}

func classify(err error) (verification, error) {
	var ve *supplychain.VerificationError
	switch {
	case err == nil:
		return verification{ok: true}, nil
	case errors.As(err, &ve):
		return verification{kind: ve.Kind, message: ve.Error()}, nil
	}
	return verification{}, err
}

// stackUpdater is the stack updater of goldenpath platform update-stacks.
type stackUpdater struct{ u *fleet.StackUpdater }

func newStackUpdater(p *contract.Platform, cfg *rest.Config) (*stackUpdater, error) {
	stacks, err := kube.NewKubeClusterStacks(cfg)
	if err != nil {
		return nil, err
	}
	return &stackUpdater{u: &fleet.StackUpdater{Platform: p, Stacks: stacks, Registry: registryOptions(p.Controller.InsecureRegistries)}}, nil
}

// update runs one round; it returns the changes made, as lines.
func (s *stackUpdater) update(ctx context.Context) ([]string, error) {
	rep, err := s.u.Update(ctx)
	var out []string
	if rep != nil {
		for _, c := range rep.Changes {
			out = append(out, c.String())
		}
	}
	return out, err
}
