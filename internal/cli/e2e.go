package cli

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/goldenpath-dev/goldenpath/goldenpath"
	"github.com/goldenpath-dev/goldenpath/goldenpath/build"
	"github.com/goldenpath-dev/goldenpath/goldenpath/output"
	"github.com/goldenpath-dev/goldenpath/internal/e2e"
)

func newE2ECommand(streams Streams) *cobra.Command {
	var (
		pf   platformFlag
		req  e2e.RunRequest
		keep bool
	)
	c := &cobra.Command{
		Use:   "e2e -f CONTRACT --source DIR --publish REGISTRY",
		Short: "Build an application, run it on the e2e Kubernetes cluster and check that it answers",
		Long: `Run the golden path end to end on a real cluster: build and publish the image
the contract describes (as goldenpath build does), render the application's
objects pinned to the published digest, apply its runtime objects to the
cluster hack/kind/setup.sh made (the namespace, a test Secret per binding,
the Deployment, Service and Ingress; not the kpack Image or Argo CD
Application: the image is built already), wait for the rollout and ask the Service
over HTTP, through a NodePort published on 127.0.0.1 (or kubectl
port-forward). The answer is printed; with --expect it must contain TEXT.
Everything applied is removed afterwards unless --keep.

The cluster is read from $GOLDENPATH_KUBECONFIG and $GOLDENPATH_KUBECTL, else
from $GOLDENPATH_CACHE/env.sh (written by hack/setup.sh kind).`,
		Example: `  bash hack/setup.sh && bash hack/setup.sh kind && source /var/cache/goldenpath/env.sh
  goldenpath e2e --platform examples/platform/local.yaml -f examples/apps/go/goldenpath.yaml --source . \
      --publish $GOLDENPATH_REGISTRY/apps --expect "hello from goldenpath go app"`,
	}
	out := addOutput(c, e2eOutput, "")
	c.RunE = func(c *cobra.Command, args []string) error {
		pr, err := printer(out, e2eOutput)
		if err != nil {
			return err
		}
		if req.Contract == "" {
			return usageErrorf("-f CONTRACT is required")
		}
		if req.Image == "" && (req.Source == "" || req.Publish == "") {
			return usageErrorf("--source DIR and --publish REGISTRY are required (or --image REF to skip the build)")
		}
		if err := checkPaths([]string{req.Contract}); err != nil {
			return err
		}
		p, err := goldenpath.LoadPlatformFile(pf.path)
		if err != nil {
			return &exitError{code: ExitUsage, err: err}
		}
		req.Platform, req.Output = p, streams.Err
		ctx := c.Context()
		cluster, err := e2e.Connect(ctx)
		if err != nil {
			return err
		}
		cluster.Log = streams.Err
		started := time.Now()
		d, built, err := cluster.Run(ctx, req)
		if d != nil && !keep {
			defer d.Cleanup()
		}
		if err != nil {
			return err
		}
		return pr.Print(streams.Out, &e2eResult{d: d, built: built, seconds: time.Since(started).Seconds(), kept: keep})
	}
	pf.add(c)
	c.Flags().StringVarP(&req.Contract, "file", "f", "", "contract file")
	c.Flags().StringVar(&req.Application, "app", "", "application to run when the file holds several requests")
	c.Flags().StringVar(&req.Source, "source", "", "checkout of the application's repository (the contract's subPath applies)")
	c.Flags().StringVar(&req.Publish, "publish", "", "registry prefix to push to and pull from (REGISTRY[/path])")
	c.Flags().StringVar(&req.Image, "image", "", "deploy this image reference instead of building (pinned by digest, REPO@sha256:...)")
	c.Flags().StringVar(&req.Expect, "expect", "", "text the HTTP answer must contain")
	c.Flags().StringVar(&req.Path, "path", "/", "HTTP path to ask")
	c.Flags().DurationVar(&req.Timeout, "timeout", 3*time.Minute, "how long the rollout and the first answer may take")
	c.Flags().BoolVar(&req.PortForward, "port-forward", false, "reach the Service with kubectl port-forward instead of a NodePort")
	c.Flags().BoolVar(&keep, "keep", false, "leave the application running in the cluster")
	return c
}

// e2eResult is what an e2e run did.
type e2eResult struct {
	d       *e2e.Deployed
	built   *build.Result
	seconds float64
	kept    bool
}

// e2eOutput prints an e2e run: text (a line per step) or json.
var e2eOutput = output.Printers[*e2eResult]{
	output.Text: output.PrinterFunc[*e2eResult](func(w io.Writer, r *e2eResult) error {
		d := r.d
		fmt.Fprintf(w, "image      %s\n", d.Image)
		fmt.Fprintf(w, "applied    %s\n", describeObjects(d))
		for _, k := range sortedKeys(d.Skipped) {
			fmt.Fprintf(w, "skipped    %s: %s\n", k, d.Skipped[k])
		}
		fmt.Fprintf(w, "rollout    deployment/%s in %s: %.1fs\n", d.Name, d.Namespace, d.RolloutSeconds)
		fmt.Fprintf(w, "answer     GET %s -> %s\n", d.URL, output.Printable(strings.TrimSpace(d.Body)))
		kept := ""
		if r.kept {
			kept = " (kept in the cluster)"
		}
		_, err := fmt.Fprintf(w, "total      %.1fs%s\n", r.seconds, kept)
		return err
	}),
	output.JSON: output.PrinterFunc[*e2eResult](func(w io.Writer, r *e2eResult) error {
		d := r.d
		return output.JSONPrinter[map[string]any]().Print(w, map[string]any{
			"image": d.Image, "namespace": d.Namespace, "deployment": d.Name, "url": d.URL, "body": d.Body,
			"build": r.built, "rolloutSeconds": d.RolloutSeconds, "reachSeconds": d.ReachSeconds,
			"seconds": r.seconds, "skipped": d.Skipped, "kept": r.kept,
		})
	}),
}

func describeObjects(d *e2e.Deployed) string {
	var parts []string
	for _, o := range d.Applied {
		parts = append(parts, strings.ToLower(o.Kind())+"/"+o.Name())
	}
	sort.Strings(parts)
	return strings.Join(parts, ", ")
}
