package supplychain_test

import (
	"context"
	"encoding/json"
	"errors"
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

	"github.com/goldenpath-dev/goldenpath/contract"
	"github.com/goldenpath-dev/goldenpath/internal/testregistry"
	"github.com/goldenpath-dev/goldenpath/pipeline/build"
	"github.com/goldenpath-dev/goldenpath/pipeline/supplychain"
)

func scSampleRequest(t *testing.T) (*contract.AppDeploymentRequest, *contract.Platform) {
	t.Helper()
	reqs, err := contract.LoadFile("../../examples/apps/go/goldenpath.yaml")
	require.NoError(t, err)
	p, err := contract.LoadPlatformFile("../../examples/platform/local.yaml")
	require.NoError(t, err)
	r := reqs[0]
	r.Spec.Build.Env = map[string]string{"BP_GO_TARGETS": "./cmd/server"}
	return r, p
}

func TestProvenanceStatement(t *testing.T) {
	ctx := context.Background()
	reg := testregistry.New(t)
	img := scCNBImage(t, scSBOMLayer(t, scSampleSBOMFiles), nil)
	tag := reg.Host + "/apps/dev/sample-go:latest"
	digest := reg.Push(t, tag, img)
	r, p := scSampleRequest(t)
	start := time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC)

	st, err := supplychain.NewProvenance(ctx, tag, supplychain.ProvenanceInput{
		Request: r, Platform: p,
		BuilderImage: "goldenpath/builder:bookworm",
		Builder: build.BuilderImageIdentity{
			ImageID:    "sha256:" + strings.Repeat("b", 64),
			Repository: "127.0.0.1:5111/goldenpath/builder", Digest: "sha256:" + strings.Repeat("c", 64),
		},
		SourceRevision: strings.Repeat("d", 40),
		StartedOn:      start, FinishedOn: start.Add(42 * time.Second),
		InvocationID: "https://ci.example.com/run/7",
	})
	require.NoError(t, err)
	assert.Equal(t, supplychain.InTotoStatementType, st.Type)
	assert.Equal(t, supplychain.ProvenancePredicateType, st.PredicateType)
	require.Len(t, st.Subject, 1)
	assert.Equal(t, reg.Host+"/apps/dev/sample-go", st.Subject[0].Name)
	assert.Equal(t, strings.TrimPrefix(digest, "sha256:"), st.Subject[0].Digest["sha256"])

	bd := st.Predicate.BuildDefinition
	assert.Equal(t, supplychain.SLSABuildTypeBuildpack, bd.BuildType)
	assert.Equal(t, supplychain.ProvenanceParameters{
		Request: supplychain.ProvenanceRequest{ID: "APP-0101", Application: "sample-go", Environment: "dev", Owner: "platform-team"},
		Source:  supplychain.ProvenanceSource{URL: "https://github.com/goldenpath-dev/goldenpath", Branch: "main", SubPath: "examples/apps/go"},
		Build:   supplychain.ProvenanceBuild{Type: "buildpack", Builder: "default", Env: map[string]string{"BP_GO_TARGETS": "./cmd/server"}},
	}, bd.ExternalParameters)
	assert.Equal(t, supplychain.InternalParameters{
		Platform: "local", BuilderImage: "goldenpath/builder:bookworm",
		RunImage: "127.0.0.1:5111/goldenpath/run:bookworm", StackID: "io.goldenpath.stacks.bookworm",
	}, bd.InternalParameters)

	deps := map[string]supplychain.ResourceDescriptor{}
	for _, d := range bd.ResolvedDependencies {
		deps[d.Name] = d
	}
	assert.Equal(t, supplychain.ResourceDescriptor{
		Name: "source", URI: "git+https://github.com/goldenpath-dev/goldenpath@refs/heads/main",
		Digest: map[string]string{"gitCommit": strings.Repeat("d", 40)},
	}, deps["source"])
	assert.Equal(t, supplychain.ResourceDescriptor{
		Name: "builder-image", URI: "127.0.0.1:5111/goldenpath/builder",
		Digest:      map[string]string{"sha256": strings.Repeat("c", 64)},
		Annotations: map[string]string{"imageID": "sha256:" + strings.Repeat("b", 64), "image": "goldenpath/builder:bookworm"},
	}, deps["builder-image"])
	assert.Equal(t, supplychain.ResourceDescriptor{
		Name: "run-image", URI: "127.0.0.1:5111/goldenpath/run",
		Digest: map[string]string{"sha256": strings.Repeat("2", 64)},
		Annotations: map[string]string{
			"image":     "127.0.0.1:5111/goldenpath/run:bookworm",
			"reference": "127.0.0.1:5111/goldenpath/run@sha256:" + strings.Repeat("2", 64),
			"topLayer":  "sha256:" + strings.Repeat("1", 64),
		},
	}, deps["run-image"])
	assert.Equal(t, supplychain.ResourceDescriptor{
		Name: "buildpack:goldenpath/go", URI: "urn:cnb:buildpack:goldenpath/go@0.1.0",
		Annotations: map[string]string{"id": "goldenpath/go", "version": "0.1.0"},
	}, deps["buildpack:goldenpath/go"])
	assert.Contains(t, deps, "buildpack:goldenpath/procfile")

	rd := st.Predicate.RunDetails
	assert.Equal(t, supplychain.ProvenanceBuilderID, rd.Builder.ID)
	assert.Equal(t, "0.21.0", rd.Builder.Version["lifecycle"])
	assert.NotEmpty(t, rd.Builder.Version["goldenpath"])
	assert.Equal(t, "https://ci.example.com/run/7", rd.Metadata.InvocationID)
	require.NotNil(t, rd.Metadata.StartedOn)
	assert.Equal(t, start, *rd.Metadata.StartedOn)
	assert.Equal(t, start.Add(42*time.Second), *rd.Metadata.FinishedOn)
	require.Len(t, rd.Byproducts, 1)
	sbomDiffID, _ := scSBOMLayer(t, scSampleSBOMFiles).DiffID()
	assert.Equal(t, sbomDiffID.Hex, rd.Byproducts[0].Digest["sha256"])

	// The JSON uses the SLSA v1 field names.
	raw, err := json.Marshal(st)
	require.NoError(t, err)
	for _, field := range []string{`"_type":"https://in-toto.io/Statement/v1"`, `"predicateType":"https://slsa.dev/provenance/v1"`, `"buildDefinition"`, `"externalParameters"`, `"resolvedDependencies"`, `"runDetails"`, `"invocationId"`, `"startedOn":"2026-11-24T10:00:00Z"`} {
		assert.Contains(t, string(raw), field)
	}
}

func TestProvenanceOfDockerfileBuild(t *testing.T) {
	reg := testregistry.New(t)
	tag := reg.Host + "/apps/dev/dockerfile-app:latest"
	reg.Push(t, tag, scRandomImage(t))
	reqs, err := contract.LoadFile("../../examples/apps/dockerfile/goldenpath.yaml")
	require.NoError(t, err)
	st, err := supplychain.NewProvenance(context.Background(), tag, supplychain.ProvenanceInput{Request: reqs[0], BuilderImage: "ignored"})
	require.NoError(t, err)
	bd := st.Predicate.BuildDefinition
	assert.Equal(t, supplychain.SLSABuildTypeDockerfile, bd.BuildType)
	assert.Equal(t, "dockerfile", bd.ExternalParameters.Build.Type)
	require.Len(t, bd.ResolvedDependencies, 1, "only the source: no builder, run image or buildpacks")
	assert.Equal(t, "source", bd.ResolvedDependencies[0].Name)
	assert.Empty(t, st.Predicate.RunDetails.Byproducts)
}

func TestAttestAndVerifyProvenance(t *testing.T) {
	ctx := context.Background()
	reg := testregistry.New(t)
	a, b := scKeys(t)
	tag := reg.Host + "/apps/dev/sample-go:latest"
	digest := reg.Push(t, tag, scCNBImage(t, scSBOMLayer(t, scSampleSBOMFiles), nil))
	r, p := scSampleRequest(t)
	st, err := supplychain.NewProvenance(ctx, tag, supplychain.ProvenanceInput{Request: r, Platform: p, FinishedOn: time.Now()})
	require.NoError(t, err)

	// Nothing attested yet.
	_, err = supplychain.VerifyProvenance(ctx, tag, a.public)
	var ve *supplychain.VerificationError
	require.True(t, errors.As(err, &ve), "%v", err)
	assert.Equal(t, supplychain.FailureNoAttestation, ve.Kind)
	assert.Equal(t, "tag "+tag+" resolves to digest "+digest+", which has no valid SLSA provenance attestation: the digest has none", err.Error())

	att, err := supplychain.AttestProvenance(ctx, tag, st, a.signing)
	require.NoError(t, err)
	assert.Equal(t, digest, att.Digest)
	assert.Equal(t, reg.Host+"/apps/dev/sample-go:"+strings.Replace(digest, ":", "-", 1)+".att", att.AttestationTag)

	// Signing the image too: signature and attestation live side by side.
	_, err = supplychain.Sign(ctx, tag, a.signing)
	require.NoError(t, err)

	got, err := supplychain.VerifyProvenance(ctx, tag, a.public)
	require.NoError(t, err)
	assert.Equal(t, digest, got.Digest)
	assert.Equal(t, tag, got.Tag)
	want, _ := json.Marshal(st)
	have, _ := json.Marshal(got.Statement)
	assert.JSONEq(t, string(want), string(have))
	assert.JSONEq(t, string(want), string(got.Raw))

	// Attesting again with the same key replaces; another key's is kept.
	_, err = supplychain.AttestProvenance(ctx, tag, st, a.signing)
	require.NoError(t, err)
	_, err = supplychain.AttestProvenance(ctx, tag, st, b.signing)
	require.NoError(t, err)
	attImg, err := remote.Image(scRef(t, att.AttestationTag))
	require.NoError(t, err)
	layers, err := attImg.Layers()
	require.NoError(t, err)
	assert.Len(t, layers, 2, "one provenance per key")
	_, err = supplychain.VerifyProvenance(ctx, tag, b.public)
	assert.NoError(t, err)

	// A statement about another image is refused.
	other := *st
	other.Subject = []supplychain.ResourceSubject{{Name: "x", Digest: map[string]string{"sha256": strings.Repeat("0", 64)}}}
	_, err = supplychain.AttestProvenance(ctx, tag, &other, a.signing)
	assert.ErrorContains(t, err, "the statement's subject is not this digest")
}

func TestVerifyProvenanceRefusals(t *testing.T) {
	ctx := context.Background()
	reg := testregistry.New(t)
	a, b := scKeys(t)
	tag := reg.Host + "/apps/dev/sample-go:latest"
	first := reg.Push(t, tag, scCNBImage(t, scSBOMLayer(t, scSampleSBOMFiles), nil))
	r, p := scSampleRequest(t)
	st, err := supplychain.NewProvenance(ctx, tag, supplychain.ProvenanceInput{Request: r, Platform: p})
	require.NoError(t, err)
	_, err = supplychain.AttestProvenance(ctx, tag, st, b.signing)
	require.NoError(t, err)

	// Attested with another key.
	_, err = supplychain.VerifyProvenance(ctx, tag, a.public)
	var ve *supplychain.VerificationError
	require.True(t, errors.As(err, &ve), "%v", err)
	assert.Equal(t, supplychain.FailureKeyMismatch, ve.Kind)
	assert.Contains(t, err.Error(), "resolves to digest "+first+", which has no valid SLSA provenance attestation: no SLSA provenance attestation of the digest verifies with key "+a.public.KeyID())

	// Tag moved to an image without provenance.
	moved := reg.Push(t, tag, scRandomImage(t))
	_, err = supplychain.VerifyProvenance(ctx, tag, b.public)
	require.True(t, errors.As(err, &ve), "%v", err)
	assert.Equal(t, supplychain.FailureNoAttestation, ve.Kind)
	assert.Contains(t, err.Error(), "tag "+tag+" resolves to digest "+moved+", which has no valid SLSA provenance attestation")
}

func scRef(t *testing.T, s string) name.Reference {
	t.Helper()
	ref, err := name.ParseReference(s)
	require.NoError(t, err)
	return ref
}

func TestSourceRevision(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("no git command to make a repository with")
	}
	dir := t.TempDir()
	gitCmd := func(args ...string) string {
		cmd := exec.Command("git", append([]string{"-C", dir, "-c", "user.name=t", "-c", "user.email=t@example.com", "-c", "commit.gpgsign=false"}, args...)...)
		out, err := cmd.CombinedOutput()
		require.NoError(t, err, "%s", out)
		return strings.TrimSpace(string(out))
	}
	gitCmd("init", "-q")
	require.NoError(t, os.MkdirAll(filepath.Join(dir, "app"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "app", "main.go"), []byte("package main\n"), 0o644))
	gitCmd("add", ".")
	gitCmd("commit", "-q", "-m", "first")
	head := gitCmd("rev-parse", "HEAD")

	rev, err := build.SourceRevision(filepath.Join(dir, "app"))
	require.NoError(t, err)
	assert.Equal(t, head, rev)

	_, err = build.SourceRevision(t.TempDir())
	assert.ErrorContains(t, err, "source revision of")
}
