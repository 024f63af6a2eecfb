package controller

import (
	"context"
	"time"

	kpack "github.com/pivotal/kpack/pkg/apis/build/v1alpha2"
	corev1alpha1 "github.com/pivotal/kpack/pkg/apis/core/v1alpha1"
	"github.com/prometheus/client_golang/prometheus"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/goldenpath-dev/goldenpath/contract"
	"github.com/goldenpath-dev/goldenpath/render"
)

// Build statuses of kpack_build_status.
const (
	statusSucceeded = "succeeded"
	statusFailed    = "failed"
	statusRunning   = "running"
)

var buildStatuses = []string{statusSucceeded, statusFailed, statusRunning}

// metrics are the counters and histograms the reconcilers update; the
// gauges (kpack_build_status, kpack_builder_ready) are read from the
// informer cache at each scrape by kpackCollector.
type metrics struct {
	buildDuration *prometheus.HistogramVec
	rebuilds      *prometheus.CounterVec
	promotions    *prometheus.CounterVec
	refusals      *prometheus.CounterVec
	webhooks      *prometheus.CounterVec
	buildToPin    *prometheus.HistogramVec
	failures      *prometheus.CounterVec
}

func newMetrics() *metrics {
	return &metrics{
		buildDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    render.MetricBuildDuration,
			Help:    "Duration of kpack builds, from the Build's creation to its completion.",
			Buckets: []float64{5, 10, 20, 30, 45, 60, 90, 120, 180, 300, 600, 1200},
		}, []string{"result"}),
		rebuilds: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: render.MetricRebuilds,
			Help: "kpack Builds seen, by reason (a Build with several reasons counts once for each).",
		}, []string{"reason"}),
		promotions: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: render.MetricPromotions,
			Help: "Pins written to the GitOps repository, by environment and result (pinned, unchanged, error).",
		}, []string{"environment", "result"}),
		refusals: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: render.MetricRefusals,
			Help: "Builds the verify gate refused to pin, by reason (unsigned, key-mismatch, no-attestation, wrong-repository).",
		}, []string{"reason"}),
		webhooks: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: render.MetricWebhookDeliveries,
			Help: "Git webhook deliveries, by provider and result.",
		}, []string{"provider", "result"}),
		buildToPin: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    render.MetricBuildToPin,
			Help:    "Seconds from a kpack build's completion to its pin being pushed to the GitOps repository.",
			Buckets: []float64{0.5, 1, 2, 3, 5, 10, 20, 30, 60, 120, 300},
		}, []string{"environment"}),
		failures: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: render.MetricBuildFailures,
			Help: "Failed kpack builds, by the step that failed.",
		}, []string{"step"}),
	}
}

func (m *metrics) register(r prometheus.Registerer) error {
	for _, c := range []prometheus.Collector{m.buildDuration, m.rebuilds, m.promotions, m.refusals, m.webhooks, m.buildToPin, m.failures} {
		if err := r.Register(c); err != nil {
			return err
		}
	}
	return nil
}

func (m *metrics) delivered(p Provider, result string) {
	m.webhooks.WithLabelValues(string(p), result).Inc()
}

// kpackCollector exports the state of kpack objects as gauges, read from
// the informer cache at each scrape (as kube-state-metrics does): a deleted
// Image's series disappears with it.
type kpackCollector struct{ c *core }

var (
	buildStatusDesc = prometheus.NewDesc(render.MetricBuildStatus,
		"Status of each kpack Image's latest build: 1 for its status (succeeded, failed, running), 0 for the others.",
		[]string{"image", "namespace", "status"}, nil)
	builderReadyDesc = prometheus.NewDesc(render.MetricBuilderReady,
		"1 when the kpack ClusterBuilder is Ready, else 0.", []string{"builder"}, nil)
)

func (k *kpackCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- buildStatusDesc
	ch <- builderReadyDesc
}

func (k *kpackCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	seen := map[string]bool{}
	for _, env := range k.c.platform.EnvironmentNames() {
		ns := k.c.platform.Environments[contract.Environment(env)].Namespace
		if seen[ns] {
			continue
		}
		seen[ns] = true
		var images kpack.ImageList
		if err := k.c.client.List(ctx, &images, client.InNamespace(ns)); err != nil {
			k.c.log.Warn("metrics: listing kpack Images", "namespace", ns, "error", err)
			continue
		}
		for _, img := range images.Items {
			if img.Status.LatestBuildRef == "" {
				continue
			}
			var b kpack.Build
			if err := k.c.client.Get(ctx, types.NamespacedName{Namespace: ns, Name: img.Status.LatestBuildRef}, &b); err != nil {
				continue
			}
			status := buildStatus(&b)
			for _, s := range buildStatuses {
				v := 0.0
				if s == status {
					v = 1
				}
				ch <- prometheus.MustNewConstMetric(buildStatusDesc, prometheus.GaugeValue, v, img.Name, ns, s)
			}
		}
	}
	var builders kpack.ClusterBuilderList
	if err := k.c.client.List(ctx, &builders); err != nil {
		k.c.log.Warn("metrics: listing kpack ClusterBuilders", "error", err)
		return
	}
	for _, b := range builders.Items {
		v := 0.0
		if c := b.Status.GetCondition(corev1alpha1.ConditionReady); c != nil && c.Status == corev1.ConditionTrue {
			v = 1
		}
		ch <- prometheus.MustNewConstMetric(builderReadyDesc, prometheus.GaugeValue, v, b.Name)
	}
}

func buildStatus(b *kpack.Build) string {
	switch {
	case b.IsSuccess():
		return statusSucceeded
	case b.IsFailure():
		return statusFailed
	}
	return statusRunning
}
