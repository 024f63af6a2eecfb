package controller

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/go-logr/logr"
	kpack "github.com/pivotal/kpack/pkg/apis/build/v1alpha2"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	"k8s.io/klog/v2"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/config"
	"sigs.k8s.io/controller-runtime/pkg/healthz"
	"sigs.k8s.io/controller-runtime/pkg/manager"
	ctrlmetrics "sigs.k8s.io/controller-runtime/pkg/metrics"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	"github.com/goldenpath-dev/goldenpath/contract"
	"github.com/goldenpath-dev/goldenpath/internal/httpserve"
	"github.com/goldenpath-dev/goldenpath/render"
)

// Config is what Run needs. Platform and Kube are required; the rest has
// defaults.
type Config struct {
	// Platform is the platform the controller serves (its environments,
	// GitOps repositories, controller block). Required.
	Platform *contract.Platform
	// Kube reaches the cluster. Required.
	Kube *rest.Config
	// Namespace the controller runs in (lease, Secrets, replay record).
	// Default: the platform's controller.namespace.
	Namespace string
	// WebhookAddr, MetricsAddr and HealthAddr are the listen addresses of
	// the git webhook receiver, /metrics and /healthz + /readyz. Defaults:
	// :8080, :9090, :8081 (render's ports); "-" turns one off.
	WebhookAddr, MetricsAddr, HealthAddr string
	// StatusAddr is the listen address of the status page
	// (goldenpath/statuspage). Default 127.0.0.1:8082, reached with kubectl
	// port-forward; with a StatusToken :8082. "-" turns it off.
	StatusAddr string
	// StatusToken, when set, is the bearer token the status page requires.
	StatusToken string
	// NoLeaderElection runs the reconcilers without taking the lease (one
	// replica only, or tests).
	NoLeaderElection bool
	// LeaseDuration of the leader lease. Default 15s.
	LeaseDuration time.Duration
	// Log receives the controller's log. Default: slog's default logger.
	Log *slog.Logger
	// Metrics, when set, also registers the controller's metrics there
	// (they are always served on MetricsAddr).
	Metrics prometheus.Registerer
	// Ready, when set, is closed once every part has started.
	Ready chan<- struct{}
}

func (c *Config) defaults() error {
	if c.Platform == nil {
		return errors.New("controller: no platform")
	}
	if errs := c.Platform.Validate(); len(errs) > 0 {
		return errs
	}
	if c.Kube == nil {
		return errors.New("controller: no cluster configuration")
	}
	if c.Namespace == "" {
		c.Namespace = c.Platform.Controller.Namespace
	}
	for _, a := range []*string{&c.WebhookAddr, &c.MetricsAddr, &c.HealthAddr} {
		if *a == "" {
			switch a {
			case &c.WebhookAddr:
				*a = fmt.Sprintf(":%d", render.ControllerWebhookPort)
			case &c.MetricsAddr:
				*a = fmt.Sprintf(":%d", render.ControllerMetricsPort)
			case &c.HealthAddr:
				*a = fmt.Sprintf(":%d", render.ControllerHealthPort)
			}
		}
	}
	if c.StatusAddr == "" {
		c.StatusAddr = fmt.Sprintf("127.0.0.1:%d", render.ControllerStatusPort)
		if c.StatusToken != "" {
			c.StatusAddr = fmt.Sprintf(":%d", render.ControllerStatusPort)
		}
	}
	if c.LeaseDuration == 0 {
		c.LeaseDuration = 15 * time.Second
	}
	if c.Log == nil {
		c.Log = slog.Default()
	}
	return nil
}

// Scheme holds the API types the controller reads and writes: Kubernetes'
// own and kpack's.
func Scheme() (*runtime.Scheme, error) {
	s := runtime.NewScheme()
	if err := clientgoscheme.AddToScheme(s); err != nil {
		return nil, err
	}
	if err := kpack.AddToScheme(s); err != nil {
		return nil, err
	}
	return s, nil
}

// Run runs the controller until ctx ends: the webhook receiver on every
// replica; with the leader lease, the promoter, the build insight, the
// stack updater (when the platform sets an interval); /metrics and the
// health endpoints. It returns ctx's end as nil, else the first error.
func Run(ctx context.Context, cfg Config) error {
	if err := cfg.defaults(); err != nil {
		return err
	}
	p := cfg.Platform
	scheme, err := Scheme()
	if err != nil {
		return err
	}
	namespaces := map[string]cache.Config{}
	for _, env := range p.EnvironmentNames() {
		namespaces[p.Environments[contract.Environment(env)].Namespace] = cache.Config{}
	}
	healthAddr := cfg.HealthAddr
	if healthAddr == "-" {
		healthAddr = "0"
	}
	logger := logr.FromSlogHandler(cfg.Log.Handler())
	klog.SetLogger(logger) // client-go's leader election and reflectors log through klog
	skip := true
	lease := cfg.LeaseDuration
	renew := lease * 2 / 3
	retry := lease / 6
	mgr, err := ctrl.NewManager(cfg.Kube, manager.Options{
		Scheme:                        scheme,
		Logger:                        logger,
		Cache:                         cache.Options{DefaultNamespaces: namespaces, ByObject: statusCacheByObject(p)},
		Metrics:                       metricsserver.Options{BindAddress: "0"}, // served below, with ours
		HealthProbeBindAddress:        healthAddr,
		LeaderElection:                !cfg.NoLeaderElection,
		LeaderElectionID:              render.ControllerName,
		LeaderElectionNamespace:       cfg.Namespace,
		LeaderElectionReleaseOnCancel: true,
		LeaseDuration:                 &lease,
		RenewDeadline:                 &renew,
		RetryPeriod:                   &retry,
		Controller:                    config.Controller{SkipNameValidation: &skip},
	})
	if err != nil {
		return fmt.Errorf("controller: %w", err)
	}
	clientset, err := kubernetes.NewForConfig(cfg.Kube)
	if err != nil {
		return err
	}
	reg := prometheus.NewRegistry()
	m := newMetrics()
	if err := m.register(reg); err != nil {
		return err
	}
	if cfg.Metrics != nil {
		if err := m.register(cfg.Metrics); err != nil {
			return err
		}
	}
	c := &core{
		platform:  p,
		namespace: cfg.Namespace,
		client:    mgr.GetClient(),
		reader:    mgr.GetAPIReader(),
		clientset: clientset,
		recorder:  mgr.GetEventRecorderFor(render.ControllerName),
		log:       cfg.Log,
		metrics:   m,
		started:   time.Now(),
	}
	if err := reg.Register(&kpackCollector{c: c}); err != nil {
		return err
	}
	prom := newPromoter(c)
	if err := mgr.Add(prom); err != nil {
		return err
	}
	if err := setupPromoteReconciler(mgr, c, prom); err != nil {
		return err
	}
	if err := setupBuildReconciler(mgr, c); err != nil {
		return err
	}
	if p.Controller.StackInterval() > 0 {
		if err := mgr.Add(&stackRunnable{c: c, kube: cfg.Kube, interval: p.Controller.StackInterval()}); err != nil {
			return err
		}
	}
	if cfg.WebhookAddr != "-" {
		recv := &WebhookReceiver{
			Secrets:   newSecretWebhookSecrets(c),
			Replay:    &configMapReplay{reader: c.reader, client: c.client, namespace: c.namespace, name: render.ControllerName + "-deliveries", max: 1000},
			Handler:   &trigger{c: c},
			MaxBytes:  p.Controller.MaxWebhookBytes,
			Log:       cfg.Log,
			Delivered: m.delivered,
		}
		mux := http.NewServeMux()
		mux.Handle(WebhookPath, recv)
		if err := mgr.Add(&httpRunnable{name: "webhooks", addr: cfg.WebhookAddr, handler: mux, log: cfg.Log}); err != nil {
			return err
		}
	}
	if cfg.StatusAddr != "-" {
		if err := addStatusPage(mgr, cfg); err != nil {
			return err
		}
	}
	if cfg.MetricsAddr != "-" {
		gatherers := prometheus.Gatherers{reg, ctrlmetrics.Registry}
		mux := http.NewServeMux()
		mux.Handle("/metrics", promhttp.HandlerFor(gatherers, promhttp.HandlerOpts{}))
		if err := mgr.Add(&httpRunnable{name: "metrics", addr: cfg.MetricsAddr, handler: mux, log: cfg.Log}); err != nil {
			return err
		}
	}
	if healthAddr != "0" {
		if err := mgr.AddHealthzCheck("ping", healthz.Ping); err != nil {
			return err
		}
		if err := mgr.AddReadyzCheck("cache", func(r *http.Request) error {
			ctx, cancel := context.WithTimeout(r.Context(), time.Second)
			defer cancel()
			if !mgr.GetCache().WaitForCacheSync(ctx) {
				return errors.New("cache not synced")
			}
			return nil
		}); err != nil {
			return err
		}
	}
	if cfg.Ready != nil {
		ready := cfg.Ready
		if err := mgr.Add(manager.RunnableFunc(func(ctx context.Context) error {
			if mgr.GetCache().WaitForCacheSync(ctx) {
				close(ready)
			}
			<-ctx.Done()
			return nil
		})); err != nil {
			return err
		}
	}
	cfg.Log.Info("goldenpath controller starting", "namespace", cfg.Namespace, "environments", p.EnvironmentNames(),
		"webhooks", cfg.WebhookAddr, "metrics", cfg.MetricsAddr, "health", healthAddr, "status", cfg.StatusAddr, "statusToken", cfg.StatusToken != "", "leaderElection", !cfg.NoLeaderElection,
		"verify", p.Controller.PublicKey != "", "stackUpdateInterval", p.Controller.StackInterval().String())
	return mgr.Start(ctx)
}

// httpRunnable serves a handler on every replica until the manager stops.
type httpRunnable struct {
	name, addr string
	handler    http.Handler
	log        *slog.Logger
}

func (h *httpRunnable) NeedLeaderElection() bool { return false }

func (h *httpRunnable) Start(ctx context.Context) error {
	l, err := net.Listen("tcp", h.addr)
	if err != nil {
		return fmt.Errorf("%s: %w", h.name, err)
	}
	h.log.Info("serving "+h.name, "addr", l.Addr().String())
	if err := httpserve.Serve(ctx, l, h.handler); err != nil {
		return fmt.Errorf("%s: %w", h.name, err)
	}
	return nil
}
