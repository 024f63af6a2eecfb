package supplychain_test

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/partial"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/goldenpath-dev/goldenpath/internal/testregistry"
	"github.com/goldenpath-dev/goldenpath/pipeline/supplychain"
)

// gzLayer is a gzip layer whose diff ID was computed while it was made (so
// a layer of gigabytes of zeros is hashed once, not again by ggcr).
type gzLayer struct {
	gz     []byte
	diffID v1.Hash
}

func (l *gzLayer) Digest() (v1.Hash, error) {
	h, _, err := v1.SHA256(bytes.NewReader(l.gz))
	return h, err
}
func (l *gzLayer) DiffID() (v1.Hash, error) { return l.diffID, nil }
func (l *gzLayer) Compressed() (io.ReadCloser, error) {
	return io.NopCloser(bytes.NewReader(l.gz)), nil
}
func (l *gzLayer) Size() (int64, error)                { return int64(len(l.gz)), nil }
func (l *gzLayer) MediaType() (types.MediaType, error) { return types.DockerLayer, nil }

type tarEntry struct {
	name string
	size int64  // zeros, when data is nil
	data []byte //
}

// hostileLayer writes the entries (zeros unless data is given) as a gzip
// tar layer, streaming: the zeros are never held in memory.
func hostileLayer(t *testing.T, entries []tarEntry) v1.Layer {
	t.Helper()
	var gz bytes.Buffer
	zw, err := gzip.NewWriterLevel(&gz, gzip.BestSpeed)
	require.NoError(t, err)
	h := sha256.New()
	tw := tar.NewWriter(io.MultiWriter(zw, h))
	zeros := make([]byte, 1<<20)
	for _, e := range entries {
		size := e.size
		if e.data != nil {
			size = int64(len(e.data))
		}
		require.NoError(t, tw.WriteHeader(&tar.Header{Name: e.name, Typeflag: tar.TypeReg, Mode: 0o644, Size: size}))
		if e.data != nil {
			_, err = tw.Write(e.data)
			require.NoError(t, err)
			continue
		}
		for left := size; left > 0; left -= int64(len(zeros)) {
			_, err = tw.Write(zeros[:min(left, int64(len(zeros)))])
			require.NoError(t, err)
		}
	}
	require.NoError(t, tw.Close())
	require.NoError(t, zw.Close())
	diffID, err := v1.NewHash("sha256:" + hex.EncodeToString(h.Sum(nil)))
	require.NoError(t, err)
	l, err := partial.CompressedToLayer(&gzLayer{gz: gz.Bytes(), diffID: diffID})
	require.NoError(t, err)
	return l
}

func sbomName(i int) string {
	return fmt.Sprintf("layers/sbom/launch/goldenpath_go/layer%d/sbom.cdx.json", i)
}

// Issue 14 item 11: the SBOM layer is read within bounds on the number of
// files, the size of each and the bytes in all, and refused as soon as one
// is crossed.
func TestReadSBOMRefusesHostileLayers(t *testing.T) {
	ctx := context.Background()
	reg := testregistry.New(t)
	doc := []byte(`{"bomFormat":"CycloneDX","components":[{"name":"x"}]}`)
	many := make([]tarEntry, supplychain.MaxSBOMFiles+1)
	for i := range many {
		many[i] = tarEntry{name: sbomName(i), data: doc}
	}
	total := make([]tarEntry, supplychain.MaxSBOMLayerBytes/(supplychain.MaxSBOMFileBytes-1)+2)
	for i := range total {
		total[i] = tarEntry{name: sbomName(i), size: supplychain.MaxSBOMFileBytes - 1}
	}
	for _, c := range []struct {
		name    string
		entries []tarEntry
		want    string
	}{
		{"one file too large", []tarEntry{{name: sbomName(0), size: supplychain.MaxSBOMFileBytes + 1}}, "more than the 16777216 an SBOM file may have"},
		{"too many files", many, "more than 1024 SBOM files"},
		{"too many bytes", total, "more than an SBOM layer may have"},
		{"a skipped entry counts too", []tarEntry{{name: "layers/sbom/launch/big.bin", size: supplychain.MaxSBOMLayerBytes + 1}}, "more than an SBOM layer may have"},
		{"two entries, one path", []tarEntry{
			{name: "layers/sbom/launch/goldenpath_go/app/sbom.cdx.json", data: doc},
			{name: "./layers/sbom//launch/goldenpath_go/x/../app/sbom.cdx.json", data: []byte(`{"bomFormat":"CycloneDX","components":[{"name":"evil"}]}`)},
		}, `are both the file launch/goldenpath_go/app/sbom.cdx.json`},
	} {
		t.Run(c.name, func(t *testing.T) {
			tag := reg.Host + "/apps/dev/hostile:latest"
			reg.Push(t, tag, scCNBImage(t, hostileLayer(t, c.entries), nil))
			_, err := supplychain.ReadSBOM(ctx, tag)
			assert.ErrorContains(t, err, c.want)
		})
	}
}

// The case: a 3 MB gzip layer of 40 files of 60 MiB drove RSS to
// 4.2 GB. It is refused at the first file's header; a process that reads
// it stays small (its peak RSS measured, not its time).
func TestReadSBOMHostileLayerMemory(t *testing.T) {
	if ref := os.Getenv("GOLDENPATH_TEST_SBOM_CHILD"); ref != "" {
		t.Skip("the child's work is in TestReadSBOMChild")
	}
	reg := testregistry.New(t)
	entries := make([]tarEntry, 40)
	for i := range entries {
		entries[i] = tarEntry{name: sbomName(i), size: 60 << 20}
	}
	layer := hostileLayer(t, entries)
	size, err := layer.Size()
	require.NoError(t, err)
	t.Logf("hostile layer: %d bytes compressed, %d MiB uncompressed", size, 40*60)
	tag := reg.Host + "/apps/dev/zeros:latest"
	reg.Push(t, tag, scCNBImage(t, layer, nil))

	cmd := exec.Command(os.Args[0], "-test.run=^TestReadSBOMChild$", "-test.v")
	cmd.Env = append(os.Environ(), "GOLDENPATH_TEST_SBOM_CHILD="+tag)
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "%s", out)
	assert.Contains(t, string(out), "refusing the layer")
	// The child's own peak (VmHWM, reset by exec): wait4's maxrss would
	// also count this process's memory before the exec.
	m := regexp.MustCompile(`VmHWM:\s+(\d+) kB`).FindSubmatch(out)
	require.NotNil(t, m, "%s", out)
	kb, err := strconv.ParseInt(string(m[1]), 10, 64)
	require.NoError(t, err)
	rss := kb << 10
	t.Logf("peak RSS of a process reading it: %d MiB", rss>>20)
	assert.Less(t, rss, int64(128<<20), "reading a hostile SBOM layer uses a few times the per-file cap at most")
}

// TestReadSBOMChild is the subprocess of TestReadSBOMHostileLayerMemory.
func TestReadSBOMChild(t *testing.T) {
	ref := os.Getenv("GOLDENPATH_TEST_SBOM_CHILD")
	if ref == "" {
		t.Skip("run by TestReadSBOMHostileLayerMemory")
	}
	_, err := supplychain.ReadSBOM(context.Background(), ref)
	require.Error(t, err)
	fmt.Println(err)
	status, err := os.ReadFile("/proc/self/status")
	require.NoError(t, err)
	fmt.Println(regexp.MustCompile(`VmHWM:\s+\d+ kB`).FindString(string(status)))
}

// Two documents with one path are never both written; nothing is written
// through a link out of the folder.
func TestSBOMWriteFilesStaysInsideAndNeverOverwrites(t *testing.T) {
	dup := &supplychain.SBOM{Files: []supplychain.SBOMFile{
		{Path: "launch/a/sbom.cdx.json", Data: []byte("1")}, {Path: "launch/b/../a/sbom.cdx.json", Data: []byte("2")},
	}}
	dir := t.TempDir()
	_, err := dup.WriteFiles(dir)
	assert.ErrorContains(t, err, "two documents have the path")
	assert.NoFileExists(t, filepath.Join(dir, "launch/a/sbom.cdx.json"))

	outside := t.TempDir()
	require.NoError(t, os.Symlink(outside, filepath.Join(dir, "launch")))
	_, err = (&supplychain.SBOM{Files: []supplychain.SBOMFile{{Path: "launch/a/sbom.cdx.json", Data: []byte("x")}}}).WriteFiles(dir)
	assert.Error(t, err)
	assert.NoFileExists(t, filepath.Join(outside, "a/sbom.cdx.json"))
}
