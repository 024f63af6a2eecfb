package cli

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

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
	c.Flags().StringVar(&f.kubeconfig, "kubeconfig", "", "kubeconfig of the cluster (default: in a pod its service account, else $KUBECONFIG or ~/.kube/config)")
}

// load reads the platform (a usage error when it is wrong) and the cluster
// configuration.
func (f *clusterFlags) load() (*contract.Platform, *rest.Config, error) {
	p, err := goldenpath.LoadPlatformFile(f.pf.path)
	if err != nil {
		return nil, nil, &exitError{code: ExitUsage, err: err}
	}
	kube, err := cluster.KubeConfig(f.kubeconfig)
	return p, kube, err
}

func newStatusCommand(streams Streams) *cobra.Command {
	var (
		cf clusterFlags
		of outputFlag
	)
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

Exit status: 0 on success (whatever the builds' results), 1 on failure
(cluster unreachable, an APP without a kpack Image), 2 on usage errors.`,
		Example: `  goldenpath status --platform platform.yaml
  goldenpath status --platform platform.yaml payments-api -o json`,
		Args: cobra.ArbitraryArgs,
		RunE: func(c *cobra.Command, args []string) error {
			if err := of.check(); err != nil {
				return err
			}
			p, kube, err := cf.load()
			if err != nil {
				return err
			}
			apps, err := cluster.Status(c.Context(), cluster.StatusRequest{Platform: p, Apps: args, Kube: kube})
			if of.format == "json" {
				if apps == nil {
					apps = []cluster.AppStatus{}
				}
				if werr := writeJSON(streams.Out, apps); werr != nil {
					return werr
				}
			} else {
				printStatus(streams.Out, apps)
			}
			return err
		},
	}
	cf.add(c)
	of.add(c)
	return c
}

func printStatus(w io.Writer, apps []cluster.AppStatus) {
	if len(apps) == 0 {
		fmt.Fprintln(w, "no application built by kpack in the platform's environments")
		return
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ENVIRONMENT\tAPPLICATION\tPINNED\tBUILD\tREASONS\tRESULT\tFAILED STEP\tSIGNED\tRUN IMAGE")
	for _, a := range apps {
		build, reasons, result, step, signed := "-", "-", "-", "-", "-"
		if b := a.LatestBuild; b != nil {
			build = fmt.Sprintf("%d", b.Number)
			reasons = strings.Join(b.Reason, ",")
			result, signed = b.Result, signedMark(b.Signed)
			if b.FailedStep != "" {
				step = b.FailedStep
				if b.ExitCode != 0 {
					step += fmt.Sprintf(" (exit %d)", b.ExitCode)
				}
			}
			if b.Result == "failed" && a.LastSuccess != nil {
				signed = signedMark(a.LastSuccess.Signed) + fmt.Sprintf(" (build %d)", a.LastSuccess.Number)
			}
		}
		run := "-"
		switch {
		case a.RunImage == "":
		case a.RunImageCurrent:
			run = shortDigest(a.RunImage) + " (newest)"
		case a.NewestRunImage != "":
			run = shortDigest(a.RunImage) + " (newer: " + shortDigest(a.NewestRunImage) + ")"
		default:
			run = shortDigest(a.RunImage)
		}
		pinned := "-"
		if a.Pinned != "" {
			pinned = shortDigest(a.Pinned)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", a.Environment, a.Application, pinned, build, reasons, result, step, signed, run)
	}
	tw.Flush()
	for _, a := range apps {
		b := a.LatestBuild
		if b == nil || b.Result != "failed" {
			continue
		}
		fmt.Fprintf(w, "\n%s/%s build %d failed", a.Environment, a.Application, b.Number)
		if b.FailedStep != "" {
			fmt.Fprintf(w, " in step %s", b.FailedStep)
		}
		if b.FailureReason != "" {
			fmt.Fprintf(w, " (%s)", b.FailureReason)
		}
		fmt.Fprintln(w, ":")
		if b.Excerpt == "" {
			fmt.Fprintln(w, "    (no log recorded: is goldenpath's controller running?)")
		}
		for _, l := range strings.Split(b.Excerpt, "\n") {
			if b.Excerpt != "" {
				fmt.Fprintf(w, "    %s\n", l)
			}
		}
	}
	for _, a := range apps {
		if b := a.LatestBuild; b != nil && b.Refused != "" {
			fmt.Fprintf(w, "\n%s/%s build %d was not pinned: %s\n", a.Environment, a.Application, b.Number, b.Refused)
		}
	}
}

func signedMark(s string) string {
	if s == "unknown" || s == "" {
		return "?"
	}
	return s
}

// shortDigest shows the first 12 hex digits of a digest or pinned reference.
func shortDigest(ref string) string {
	d := ref
	if _, after, ok := strings.Cut(ref, "@"); ok {
		d = after
	}
	if h, ok := strings.CutPrefix(d, "sha256:"); ok && len(h) > 12 {
		return "sha256:" + h[:12]
	}
	return d
}
