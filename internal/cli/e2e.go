package cli

import (
	"encoding/json"
	"fmt"
	"os"
	"os/signal"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/goldenpath-dev/goldenpath/goldenpath"
	"github.com/goldenpath-dev/goldenpath/internal/e2e"
)

func newE2ECommand(streams Streams) *cobra.Command {
	var (
		pf     platformFlag
		req    e2e.RunRequest
		keep   bool
		output string
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
		RunE: func(c *cobra.Command, args []string) error {
			if req.Contract == "" {
				return usageErrorf("-f CONTRACT is required")
			}
			if req.Image == "" && (req.Source == "" || req.Publish == "") {
				return usageErrorf("--source DIR and --publish REGISTRY are required (or --image REF to skip the build)")
			}
			if output != "text" && output != "json" {
				return usageErrorf("unknown output format %q (use text or json)", output)
			}
			p, err := goldenpath.LoadPlatformFile(pf.path)
			if err != nil {
				return &exitError{code: ExitUsage, err: err}
			}
			req.Platform, req.Output = p, streams.Err
			ctx, stop := signal.NotifyContext(c.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
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
			if output == "json" {
				enc := json.NewEncoder(streams.Out)
				enc.SetIndent("", "  ")
				return enc.Encode(map[string]any{
					"image": d.Image, "namespace": d.Namespace, "deployment": d.Name, "url": d.URL, "body": d.Body,
					"build": built, "rolloutSeconds": d.RolloutSeconds, "reachSeconds": d.ReachSeconds,
					"seconds": time.Since(started).Seconds(), "skipped": d.Skipped, "kept": keep,
				})
			}
			fmt.Fprintf(streams.Out, "image      %s\n", d.Image)
			fmt.Fprintf(streams.Out, "applied    %s\n", describeObjects(d))
			for _, k := range sortedKeys(d.Skipped) {
				fmt.Fprintf(streams.Out, "skipped    %s: %s\n", k, d.Skipped[k])
			}
			fmt.Fprintf(streams.Out, "rollout    deployment/%s in %s: %.1fs\n", d.Name, d.Namespace, d.RolloutSeconds)
			fmt.Fprintf(streams.Out, "answer     GET %s -> %s\n", d.URL, strings.TrimSpace(d.Body))
			fmt.Fprintf(streams.Out, "total      %.1fs%s\n", time.Since(started).Seconds(), map[bool]string{true: " (kept in the cluster)", false: ""}[keep])
			return nil
		},
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
	c.Flags().StringVarP(&output, "output", "o", "text", "output format: text or json")
	return c
}

func describeObjects(d *e2e.Deployed) string {
	var parts []string
	for _, o := range d.Applied {
		parts = append(parts, strings.ToLower(o.Kind())+"/"+o.Name())
	}
	sort.Strings(parts)
	return strings.Join(parts, ", ")
}
