package cli

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/goldenpath-dev/goldenpath/contract"
	"github.com/goldenpath-dev/goldenpath/goldenpath"
	"github.com/goldenpath-dev/goldenpath/goldenpath/fleet"
	"github.com/goldenpath-dev/goldenpath/goldenpath/output"
	"github.com/goldenpath-dev/goldenpath/render"
)

// platformFlag is the --platform flag shared by the commands that render.
type platformFlag struct{ path string }

func (f *platformFlag) add(c *cobra.Command) {
	c.Flags().StringVar(&f.path, "platform", "", "Platform `FILE` (default: the embedded default platform; see 'goldenpath platform default')")
}

func (f *platformFlag) option() (goldenpath.Option, error) {
	p, err := goldenpath.LoadPlatformFile(f.path)
	if err != nil {
		return nil, &exitError{code: ExitUsage, err: err}
	}
	return goldenpath.WithPlatform(p), nil
}

// emit prints objects as a YAML stream, or writes them as a tree under out.
func emit(streams Streams, out string, objs []render.Object) error {
	if out == "" {
		data, err := render.Stream(objs)
		if err != nil {
			return err
		}
		_, err = streams.Out.Write(data)
		return err
	}
	files, err := goldenpath.WriteTree(out, objs)
	if err != nil {
		return err
	}
	for _, f := range files {
		fmt.Fprintf(streams.Err, "wrote %s/%s\n", strings.TrimSuffix(out, "/"), f)
	}
	return nil
}

// problems prints contract problems like validate does and fails.
func problems(streams Streams, err error) error {
	if errs, ok := err.(contract.Errors); ok {
		for _, e := range errs {
			fmt.Fprintln(streams.Err, e.Error())
		}
		return &exitError{code: ExitFailure, err: fmt.Errorf("%s; nothing was rendered", output.Count(len(errs), "problem"))}
	}
	return err
}

func newRenderCommand(streams Streams) *cobra.Command {
	var (
		pf     platformFlag
		out    string
		images []string
	)
	c := &cobra.Command{
		Use:   "render PATH...",
		Short: "Render the kpack Image, runtime manifests and Argo CD Application of contracts",
		Long: `Render everything the cluster needs for each AppDeploymentRequest under PATH
(files, or folders of *.yaml/*.yml): the kpack Image (buildpack builds), the
Deployment, Service, Ingress and service bindings, a kustomization.yaml per
application folder, and the Argo CD Application. Output is deterministic:
rendering twice gives identical bytes.

Without --out, the objects are printed as one YAML stream. With --out, they
are written as a GitOps tree: <environment>/<application>/ per application
(the platform's gitops.path layout) and argocd/<environment>/<application>.yaml.`,
		Example: `  goldenpath render examples/contracts
  goldenpath render --out gitops/ contracts/
  goldenpath render --image registry.example.com/dev/payments-api@sha256:... app.yaml
  goldenpath render --image payments-api=registry.example.com/dev/payments-api@sha256:... contracts/`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			popt, err := pf.option()
			if err != nil {
				return err
			}
			if err := checkPaths(args); err != nil {
				return err
			}
			pins, err := goldenpath.ImagePins(images)
			if err != nil {
				return usageErrorf("--image %v", err)
			}
			objs, err := goldenpath.Render(c.Context(), args, popt, goldenpath.WithImages(pins))
			if err != nil {
				return problems(streams, err)
			}
			return emit(streams, out, objs)
		},
	}
	pf.add(c)
	c.Flags().StringVar(&out, "out", "", "write a GitOps tree under this folder instead of printing a YAML stream")
	c.Flags().StringArrayVar(&images, "image", nil, "pin the Deployment to an image digest: REF for a single contract, or APPLICATION=REF (repeatable)")
	return c
}

func newPlatformCommand(streams Streams) *cobra.Command {
	c := &cobra.Command{
		Use:   "platform",
		Short: "Platform-wide objects and configuration",
		Args:  cobra.NoArgs,
	}
	var (
		pf        platformFlag
		rf        registryFlags
		out       string
		pinStacks bool
	)
	renderCmd := &cobra.Command{
		Use:   "render",
		Short: "Render kpack ClusterStore/ClusterStack/ClusterLifecycle/ClusterBuilder, service accounts, Argo CD AppProjects and alerts",
		Example: `  goldenpath platform render --platform platform.yaml                 # one YAML stream on stdout
  goldenpath platform render --platform platform.yaml --out gitops/   # the platform's part of the GitOps tree
  goldenpath platform render --platform platform.yaml --pin-stacks --out gitops/   # ClusterStacks pinned by digest`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, args []string) error {
			popt, err := pf.option()
			if err != nil {
				return err
			}
			var objs []render.Object
			if pinStacks {
				var images []fleet.StackImage
				opts, oerr := rf.options()
				if oerr != nil {
					return oerr
				}
				objs, images, err = fleet.RenderPinnedPlatform(c.Context(), append(opts, popt)...)
				for _, img := range images {
					fmt.Fprintf(streams.Err, "builder %s: %s image %s is %s\n", img.Builder, img.Role, img.Ref, img.Pinned)
				}
			} else {
				objs, err = goldenpath.RenderPlatform(popt)
			}
			if err != nil {
				return problems(streams, err)
			}
			return emit(streams, out, objs)
		},
	}
	pf.add(renderCmd)
	rf.add(renderCmd)
	renderCmd.Flags().BoolVar(&pinStacks, "pin-stacks", false, "resolve each builder's stack build and run images to their current digests in the registry and render the ClusterStacks pinned to them")
	renderCmd.Flags().StringVar(&out, "out", "", "write the objects under this folder instead of printing a YAML stream")
	defaultCmd := &cobra.Command{
		Use:   "default",
		Short: "Print the embedded default Platform document, a starting point for your own",
		Example: `  goldenpath platform default > platform.yaml     # edit it, then:
  goldenpath validate platform.yaml
  goldenpath render --platform platform.yaml contracts/`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, args []string) error {
			_, err := streams.Out.Write(contract.DefaultPlatformYAML())
			return err
		},
	}
	c.AddCommand(renderCmd, defaultCmd, newUpdateStacksCommand(streams))
	return c
}
