package cli

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/goldenpath-dev/goldenpath/goldenpath"
	"github.com/goldenpath-dev/goldenpath/goldenpath/output"
	"github.com/goldenpath-dev/goldenpath/goldenpath/supplychain"
)

func newKeygenCommand(streams Streams) *cobra.Command {
	var (
		dir       string
		overwrite bool
	)
	c := &cobra.Command{
		Use:   "keygen [--out DIR]",
		Short: "Generate the platform's image signing key pair (cosign.key, cosign.pub)",
		Long: `Generate an ECDSA P-256 key pair for signing images and write it to DIR as
cosign.key (encrypted with the password in $COSIGN_PASSWORD, mode 0600) and
cosign.pub. These are the files and formats of 'cosign generate-key-pair':
cosign can sign and verify with them too. Keep cosign.key and its password in
the CI's secrets; give cosign.pub to whoever verifies.

Each file is written to a new temporary file and moved into place, never
through a symbolic link. An existing pair (or a link where one would go) is
refused; --force replaces it, and the new cosign.key is mode 0600 whatever
the old one was.`,
		Example: `  COSIGN_PASSWORD=... goldenpath keygen --out keys/`,
	}
	out := addOutput(c, supplychain.KeysOutput, "")
	c.RunE = func(c *cobra.Command, args []string) error {
		pr, err := printer(out, supplychain.KeysOutput)
		if err != nil {
			return err
		}
		password := keyPassword()
		if len(password) == 0 {
			fmt.Fprintf(streams.Err, "goldenpath: warning: $%s is empty: the private key is not protected by a password\n", supplychain.CosignPasswordEnv)
		}
		kp, err := supplychain.GenerateKeys(goldenpath.WithKeyPassword(password))
		if err != nil {
			return err
		}
		files, err := writeKeyPair(dir, kp, overwrite)
		if err != nil {
			return err
		}
		return pr.Print(streams.Out, files)
	}
	c.Flags().StringVar(&dir, "out", ".", "`DIR` to write cosign.key and cosign.pub to")
	c.Flags().BoolVar(&overwrite, "force", false, "replace an existing key pair")
	return c
}

func newSignCommand(streams Streams) *cobra.Command {
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
	}
	keyedCommand(streams, c, "cosign.key", "cosign private key `FILE` (password in $COSIGN_PASSWORD)", supplychain.SignOutput, "",
		func(ctx context.Context, image string, key []byte, opts []goldenpath.Option) (*supplychain.SignResult, error) {
			return supplychain.Sign(ctx, image, key, append(opts, goldenpath.WithKeyPassword(keyPassword()))...)
		})
	return c
}

func newVerifyCommand(streams Streams) *cobra.Command {
	c := &cobra.Command{
		Use:   "verify IMAGE --key cosign.pub",
		Short: "Check that an image's digest carries a valid signature by the platform's key",
		Long: `Verify that IMAGE is signed with the key in cosign.pub. A tag is resolved to
its digest first and that digest must carry a signature that verifies with
the key and names that digest. No transparency log or TUF root is consulted
(air-gapped).

Exit status 1 means the digest is unsigned, signed only with other keys, or
the tag now points at a digest without a valid signature (the error names
the digest the tag resolves to).`,
		Example: `  goldenpath verify 127.0.0.1:5111/apps/dev/payments-api:latest --key cosign.pub`,
		Args:    cobra.ExactArgs(1),
	}
	keyedCommand(streams, c, "cosign.pub", "cosign public key `FILE`", supplychain.VerifyOutput, "",
		func(ctx context.Context, image string, key []byte, opts []goldenpath.Option) (*supplychain.VerifyResult, error) {
			return supplychain.Verify(ctx, image, key, opts...)
		})
	return c
}

func newSBOMCommand(streams Streams) *cobra.Command {
	var (
		dir string
		rf  registryFlags
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

Exit status 1 means the image has no buildpack SBOM (an image built from a
Dockerfile has none).`,
		Example: `  goldenpath sbom 127.0.0.1:5111/apps/dev/payments-api:latest
  goldenpath sbom 127.0.0.1:5111/apps/dev/payments-api:latest --out sbom/`,
		Args: cobra.ExactArgs(1),
	}
	out := addOutput(c, supplychain.SBOMOutput, "with --out: the files written")
	c.RunE = func(c *cobra.Command, args []string) error {
		pr, err := printer(out, supplychain.SBOMOutput)
		if err != nil {
			return err
		}
		opts, err := rf.options()
		if err != nil {
			return err
		}
		s, err := supplychain.SBOM(c.Context(), args[0], opts...)
		if err != nil {
			return err
		}
		if dir == "" {
			return pr.Print(streams.Out, s)
		}
		written, err := s.WriteFiles(dir)
		if err != nil {
			return err
		}
		wp, err := printer(out, supplychain.SBOMFilesOutput)
		if err != nil {
			return err
		}
		return wp.Print(streams.Out, written)
	}
	c.Flags().StringVar(&dir, "out", "", "write the SBOM documents under `DIR` instead of printing a summary")
	rf.add(c)
	return c
}

func newProvenanceCommand(streams Streams) *cobra.Command {
	c := &cobra.Command{
		Use:   "provenance IMAGE --key cosign.pub",
		Short: "Verify and print an image's SLSA provenance attestation",
		Long: `Find the SLSA provenance attestation goldenpath build --sign-key attached to
IMAGE (an in-toto Statement v1 with a https://slsa.dev/provenance/v1
predicate, in a DSSE envelope), verify its signature with the key and that it
is about the digest the reference resolves to, and print it: a summary
(source and commit, builder, run image, buildpacks, build parameters), or
with -o json the statement exactly as signed.

Exit status 1 means there is no provenance attestation, or none verifies.`,
		Example: `  goldenpath provenance 127.0.0.1:5111/apps/dev/payments-api:latest --key cosign.pub
  goldenpath provenance 127.0.0.1:5111/apps/dev/payments-api:latest --key cosign.pub -o json | jq .predicate`,
		Args: cobra.ExactArgs(1),
	}
	keyedCommand(streams, c, "cosign.pub", "cosign public key `FILE`", supplychain.ProvenanceOutput, "json: the statement as signed",
		func(ctx context.Context, image string, key []byte, opts []goldenpath.Option) (*supplychain.ProvenanceResult, error) {
			return supplychain.Provenance(ctx, image, key, opts...)
		})
	return c
}

// keyedCommand completes sign, verify and provenance: IMAGE and a required
// --key FILE (keyName in the message when it is missing), the registry
// flags, -o with the result's printers, one facade call, print.
func keyedCommand[T any](streams Streams, c *cobra.Command, keyName, keyHelp string, p output.Printers[T], formats string,
	call func(ctx context.Context, image string, key []byte, opts []goldenpath.Option) (T, error)) {
	var (
		key string
		rf  registryFlags
	)
	out := addOutput(c, p, formats)
	c.RunE = func(c *cobra.Command, args []string) error {
		pr, err := printer(out, p)
		if err != nil {
			return err
		}
		if key == "" {
			return usageErrorf("--key %s is required", keyName)
		}
		opts, err := rf.options()
		if err != nil {
			return err
		}
		data, err := readKeyFile("--key", key)
		if err != nil {
			return err
		}
		res, err := call(c.Context(), args[0], data, opts)
		if err != nil {
			return err
		}
		return pr.Print(streams.Out, res)
	}
	c.Flags().StringVar(&key, "key", "", keyHelp)
	rf.add(c)
}
