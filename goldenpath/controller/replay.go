package controller

import (
	"context"
	"fmt"
	"sort"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/goldenpath-dev/goldenpath/render"
)

// configMapReplay remembers the last max webhook deliveries in a ConfigMap
// (key -> time received), so that every replica and every restart of the
// controller refuses a replay. Updates are optimistic (resourceVersion):
// two replicas receiving the same delivery at once cannot both accept it.
type configMapReplay struct {
	reader          client.Reader
	client          client.Client
	namespace, name string
	max             int
}

func (r *configMapReplay) key() types.NamespacedName {
	return types.NamespacedName{Namespace: r.namespace, Name: r.name}
}

// update applies f to the ConfigMap's data (creating it), retrying on
// conflicts; f returns false to leave it unchanged.
func (r *configMapReplay) update(ctx context.Context, f func(data map[string]string) bool) error {
	for attempt := 0; attempt < 8; attempt++ {
		var cm corev1.ConfigMap
		err := r.reader.Get(ctx, r.key(), &cm)
		create := apierrors.IsNotFound(err)
		if err != nil && !create {
			return err
		}
		if cm.Data == nil {
			cm.Data = map[string]string{}
		}
		if !f(cm.Data) {
			return nil
		}
		if create {
			cm.Namespace, cm.Name = r.namespace, r.name
			cm.Labels = map[string]string{"app.kubernetes.io/managed-by": render.ManagedBy, "app.kubernetes.io/name": render.ControllerName}
			err = r.client.Create(ctx, &cm)
		} else {
			err = r.client.Update(ctx, &cm)
		}
		if apierrors.IsConflict(err) || apierrors.IsAlreadyExists(err) {
			continue
		}
		return err
	}
	return fmt.Errorf("recording webhook deliveries in ConfigMap %s: too many conflicting updates", r.key())
}

func (r *configMapReplay) Reserve(ctx context.Context, keys []string) (bool, error) {
	fresh := true
	err := r.update(ctx, func(data map[string]string) bool {
		fresh = true
		for _, k := range keys {
			if _, seen := data[k]; seen {
				fresh = false
				return false
			}
		}
		now := time.Now().UTC().Format(replayTimeFormat)
		for _, k := range keys {
			data[k] = now
		}
		evictOldest(data, r.max)
		return true
	})
	return fresh, err
}

func (r *configMapReplay) Release(ctx context.Context, keys []string) error {
	return r.update(ctx, func(data map[string]string) bool {
		changed := false
		for _, k := range keys {
			if _, ok := data[k]; ok {
				delete(data, k)
				changed = true
			}
		}
		return changed
	})
}

// evictOldest keeps the max most recent entries (values are RFC 3339
// times, which sort as text).
func evictOldest(data map[string]string, max int) {
	if max <= 0 || len(data) <= max {
		return
	}
	keys := make([]string, 0, len(data))
	for k := range data {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if data[keys[i]] != data[keys[j]] {
			return data[keys[i]] < data[keys[j]]
		}
		return keys[i] < keys[j]
	})
	for _, k := range keys[:len(keys)-max] {
		delete(data, k)
	}
}

// replayTimeFormat has a fixed width, so that the times sort as text.
const replayTimeFormat = "2006-01-02T15:04:05.000000000Z"
