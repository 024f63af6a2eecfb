package controller

import (
	"context"
	"time"

	"k8s.io/client-go/rest"
)

// stackRunnable is the stack updater as a reconciler of the controller:
// every interval it resolves the builders' stack images to digests and
// moves each ClusterStack whose images changed (kpack then rebases every
// Image on a patched run image). Leader only.
type stackRunnable struct {
	c        *core
	kube     *rest.Config
	interval time.Duration
}

func (s *stackRunnable) NeedLeaderElection() bool { return true }

func (s *stackRunnable) Start(ctx context.Context) error {
	u, err := newStackUpdater(s.c.platform, s.kube)
	if err != nil {
		return err
	}
	t := time.NewTicker(s.interval)
	defer t.Stop()
	failing := false
	for {
		changes, err := u.update(ctx)
		for _, ch := range changes {
			s.c.log.Info("stack updated", "change", ch)
		}
		switch {
		case err != nil && ctx.Err() == nil:
			if !failing {
				s.c.log.Error("stack update failed (retrying every interval)", "interval", s.interval.String(), "error", err)
			}
			failing = true
		case err == nil && failing:
			s.c.log.Info("stack update works again")
			failing = false
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}
