//go:build integration

package cli_test

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/goldenpath-dev/goldenpath/internal/cli"
	"github.com/goldenpath-dev/goldenpath/internal/testenv"
	psc "github.com/goldenpath-dev/goldenpath/pipeline/supplychain"
)

// The supply chain on sample apps really built with the offline builder and
// published to the registry hack/setup.sh starts: build --sign-key
// --verify-key pins a verified image; sbom, verify and provenance read it
// back; the three refusals (unsigned, another key, a moved tag) exit 1; a
// build that fails verification leaves the GitOps tree untouched. Fails
// (never skips) without the environment: run `bash hack/setup.sh` and
// source $GOLDENPATH_CACHE/env.sh.
func TestSupplyChainOnBuiltImages(t *testing.T) {
	testenv.RequireDocker(t)
	reg := testenv.Registry(t)
	root := testenv.RepoRoot(t)
	platform := filepath.Join(root, "examples/platform/local.yaml")
	prefix := fmt.Sprintf("%s/sc-it-%d", reg, time.Now().UnixNano())
	keys := scKeygen(t, "it-password") // also sets $COSIGN_PASSWORD for the commands below
	other := t.TempDir()
	if code, _, errOut := run(t, "keygen", "--out", other); code != cli.ExitOK {
		t.Fatal(errOut)
	}
	key, pub, otherPub := filepath.Join(keys, "cosign.key"), filepath.Join(keys, "cosign.pub"), filepath.Join(other, "cosign.pub")
	goContract := filepath.Join(root, "examples/apps/go/goldenpath.yaml")
	tag := prefix + "/dev/sample-go:latest"
	repo := prefix + "/dev/sample-go"

	// Build, sign, attest, verify, pin.
	gitops := filepath.Join(t.TempDir(), "gitops")
	code, out, errOut := run(t, "build", "-f", goContract, "--source", root, "--platform", platform, "--publish", prefix,
		"--out", gitops, "--sign-key", key, "--verify-key", pub)
	require.Equal(t, cli.ExitOK, code, errOut)
	ref := strings.TrimSpace(out)
	require.True(t, strings.HasPrefix(ref, repo+"@sha256:"), ref)
	digest := strings.TrimPrefix(ref, repo+"@")
	assert.Contains(t, errOut, "goldenpath: signed "+ref+" with key sha256:")
	assert.Contains(t, errOut, "goldenpath: attested SLSA provenance of "+ref)
	assert.Contains(t, errOut, "goldenpath: verified signature and SLSA provenance of "+ref)
	deployment, err := os.ReadFile(filepath.Join(gitops, "dev/sample-go/deployment.yaml"))
	require.NoError(t, err)
	assert.Contains(t, string(deployment), "image: "+ref)

	code, out, errOut = run(t, "verify", tag, "--key", pub)
	require.Equal(t, cli.ExitOK, code, errOut)
	assert.Contains(t, out, "verified "+ref+": 1 signature by key sha256:")

	// SBOM of the real image: the Go buildpack's CycloneDX document and
	// the lifecycle's launcher SBOM.
	code, out, errOut = run(t, "sbom", tag)
	require.Equal(t, cli.ExitOK, code, errOut)
	assert.Contains(t, out, tag+" ("+digest+"): ")
	assert.Regexp(t, `\ngoldenpath/go@\S+ layer app: cdx, [1-9]\d* components? \(launch/goldenpath_go/app/sbom.cdx.json\)\n`, out)
	assert.Contains(t, out, "buildpacksio/lifecycle layer launcher: cdx")
	sbomDir := t.TempDir()
	code, _, errOut = run(t, "sbom", tag, "--out", sbomDir)
	require.Equal(t, cli.ExitOK, code, errOut)
	var cdx struct{ BOMFormat string }
	data, err := os.ReadFile(filepath.Join(sbomDir, "launch/goldenpath_go/app/sbom.cdx.json"))
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(data, &cdx))
	assert.Equal(t, "CycloneDX", cdx.BOMFormat)

	// Provenance: verified, about this digest, with the buildpacks, run
	// image and source commit of the build.
	code, out, errOut = run(t, "provenance", tag, "--key", pub, "-o", "json")
	require.Equal(t, cli.ExitOK, code, errOut)
	var st psc.Statement
	require.NoError(t, json.Unmarshal([]byte(out), &st))
	assert.Equal(t, psc.ProvenancePredicateType, st.PredicateType)
	assert.Equal(t, strings.TrimPrefix(digest, "sha256:"), st.Subject[0].Digest["sha256"])
	head, err := exec.Command("git", "-C", root, "rev-parse", "HEAD").Output()
	require.NoError(t, err)
	deps := map[string]psc.ResourceDescriptor{}
	for _, d := range st.Predicate.BuildDefinition.ResolvedDependencies {
		deps[d.Name] = d
	}
	assert.Equal(t, strings.TrimSpace(string(head)), deps["source"].Digest["gitCommit"])
	assert.NotEmpty(t, deps["buildpack:goldenpath/go"].Annotations["version"])
	assert.Regexp(t, `^[0-9a-f]{64}$`, deps["run-image"].Digest["sha256"])
	assert.Regexp(t, `^sha256:[0-9a-f]{64}$`, deps["builder-image"].Annotations["imageID"])
	assert.Equal(t, "0.21.0", st.Predicate.RunDetails.Builder.Version["lifecycle"])
	code, out, errOut = run(t, "provenance", tag, "--key", pub)
	require.Equal(t, cli.ExitOK, code, errOut)
	assert.Contains(t, out, "verified SLSA provenance of "+ref)

	// (b) another key: refused, for the signature and the provenance.
	code, _, errOut = run(t, "verify", tag, "--key", otherPub)
	assert.Equal(t, cli.ExitFailure, code)
	assert.Contains(t, errOut, "tag "+tag+" resolves to digest "+digest+", which has no valid signature: no signature of the digest verifies with key")
	code, _, errOut = run(t, "provenance", tag, "--key", otherPub)
	assert.Equal(t, cli.ExitFailure, code)
	assert.Contains(t, errOut, "which has no valid SLSA provenance attestation")

	// The gate: a build whose image does not verify with the required key
	// is not pinned; the GitOps tree is left as it was.
	gitops2 := filepath.Join(t.TempDir(), "gitops")
	require.NoError(t, os.MkdirAll(gitops2, 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(gitops2, "SENTINEL"), []byte("untouched\n"), 0o644))
	code, _, errOut = run(t, "build", "-f", goContract, "--source", root, "--platform", platform, "--publish", prefix,
		"--out", gitops2, "--sign-key", key, "--verify-key", otherPub)
	assert.Equal(t, cli.ExitFailure, code)
	assert.Contains(t, errOut, "goldenpath: not pinning the GitOps tree: image "+repo+"@sha256:")
	entries, err := os.ReadDir(gitops2)
	require.NoError(t, err)
	require.Len(t, entries, 1, "the tree was written to")
	assert.Equal(t, "SENTINEL", entries[0].Name())

	// (c) the tag moved to another (real, unsigned) image: the run image.
	runRef, err := name.ParseReference(reg + "/goldenpath/run:bookworm")
	require.NoError(t, err)
	runImg, err := remote.Image(runRef)
	require.NoError(t, err)
	tagRef, err := name.ParseReference(tag)
	require.NoError(t, err)
	require.NoError(t, remote.Write(tagRef, runImg))
	moved, err := runImg.Digest()
	require.NoError(t, err)
	code, _, errOut = run(t, "verify", tag, "--key", pub)
	assert.Equal(t, cli.ExitFailure, code)
	assert.Equal(t, "goldenpath: tag "+tag+" resolves to digest "+moved.String()+", which has no valid signature: the digest is not signed; other digests of "+
		repo+" are signed ("+digest+"): was the tag moved to an unsigned image?\n", errOut)
	code, _, _ = run(t, "verify", ref, "--key", pub)
	assert.Equal(t, cli.ExitOK, code, "the signed digest itself still verifies")

	// (a) unsigned: the Dockerfile sample, published without a key. It has
	// no buildpack SBOM either.
	code, out, errOut = run(t, "build", "-f", filepath.Join(root, "examples/apps/dockerfile/goldenpath.yaml"), "--source", root,
		"--platform", platform, "--publish", prefix)
	require.Equal(t, cli.ExitOK, code, errOut)
	dockerfileTag := prefix + "/dev/sample-dockerfile:latest"
	dockerfileDigest := strings.TrimPrefix(strings.TrimSpace(out), prefix+"/dev/sample-dockerfile@")
	code, _, errOut = run(t, "verify", dockerfileTag, "--key", pub)
	assert.Equal(t, cli.ExitFailure, code)
	assert.Equal(t, "goldenpath: tag "+dockerfileTag+" resolves to digest "+dockerfileDigest+", which has no valid signature: the digest is not signed\n", errOut)
	code, _, errOut = run(t, "sbom", dockerfileTag)
	assert.Equal(t, cli.ExitFailure, code)
	assert.Contains(t, errOut, "it was not built with Cloud Native Buildpacks (a Dockerfile build?), so it carries no buildpack SBOM")
}
