package cli

import (
	"github.com/spf13/cobra"
	"k8s.io/client-go/rest"

	"github.com/goldenpath-dev/goldenpath/contract"
	"github.com/goldenpath-dev/goldenpath/goldenpath"
	"github.com/goldenpath-dev/goldenpath/goldenpath/cluster"
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
	var cf clusterFlags
	c := &cobra.Command{
		Use:   "status [APP...]",
		Short: "Show each application's builds, pin, signature and run image, read from the cluster",
		Long: `Read each application's kpack Image and Builds, and its Deployment, from the
cluster and print, per application and environment: the pinned digest, the
latest build (number, reasons, result), for a failed build the step that
failed and the end of its log (recorded by goldenpath's controller), whether
the built image was signed (verified with the platform's key by the
controller: yes, no, or ? when not checked), and the run image with whether
it is the newest the builder's stack has. -o json gives everything.

Exit status 0 whatever the builds' results; 1 when the cluster cannot be
read or an APP has no kpack Image.`,
		Example: `  goldenpath status --platform platform.yaml
  goldenpath status --platform platform.yaml payments-api -o json`,
		Args: cobra.ArbitraryArgs,
	}
	out := addOutput(c, cluster.StatusOutput, "json: everything")
	c.RunE = func(c *cobra.Command, args []string) error {
		pr, err := printer(out, cluster.StatusOutput)
		if err != nil {
			return err
		}
		p, kube, err := cf.load()
		if err != nil {
			return err
		}
		apps, err := cluster.Status(c.Context(), cluster.StatusRequest{Platform: p, Apps: args, Kube: kube})
		if perr := pr.Print(streams.Out, apps); perr != nil {
			return perr
		}
		return err
	}
	cf.add(c)
	return c
}
