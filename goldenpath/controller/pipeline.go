package controller

import (
	"context"
	"errors"

	"github.com/google/go-containerregistry/pkg/name"
	"k8s.io/client-go/rest"

	"github.com/goldenpath-dev/goldenpath/contract"
	"github.com/goldenpath-dev/goldenpath/pipeline"
)

// The controller's calls into pipeline, kept in this one file: the verify
// gate (cosign signature, SLSA provenance) and the stack updater.

// verification is the outcome of a check that ran: ok, or refused with a
// kind (pipeline.FailureUnsigned, FailureKeyMismatch, FailureNoAttestation)
// and a message.
type verification struct {
	ok      bool
	kind    string
	message string
}

type verifyKey struct{ key *pipeline.VerificationKey }

func loadVerifyKey(pem string) (*verifyKey, error) {
	k, err := pipeline.LoadVerificationKey([]byte(pem))
	if err != nil {
		return nil, err
	}
	return &verifyKey{key: k}, nil
}

func (k *verifyKey) id() string { return k.key.KeyID() }

// supplyOptions reach the image's registry over plain HTTP when the
// platform names its host (loopback registries always are).
func supplyOptions(image string, insecure []string) []pipeline.SupplyChainOption {
	ref, err := name.ParseReference(image)
	if err != nil {
		return nil
	}
	for _, h := range insecure {
		if ref.Context().RegistryStr() == h {
			return []pipeline.SupplyChainOption{pipeline.WithInsecureRegistry(true)}
		}
	}
	return nil
}

// verifySignature checks the image's cosign signature with the key. An
// error is a check that could not run (registry unreachable): try again.
func verifySignature(ctx context.Context, image string, k *verifyKey, insecure []string) (verification, error) {
	_, err := pipeline.Verify(ctx, image, k.key, supplyOptions(image, insecure)...)
	return classify(err)
}

// verifyProvenance checks the image's SLSA provenance attestation.
func verifyProvenance(ctx context.Context, image string, k *verifyKey, insecure []string) (verification, error) {
	_, err := pipeline.VerifyProvenance(ctx, image, k.key, supplyOptions(image, insecure)...)
	return classify(err)
}

func classify(err error) (verification, error) {
	var ve *pipeline.VerificationError
	switch {
	case err == nil:
		return verification{ok: true}, nil
	case errors.As(err, &ve):
		return verification{kind: ve.Kind, message: ve.Error()}, nil
	}
	return verification{}, err
}

// stackUpdater is the stack updater of goldenpath platform update-stacks.
type stackUpdater struct{ u *pipeline.StackUpdater }

func newStackUpdater(p *contract.Platform, kube *rest.Config) (*stackUpdater, error) {
	stacks, err := pipeline.NewKubeClusterStacks(kube)
	if err != nil {
		return nil, err
	}
	return &stackUpdater{u: &pipeline.StackUpdater{
		Platform: p,
		Stacks:   stacks,
		Registry: []pipeline.RegistryOption{pipeline.WithInsecureRegistries(p.Controller.InsecureRegistries...)},
	}}, nil
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
