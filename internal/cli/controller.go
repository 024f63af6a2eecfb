package cli

import (
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/goldenpath-dev/goldenpath/goldenpath/controller"
	"github.com/goldenpath-dev/goldenpath/render"
)

func newControllerCommand(streams Streams) *cobra.Command {
	var (
		cf        clusterFlags
		cfg       controller.Config
		logFormat string
	)
	c := &cobra.Command{
		Use:   "controller --platform FILE",
		Short: "Run the in-cluster controller: git webhooks, promotion, verify gate, build insight, stack updates, metrics",
		Long: `Run goldenpath's controller until interrupted (SIGTERM, SIGINT). It is what
makes the golden path run by itself in a cluster with kpack and Argo CD:

  webhooks    POST /webhooks/{github,gitlab,gitea,generic} on --webhook-addr:
              a verified push makes kpack build the pushed branch now, and
              Argo CD refresh the Applications of a pushed GitOps repository
  promotion   each successful kpack build of an application is verified
              (cosign signature with the platform's controller.publicKey),
              pinned in the application's GitOps folder in one commit, and
              Argo CD is asked to refresh
  insight     a failed build's failing step and the end of its log, as
              annotations on the Build and an Event on the Image
  stacks      the stack updater every controller.stackUpdateInterval
  metrics     /metrics on --metrics-addr; /healthz and /readyz on --health-addr
  status      the read-only status page on --status-addr (127.0.0.1:8082:
              kubectl port-forward; with a bearer token in
              $GOLDENPATH_STATUS_TOKEN, :8082)

Every replica answers webhooks; one (the holder of the lease) reconciles.
'goldenpath platform render' emits its Deployment when the platform sets
controller.image. Logs are JSON lines on standard error.

Exit status: 0 when stopped by a signal, 1 on failure, 2 on usage errors.`,
		Example: `  goldenpath controller --platform /etc/goldenpath/platform.yaml
  goldenpath controller --platform platform.yaml --kubeconfig ~/.kube/config --no-leader-election`,
		RunE: func(c *cobra.Command, args []string) error {
			if cf.pf.path == "" {
				return usageErrorf("--platform is required: the controller serves one platform")
			}
			var h slog.Handler
			switch logFormat {
			case "json":
				h = slog.NewJSONHandler(streams.Err, nil)
			case "text":
				h = slog.NewTextHandler(streams.Err, nil)
			default:
				return usageErrorf("unknown log format %q (use json or text)", logFormat)
			}
			p, kube, err := cf.load()
			if err != nil {
				return err
			}
			if cfg.Namespace == "" {
				cfg.Namespace = os.Getenv("POD_NAMESPACE")
			}
			ctx, stop := signal.NotifyContext(c.Context(), syscall.SIGTERM, syscall.SIGINT)
			defer stop()
			cfg.Platform, cfg.Kube, cfg.Log = p, kube, slog.New(h)
			cfg.StatusToken = os.Getenv(render.ControllerStatusTokenEnv)
			return controller.Run(ctx, cfg)
		},
	}
	cf.add(c)
	f := c.Flags()
	f.StringVar(&cfg.Namespace, "namespace", "", "namespace the controller runs in (default: $POD_NAMESPACE, else the platform's controller.namespace)")
	f.StringVar(&cfg.WebhookAddr, "webhook-addr", "", "listen address of the git webhook receiver (default :8080; - for none)")
	f.StringVar(&cfg.MetricsAddr, "metrics-addr", "", "listen address of /metrics (default :9090; - for none)")
	f.StringVar(&cfg.HealthAddr, "health-addr", "", "listen address of /healthz and /readyz (default :8081; - for none)")
	f.StringVar(&cfg.StatusAddr, "status-addr", "", "listen address of the status page (default 127.0.0.1:8082, or :8082 with $GOLDENPATH_STATUS_TOKEN; - for none)")
	f.BoolVar(&cfg.NoLeaderElection, "no-leader-election", false, "reconcile without taking the lease (a single replica only)")
	f.DurationVar(&cfg.LeaseDuration, "lease-duration", 0, "leader lease duration (default 15s)")
	f.StringVar(&logFormat, "log-format", "json", "log format: json or text")
	return c
}
