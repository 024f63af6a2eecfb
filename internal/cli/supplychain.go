package cli

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/goldenpath-dev/goldenpath/goldenpath"
	"github.com/goldenpath-dev/goldenpath/pipeline/supplychain"
)

// keyPassword is the private key's password, from $COSIGN_PASSWORD as
// cosign reads it.
func keyPassword() []byte { return []byte(os.Getenv(supplychain.CosignPasswordEnv)) }

// outputFlag is the -o text|json flag of the supply-chain commands.
type outputFlag struct{ format string }

func (f *outputFlag) add(c *cobra.Command) {
	c.Flags().StringVarP(&f.format, "output", "o", "text", "output format: text or json")
}

func (f *outputFlag) check() error {
	if f.format != "text" && f.format != "json" {
		return usageErrorf("unknown output format %q (use text or json)", f.format)
	}
	return nil
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func newKeygenCommand(streams Streams) *cobra.Command {
	var (
		dir       string
		overwrite bool
		out       outputFlag
	)
	c := &cobra.Command{
		Use:   "keygen [--out DIR]",
		Short: "Generate the platform's image signing key pair (cosign.key, cosign.pub)",
		Long: `Generate an ECDSA P-256 key pair for signing images and write it to DIR as
cosign.key (encrypted with the password in $COSIGN_PASSWORD, mode 0600) and
cosign.pub. These are the files and formats of 'cosign generate-key-pair':
cosign can sign and verify with them too. Keep cosign.key and its password in
the CI's secrets; give cosign.pub to whoever verifies.`,
		Example: `  COSIGN_PASSWORD=... goldenpath keygen --out keys/`,
		RunE: func(c *cobra.Command, args []string) error {
			if err := out.check(); err != nil {
				return err
			}
			password := keyPassword()
			if len(password) == 0 {
				fmt.Fprintf(streams.Err, "goldenpath: warning: $%s is empty: the private key is not protected by a password\n", supplychain.CosignPasswordEnv)
			}
			files, err := goldenpath.GenerateKeys(dir, goldenpath.WithKeyPassword(password), goldenpath.WithOverwriteKeys(overwrite))
			if err != nil {
				return err
			}
			if out.format == "json" {
				return writeJSON(streams.Out, files)
			}
			fmt.Fprintf(streams.Out, "private key: %s\npublic key:  %s\nkey ID:      %s\n", files.PrivateKey, files.PublicKey, files.KeyID)
			return nil
		},
	}
	c.Flags().StringVar(&dir, "out", ".", "folder to write cosign.key and cosign.pub to")
	c.Flags().BoolVar(&overwrite, "force", false, "replace an existing key pair")
	out.add(c)
	return c
}

func newSignCommand(streams Streams) *cobra.Command {
	var (
		key string
		out outputFlag
	)
	c := &cobra.Command{
		Use:   "sign IMAGE --key cosign.key",
		Short: "Sign an image in its registry with the platform's key (cosign format, no transparency log)",
		Long: `Sign IMAGE with a cosign private key, the way 'cosign sign --key
--tlog-upload=false' does: a tag is first resolved to its digest (printed),
and that digest is signed; the signature is pushed to the repository's
sha256-<hex>.sig tag. Nothing is sent to a transparency log (air-gapped).
The key's password is read from $COSIGN_PASSWORD.`,
		Example: `  COSIGN_PASSWORD=... goldenpath sign 127.0.0.1:5111/apps/dev/payments-api:latest --key cosign.key`,
		Args:    cobra.ExactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			if err := out.check(); err != nil {
				return err
			}
			if key == "" {
				return usageErrorf("--key cosign.key is required")
			}
			res, err := goldenpath.Sign(c.Context(), args[0], key, goldenpath.WithKeyPassword(keyPassword()))
			if err != nil {
				return err
			}
			if out.format == "json" {
				return writeJSON(streams.Out, res)
			}
			if res.Image != res.Reference {
				fmt.Fprintf(streams.Out, "%s resolves to %s\n", res.Image, res.Reference)
			}
			fmt.Fprintf(streams.Out, "signed %s with key %s\nsignature: %s\n", res.Reference, res.KeyID, res.SignatureTag)
			return nil
		},
	}
	c.Flags().StringVar(&key, "key", "", "cosign private key file (password in $COSIGN_PASSWORD)")
	out.add(c)
	return c
}

func newVerifyCommand(streams Streams) *cobra.Command {
	var (
		key string
		out outputFlag
	)
	c := &cobra.Command{
		Use:   "verify IMAGE --key cosign.pub",
		Short: "Check that an image's digest carries a valid signature by the platform's key",
		Long: `Verify that IMAGE is signed with the key in cosign.pub. A tag is resolved to
its digest first and that digest must carry a signature that verifies with
the key and names that digest. No transparency log or TUF root is consulted
(air-gapped).

Exit status: 0 when verified; 1 when the digest is unsigned, signed only with
other keys, or the tag now points at a digest without a valid signature (the
error names the digest the tag resolves to); 2 on usage errors.`,
		Example: `  goldenpath verify 127.0.0.1:5111/apps/dev/payments-api:latest --key cosign.pub`,
		Args:    cobra.ExactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			if err := out.check(); err != nil {
				return err
			}
			if key == "" {
				return usageErrorf("--key cosign.pub is required")
			}
			res, err := goldenpath.Verify(c.Context(), args[0], key)
			if err != nil {
				return err
			}
			if out.format == "json" {
				return writeJSON(streams.Out, res)
			}
			if res.Tag != "" {
				fmt.Fprintf(streams.Out, "%s resolves to %s\n", res.Tag, res.Reference)
			}
			fmt.Fprintf(streams.Out, "verified %s: %d signature(s) by key %s\n", res.Reference, res.Signatures, res.KeyID)
			return nil
		},
	}
	c.Flags().StringVar(&key, "key", "", "cosign public key file")
	out.add(c)
	return c
}

func newSBOMCommand(streams Streams) *cobra.Command {
	var (
		dir string
		out outputFlag
	)
	c := &cobra.Command{
		Use:   "sbom IMAGE [--out DIR]",
		Short: "Read the buildpack SBOMs of a built image from its registry",
		Long: `Read the software bills of materials the buildpacks wrote into a Cloud Native
Buildpacks image, downloading only the image's SBOM layer (the one the
io.buildpacks.lifecycle.metadata label names). Without --out, print a summary:
per buildpack and layer, the format (cdx = CycloneDX, spdx, syft) and the
components with their versions. With --out, write the documents under DIR
(launch/<buildpack>/<layer>/sbom.<format>.json, as 'pack sbom download' does).
An image built from a Dockerfile has no buildpack SBOM: exit status 1.`,
		Example: `  goldenpath sbom 127.0.0.1:5111/apps/dev/payments-api:latest
  goldenpath sbom 127.0.0.1:5111/apps/dev/payments-api:latest --out sbom/`,
		Args: cobra.ExactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			if err := out.check(); err != nil {
				return err
			}
			s, err := goldenpath.SBOM(c.Context(), args[0])
			if err != nil {
				return err
			}
			if dir != "" {
				written, err := s.WriteFiles(dir)
				if err != nil {
					return err
				}
				if out.format == "json" {
					return writeJSON(streams.Out, written)
				}
				for _, f := range written {
					fmt.Fprintf(streams.Out, "wrote %s\n", printable(f))
				}
				return nil
			}
			if out.format == "json" {
				return writeJSON(streams.Out, s)
			}
			printSBOM(streams.Out, s)
			return nil
		},
	}
	c.Flags().StringVar(&dir, "out", "", "write the SBOM documents under DIR instead of printing a summary")
	out.add(c)
	return c
}

// printSBOM prints the summary; every string from the image goes through
// printable.
func printSBOM(w io.Writer, s *supplychain.SBOM) {
	fmt.Fprintf(w, "%s (%s): %d SBOM documents in layer %s\n", printable(s.Image), s.Digest, len(s.Files), s.Layer)
	for _, f := range s.Files {
		who := f.Buildpack
		if who == "" {
			who = "all buildpacks"
		}
		if f.BuildpackVersion != "" {
			who += "@" + f.BuildpackVersion
		}
		if f.Layer != "" {
			who += " layer " + f.Layer
		}
		fmt.Fprintf(w, "\n%s: %s, %d components (%s)\n", printable(who), f.Format, len(f.Components), printable(f.Path))
		if f.ParseError != "" {
			fmt.Fprintf(w, "  unreadable: %s\n", printable(f.ParseError))
		}
		for _, comp := range f.Components {
			line := "  " + comp.Name
			if comp.Version != "" {
				line += " " + comp.Version
			}
			if comp.PURL != "" {
				line += "  " + comp.PURL
			}
			fmt.Fprintln(w, printable(line))
		}
	}
}

func newProvenanceCommand(streams Streams) *cobra.Command {
	var (
		key string
		out outputFlag
	)
	c := &cobra.Command{
		Use:   "provenance IMAGE --key cosign.pub",
		Short: "Verify and print an image's SLSA provenance attestation",
		Long: `Find the SLSA provenance attestation goldenpath build --sign-key attached to
IMAGE (an in-toto Statement v1 with a https://slsa.dev/provenance/v1
predicate, in a DSSE envelope), verify its signature with the key and that it
is about the digest the reference resolves to, and print it: a summary
(source and commit, builder, run image, buildpacks, build parameters), or
with -o json the statement exactly as signed.

Exit status: 1 when there is no provenance attestation, or none verifies.`,
		Example: `  goldenpath provenance 127.0.0.1:5111/apps/dev/payments-api:latest --key cosign.pub
  goldenpath provenance 127.0.0.1:5111/apps/dev/payments-api:latest --key cosign.pub -o json | jq .predicate`,
		Args: cobra.ExactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			if err := out.check(); err != nil {
				return err
			}
			if key == "" {
				return usageErrorf("--key cosign.pub is required")
			}
			res, err := goldenpath.Provenance(c.Context(), args[0], key)
			if err != nil {
				return err
			}
			if out.format == "json" {
				// The statement as signed, indented: same keys, same order.
				var buf bytes.Buffer
				if err := json.Indent(&buf, res.Raw, "", "  "); err != nil {
					return err
				}
				buf.WriteByte('\n')
				_, err := streams.Out.Write(buf.Bytes())
				return err
			}
			printProvenance(streams.Out, res)
			return nil
		},
	}
	c.Flags().StringVar(&key, "key", "", "cosign public key file")
	out.add(c)
	return c
}

func printProvenance(w io.Writer, res *supplychain.ProvenanceResult) {
	st := res.Statement
	bd := st.Predicate.BuildDefinition
	rd := st.Predicate.RunDetails
	ep := bd.ExternalParameters
	fmt.Fprintf(w, "verified SLSA provenance of %s with key %s\n", res.Reference, res.KeyID)
	row := func(k, v string) {
		if v != "" {
			fmt.Fprintf(w, "  %-13s %s\n", k+":", v)
		}
	}
	row("predicate", st.PredicateType)
	row("build type", bd.BuildType)
	row("request", strings.TrimSpace(fmt.Sprintf("%s %s/%s %s", ep.Request.ID, ep.Request.Environment, ep.Request.Application, ep.Request.Owner)))
	var buildpacks []string
	for _, d := range bd.ResolvedDependencies {
		desc := d.URI
		if hex, ok := d.Digest["sha256"]; ok {
			if d.Annotations["digestOf"] != "" {
				desc += " (image ID sha256:" + hex + ")"
			} else {
				desc += "@sha256:" + hex
			}
		}
		switch {
		case d.Name == "source":
			if c := d.Digest["gitCommit"]; c != "" {
				desc = d.URI + " commit " + c
			}
			row("source", desc)
		case d.Name == "builder-image":
			row("builder", desc)
		case d.Name == "run-image":
			row("run image", desc)
		case strings.HasPrefix(d.Name, "buildpack:"):
			buildpacks = append(buildpacks, d.Annotations["id"]+"@"+d.Annotations["version"])
		}
	}
	row("buildpacks", strings.Join(buildpacks, ", "))
	if ep.Source.SubPath != "" {
		row("subPath", ep.Source.SubPath)
	}
	var env []string
	for _, k := range slices.Sorted(maps.Keys(ep.Build.Env)) {
		env = append(env, k+"="+ep.Build.Env[k])
	}
	row("build", strings.TrimSpace(ep.Build.Type+" "+ep.Build.Builder))
	row("build env", strings.Join(env, " "))
	if ep.Build.Dockerfile != "" {
		row("dockerfile", ep.Build.Dockerfile)
	}
	var versions []string
	for _, k := range slices.Sorted(maps.Keys(rd.Builder.Version)) {
		versions = append(versions, k+" "+rd.Builder.Version[k])
	}
	row("built by", strings.TrimSpace(rd.Builder.ID+" ("+strings.Join(versions, ", ")+")"))
	if m := rd.Metadata; m.StartedOn != nil && m.FinishedOn != nil {
		row("built", fmt.Sprintf("%s to %s (%s)", m.StartedOn.Format("2006-01-02T15:04:05Z07:00"), m.FinishedOn.Format("15:04:05Z07:00"), m.FinishedOn.Sub(*m.StartedOn)))
	}
	row("invocation", rd.Metadata.InvocationID)
}
