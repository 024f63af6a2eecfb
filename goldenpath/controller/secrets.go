package controller

import (
	"context"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/types"

	"github.com/goldenpath-dev/goldenpath/pipeline/gitops"
)

// secretWebhookSecrets reads the webhook Secret (one key per provider),
// keeping what it read for a few seconds: a flood of requests costs the
// API server one read per period, and a rotated secret is used within it.
type secretWebhookSecrets struct {
	c   *core
	ttl time.Duration

	mu   sync.Mutex
	data map[string][]byte
	at   time.Time
}

func newSecretWebhookSecrets(c *core) *secretWebhookSecrets {
	return &secretWebhookSecrets{c: c, ttl: 5 * time.Second}
}

func (s *secretWebhookSecrets) Secret(ctx context.Context, p Provider) ([]byte, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.data == nil || time.Since(s.at) > s.ttl {
		var sec corev1.Secret
		err := s.c.reader.Get(ctx, types.NamespacedName{Namespace: s.c.namespace, Name: s.c.platform.Controller.WebhookSecret}, &sec)
		switch {
		case apierrors.IsNotFound(err):
			s.data = map[string][]byte{}
		case err != nil:
			return nil, false, err
		default:
			s.data = sec.Data
		}
		s.at = time.Now()
	}
	v, ok := s.data[string(p)]
	return v, ok, nil
}

// gitAuth reads the controller's git Secret (username and password); a
// missing Secret is anonymous access.
func (c *core) gitAuth(ctx context.Context) (gitops.Auth, error) {
	var sec corev1.Secret
	err := c.reader.Get(ctx, types.NamespacedName{Namespace: c.namespace, Name: c.platform.Controller.GitSecret}, &sec)
	if apierrors.IsNotFound(err) {
		return gitops.Auth{}, nil
	}
	if err != nil {
		return gitops.Auth{}, err
	}
	return gitops.Auth{Username: string(sec.Data["username"]), Password: string(sec.Data["password"])}, nil
}
