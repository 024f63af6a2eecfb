package cli

import (
	"context"
	"fmt"
	"log/slog"
	"os"

	"github.com/spf13/cobra"
	"k8s.io/client-go/rest"

	"github.com/goldenpath-dev/goldenpath/contract"
	"github.com/goldenpath-dev/goldenpath/goldenpath"
	"github.com/goldenpath-dev/goldenpath/goldenpath/cluster"
	"github.com/goldenpath-dev/goldenpath/goldenpath/statuspage"
)

// clusterFlags are --platform and --kubeconfig of the commands that read
// the cluster.
type clusterFlags struct {
	pf         platformFlag
	kubeconfig string
}

func (f *clusterFlags) add(c *cobra.Command) {
	f.pf.add(c)
	c.Flags().StringVar(&f.kubeconfig, "kubeconfig", "", "kubeconfig `FILE` of the cluster (default: in a pod its service account, else $KUBECONFIG or ~/.kube/config)")
}

// load reads the platform (a usage error when it is wrong) and the cluster
// configuration.
func (f *clusterFlags) load() (*contract.Platform, *rest.Config, error) {
	p, err := goldenpath.LoadPlatformFile(f.pf.path)
	if err != nil {
		return nil, nil, &exitError{code: ExitUsage, err: err}
	}
	kube, err := kubeConfig(f.kubeconfig)
	return p, kube, err
}

func newStatusCommand(streams Streams) *cobra.Command {
	var (
		cf    clusterFlags
		serve string
	)
	c := &cobra.Command{
		Use:   "status [APP...]",
		Short: "Show each application's builds, pin, signature, run image and sync, read from the cluster (or serve it as a page)",
		Long: `Read each application's kpack Image and Builds, its Deployment and
ReplicaSets, its builder's ClusterStack and its Argo CD Application from the
cluster and print, per application and environment: the owner, the pinned
digest and its age, the latest build (number, reasons, result), for a failed
build the step that failed and the end of its log (recorded by goldenpath's
controller), whether the served image was signed (verified with the
platform's key by the controller: yes, no, or ? when not checked), the run
image and its state against the newest run image of its ClusterStack
(patched, rebase pending, rebuild needed, unknown), and Argo CD's sync and
health; then, per ClusterStack, how many applications serve from its newest
run image and why the others do not. -o json gives everything.

--serve serves the same as a web page (and its JSON API at /api/v1/status)
until interrupted, reading the cluster at each request with your
credentials: on 127.0.0.1:8082 by default; another address that is not
loopback needs a bearer token in $GOLDENPATH_STATUS_TOKEN.

Exit status 0 whatever the builds' results; 1 when the cluster cannot be
read or an APP has no kpack Image.`,
		Example: `  goldenpath status --platform platform.yaml
  goldenpath status --platform platform.yaml payments-api -o json
  goldenpath status --platform platform.yaml --serve            # http://127.0.0.1:8082/`,
		Args: cobra.ArbitraryArgs,
	}
	out := addOutput(c, cluster.StatusOutput, "json: everything (the status page's /api/v1/status document)")
	c.RunE = func(c *cobra.Command, args []string) error {
		pr, err := printer(out, cluster.StatusOutput)
		if err != nil {
			return err
		}
		p, kube, err := cf.load()
		if err != nil {
			return err
		}
		if serve != "" {
			return serveStatus(c.Context(), streams, serve, p, kube, args)
		}
		f, err := cluster.Status(c.Context(), cluster.StatusRequest{Platform: p, Apps: args, Kube: kube})
		if f != nil {
			if perr := pr.Print(streams.Out, f); perr != nil {
				return perr
			}
		}
		return err
	}
	cf.add(c)
	c.Flags().StringVar(&serve, "serve", "", "serve the status as a web page on `ADDR` (127.0.0.1:8082 when given without a value)")
	c.Flags().Lookup("serve").NoOptDefVal = "127.0.0.1:8082"
	return c
}

// serveStatus runs `status --serve`: the page until interrupted (Main
// cancels the context on SIGINT/SIGTERM).
func serveStatus(ctx context.Context, streams Streams, addr string, p *contract.Platform, kube *rest.Config, apps []string) error {
	if len(apps) > 0 {
		return usageErrorf("--serve shows every application: filter on the page (?q=NAME) instead of naming applications")
	}
	token := os.Getenv("GOLDENPATH_STATUS_TOKEN")
	if err := statuspage.CheckAddr(addr, token != ""); err != nil {
		return &exitError{code: ExitUsage, err: err}
	}
	return statuspage.Serve(ctx, statuspage.ServeRequest{
		Addr: addr, Platform: p, Kube: kube, Token: token,
		Log: slog.New(slog.NewTextHandler(streams.Err, nil)),
		Listening: func(a string) {
			fmt.Fprintf(streams.Err, "serving the status page of %s on http://%s/ (Ctrl-C to stop)\n", p.Name, a)
		},
	})
}
