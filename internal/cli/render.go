package cli

import (
	"fmt"
	"io"
	"path/filepath"
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

// printTree reports a tree write: each file written, removed, overwritten,
// adopted or kept, each pin dropped, then a summary line.
func printTree(w io.Writer, rep *goldenpath.TreeReport) {
	dir := strings.TrimSuffix(rep.Dir, "/")
	for _, f := range rep.Written {
		fmt.Fprintf(w, "wrote %s/%s\n", dir, f)
	}
	for _, f := range rep.Removed {
		fmt.Fprintf(w, "removed %s/%s\n", dir, f)
	}
	for _, f := range rep.Overwritten {
		fmt.Fprintf(w, "overwrote %s/%s: it was changed by hand since goldenpath wrote it (git has the edit)\n", dir, f)
	}
	for _, f := range rep.Adopted {
		fmt.Fprintf(w, "adopted %s/%s: goldenpath did not write it; it is goldenpath's now\n", dir, f)
	}
	for _, k := range rep.Kept {
		fmt.Fprintf(w, "kept %s/%s: %s\n", dir, k.Path, k.Reason)
	}
	for _, p := range rep.PinsDropped {
		fmt.Fprintf(w, "unpinned %s (was %s): %s\n", p.Application, p.Image, p.Reason)
	}
	if rep.Recovered {
		fmt.Fprintf(w, "%s: cleaned up after an interrupted run\n", dir)
	}
	pins := ""
	if rep.PinsKept > 0 {
		pins = fmt.Sprintf(", %s kept", plural(rep.PinsKept, "pin"))
	}
	fmt.Fprintf(w, "%s: %s (%d written, %d removed, %d unchanged%s)\n", dir, plural(rep.Files, "file"), len(rep.Written), len(rep.Removed), rep.Unchanged, pins)
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}

// checkOut refuses an output folder that is, or holds, one of the inputs:
// the tree would write over the contracts. An output folder inside an
// input folder is fine: walking folders for contracts skips trees.
func checkOut(out string, inputs []string) error {
	o, err := resolvePath(out)
	if err != nil {
		return err
	}
	for _, in := range inputs {
		i, err := resolvePath(in)
		if err != nil {
			continue // the render reports it
		}
		if rel, err := filepath.Rel(o, i); err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
			return usageErrorf("--out %s holds the input %s: the tree would be written over the contracts; give a folder outside them", out, in)
		}
	}
	return nil
}

// resolvePath is the absolute path with links resolved, as far as the path
// exists.
func resolvePath(p string) (string, error) {
	abs, err := filepath.Abs(p)
	if err != nil {
		return "", err
	}
	rest := ""
	for {
		if r, err := filepath.EvalSymlinks(abs); err == nil {
			return filepath.Join(r, rest), nil
		}
		parent := filepath.Dir(abs)
		if parent == abs {
			return filepath.Join(abs, rest), nil
		}
		rest = filepath.Join(filepath.Base(abs), rest)
		abs = parent
	}
}

// treeFlags are the flags of commands that write a GitOps tree.
type treeFlags struct{ adopt bool }

func (f *treeFlags) add(c *cobra.Command) {
	c.Flags().BoolVar(&f.adopt, "adopt", false, "take over a --out folder that is not a goldenpath tree, and files at rendered paths goldenpath did not write (other files are left alone)")
}

func (f *treeFlags) options() []goldenpath.Option {
	if f.adopt {
		return []goldenpath.Option{goldenpath.WithAdopt()}
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
		tf     treeFlags
		out    string
		images []string
		unpin  bool
	)
	c := &cobra.Command{
		Use:   "render PATH...",
		Short: "Render the kpack Image, runtime manifests and Argo CD Application of contracts",
		Long: `Render everything the cluster needs for each AppDeploymentRequest under PATH
(files, or folders of *.yaml/*.yml): the kpack Image (buildpack builds), the
Deployment, Service, Ingress and service bindings, a kustomization.yaml per
application folder, and the Argo CD Application. Output is deterministic:
rendering twice gives identical bytes.

Without --out, the objects are printed as one YAML stream, then each
environment's root Application. With --out, they are written as a GitOps
tree: <environment>/<application>/ per application (the platform's
gitops.path layout), argocd/<environment>/<application>.yaml, and per
environment the root argocd/<environment>.yaml with
argocd/<environment>/kustomization.yaml listing its Applications (apply the
root once; it creates and prunes the Applications).

The tree is exactly what the contracts render: files goldenpath wrote and no
longer renders are removed (a renamed application, a dropped ingress), and
so are folders left empty. goldenpath records what it wrote in the tree's
.goldenpath/tree.json (commit it); files it did not write are never touched,
and one changed by hand since is never removed (it is reported). A folder
that is not empty and not a goldenpath tree is refused (--adopt takes it
over). Nothing is written through a symbolic link inside the tree. Every
application folder and Application is replaced in one step, so an
interrupted run leaves each one old or new, and the next run finishes.

Each application keeps the image pin the tree holds (written by
goldenpath promote or build --out) as long as it is a digest of the
application's own repository; --unpin renders every application unpinned,
--image pins explicitly. The output folder may be inside an input folder:
folders holding a goldenpath tree are never read as contracts.`,
		Example: `  goldenpath render examples/contracts
  goldenpath render --out gitops/ contracts/
  goldenpath render --out gitops/ --adopt contracts/   # the first time, in a repository with other files
  goldenpath render --out gitops/ --unpin contracts/   # follow the kpack tags again
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
			opts := append([]goldenpath.Option{popt, goldenpath.WithImages(pins)}, tf.options()...)
			if out == "" {
				if unpin || tf.adopt {
					return usageErrorf("--unpin and --adopt apply to a tree: give --out")
				}
				return problems(streams, goldenpath.RenderStream(c.Context(), args, streams.Out, opts...))
			}
			if err := checkOut(out, args); err != nil {
				return err
			}
			if unpin {
				opts = append(opts, goldenpath.WithUnpin())
			}
			rep, err := goldenpath.RenderTree(c.Context(), args, out, opts...)
			if err != nil {
				return problems(streams, err)
			}
			printTree(streams.Err, rep)
			return nil
		},
	}
	pf.add(c)
	tf.add(c)
	c.Flags().StringVar(&out, "out", "", "write a GitOps tree under this folder instead of printing a YAML stream")
	c.Flags().BoolVar(&unpin, "unpin", false, "with --out: render every application unpinned, dropping the image pins the tree holds")
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
		tf        treeFlags
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
			if out == "" {
				return render.Stream(streams.Out, objs)
			}
			rep, err := goldenpath.WritePlatformTree(out, objs, append(tf.options(), popt)...)
			if err != nil {
				return err
			}
			printTree(streams.Err, rep)
			return nil
		},
	}
	pf.add(renderCmd)
	tf.add(renderCmd)
	rf.add(renderCmd)
	renderCmd.Flags().BoolVar(&pinStacks, "pin-stacks", false, "resolve each builder's stack build and run images to their current digests in the registry and render the ClusterStacks pinned to them")
	renderCmd.Flags().StringVar(&out, "out", "", "write the objects into the GitOps tree in this folder (its platform/ folder) instead of printing a YAML stream")
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
	c.AddCommand(renderCmd, defaultCmd, newUpdateStacksCommand(streams), newCheckSecretCommand(streams))
	return c
}
