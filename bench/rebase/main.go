// Command rebase benchmarks a fleet rebase (bench/rebase.sh): goldenpath's
// registry-side rebase of N app images against a loop of pack's rebase
// (the pack v0.40.0 library's client.Rebase, publish mode) over the same
// images, on the same registry, in one run.
//
//	go run ./bench/rebase -registry 127.0.0.1:5111 -app 127.0.0.1:5111/rebase-sample/dev/sample-go:latest [-n 1000]
//
// It makes the fleet registry-side from one real app image: the app is
// copied into <ns>/sample and force-rebased onto <ns>/run:bookworm (a copy of
// the run image), then N variants <ns>/app-NNNN:latest (each in its own
// repository, as apps are) get one small distinct layer each, so they are
// distinct images sharing the run image base. Then, in one run:
//
//  1. the run image <ns>/run:bookworm is patched registry-side (one more
//     layer, as a base-image fix would add);
//  2. goldenpath rebases the fleet (the library, or the CLI with -cli);
//     every image is checked (tag digest, metadata top layer);
//  3. the fleet is reset to its original manifests;
//  4. pack rebases the same fleet (or the first -pack-n images, timed and
//     extrapolated), one image after the other, as a loop of `pack
//     rebase --publish` would;
//
// and prints the times, the ratio and where goldenpath's time went
// (registry requests by kind, this process's and the registry's CPU).
package main

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime/pprof"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/buildpacks/pack/pkg/client"
	"github.com/buildpacks/pack/pkg/logging"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/static"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"golang.org/x/sync/errgroup"

	"github.com/goldenpath-dev/goldenpath/pipeline/cnb"
	"github.com/goldenpath-dev/goldenpath/pipeline/fleet"
	"github.com/goldenpath-dev/goldenpath/pipeline/registry"
)

type config struct {
	cold        bool
	registry    string
	app         string
	ns          string
	n           int
	concurrency int
	packN       int
	cli         string
	pidFile     string
	jsonOut     string
	cpuProfile  string
	runs        int
}

func main() {
	var c config
	flag.StringVar(&c.registry, "registry", os.Getenv("GOLDENPATH_REGISTRY"), "registry host:port (default $GOLDENPATH_REGISTRY)")
	flag.StringVar(&c.app, "app", "", "a real CNB app image to make the fleet from (required)")
	flag.StringVar(&c.ns, "ns", "bench-rebase", "repository namespace of the fleet in the registry")
	flag.IntVar(&c.n, "n", 1000, "fleet size")
	flag.IntVar(&c.concurrency, "concurrency", registry.DefaultConcurrency, "goldenpath's concurrency")
	flag.IntVar(&c.packN, "pack-n", 0, "images pack rebases (0: all; fewer: timed and extrapolated to n)")
	flag.StringVar(&c.cli, "cli", "", "goldenpath binary: time `goldenpath rebase --images-file` instead of the library")
	flag.StringVar(&c.pidFile, "registry-pid-file", "/var/cache/goldenpath/registry/registry.pid", "the registry's pid file, to read its CPU time")
	flag.StringVar(&c.jsonOut, "json", "", "also write the results as JSON to this file")
	flag.StringVar(&c.cpuProfile, "cpuprofile", "", "write a CPU profile of goldenpath's rebase (library mode) to this file")
	flag.IntVar(&c.runs, "runs", 3, "goldenpath runs (the fleet reset before each); the median is reported")
	flag.BoolVar(&c.cold, "cold", false, "patch the run image anew before each run, so that every run writes new configs and mounts a new layer (as each real patch does); without it, later runs find the configs of the first in the registry")
	flag.Parse()
	if err := run(context.Background(), c); err != nil {
		fmt.Fprintln(os.Stderr, "bench/rebase:", err)
		os.Exit(1)
	}
}

// results are what the benchmark measured.
type results struct {
	N                  int            `json:"n"`
	Concurrency        int            `json:"concurrency"`
	GoldenpathSeconds  float64        `json:"goldenpathSeconds"`
	GoldenpathRuns     []float64      `json:"goldenpathRuns"`
	GoldenpathBest     float64        `json:"goldenpathBestSeconds"`
	GoldenpathVia      string         `json:"goldenpathVia"`
	GoldenpathCPU      float64        `json:"goldenpathCpuSeconds"`
	RegistryCPU        float64        `json:"registryCpuSeconds"`
	Requests           registry.Stats `json:"requests"`
	PackImages         int            `json:"packImages"`
	PackSeconds        float64        `json:"packSeconds"`
	PackSecondsForN    float64        `json:"packSecondsForN"`
	PackExtrapolated   bool           `json:"packExtrapolated"`
	PackCPU            float64        `json:"packCpuSeconds"`
	PackRegistryCPU    float64        `json:"packRegistryCpuSeconds"`
	Ratio              float64        `json:"ratio"`
	FleetSetupSeconds  float64        `json:"fleetSetupSeconds"`
	RunImageBaseLayers int            `json:"runImageLayers"`
	AppLayers          int            `json:"appLayers"`

	runs []measure
}

func run(ctx context.Context, c config) error {
	if c.registry == "" || c.app == "" {
		return errors.New("-registry and -app are required")
	}
	if c.runs < 1 || c.n < 1 {
		return errors.New("-n and -runs must be at least 1")
	}
	reg := c.registry
	runRef := fmt.Sprintf("%s/%s/run:bookworm", reg, c.ns)
	sample := fmt.Sprintf("%s/%s/sample:latest", reg, c.ns)
	res := results{N: c.n, Concurrency: c.concurrency}

	// --- the fleet ------------------------------------------------------------------------------------------------
	setup := time.Now()
	app, err := image(c.app)
	if err != nil {
		return fmt.Errorf("reading the app image: %w", err)
	}
	cf, err := app.ConfigFile()
	if err != nil {
		return err
	}
	md, err := cnb.ParseLifecycleMetadata(cf.Config.Labels[cnb.LabelLifecycleMetadata])
	if err != nil {
		return fmt.Errorf("%s: %w", c.app, err)
	}
	origRun := pickName(md, reg)
	logf("images: copying the run image %s to %s and the app to %s", origRun, runRef, sample)
	base, err := image(origRun)
	if err != nil {
		return fmt.Errorf("reading the app's run image %s: %w", origRun, err)
	}
	// The benchmark's own run image; reset to the original on each run.
	if err := write(runRef, base); err != nil {
		return err
	}
	if err := write(sample, app); err != nil {
		return err
	}
	rb, err := fleet.NewRegistryRebaser(registry.WithConcurrency(c.concurrency))
	if err != nil {
		return err
	}
	rep, err := rb.Rebase(ctx, &fleet.RebaseSpec{Images: []string{sample}, RunImage: runRef, Force: true})
	if err != nil {
		return err
	}
	if err := rep.Err(); err != nil {
		return fmt.Errorf("moving the sample onto %s: %w", runRef, err)
	}
	if sampleImg, err := image(sample); err != nil {
		return err
	} else {
		app = sampleImg
	}
	layers, _ := app.Layers()
	baseLayers, _ := base.Layers()
	res.RunImageBaseLayers, res.AppLayers = len(baseLayers), len(layers)-len(baseLayers)+1

	images := make([]string, c.n)
	originals := make([][]byte, c.n)
	mediaType, _ := app.MediaType()
	logf("images: writing %d variants %s/%s/app-NNNN:latest (one distinct layer each)", c.n, reg, c.ns)
	err = parallel(c.n, 16, func(i int) error {
		images[i] = fmt.Sprintf("%s/%s/app-%04d:latest", reg, c.ns, i)
		v, err := variant(app, i)
		if err != nil {
			return err
		}
		if originals[i], err = v.RawManifest(); err != nil {
			return err
		}
		return write(images[i], v)
	})
	if err != nil {
		return fmt.Errorf("writing the images: %w", err)
	}
	res.FleetSetupSeconds = time.Since(setup).Seconds()
	logf("images: ready in %.1fs", res.FleetSetupSeconds)

	// --- 1. patch the run image -------------------------------------------------------------------------------------
	patched, err := patch(base, time.Now().Format(time.RFC3339Nano))
	if err != nil {
		return err
	}
	if err := write(runRef, patched); err != nil {
		return err
	}
	patchedDigest, _ := patched.Digest()
	patchedCfg, _ := patched.ConfigFile()
	top := patchedCfg.RootFS.DiffIDs[len(patchedCfg.RootFS.DiffIDs)-1]
	logf("run image patched: %s@%s (top layer %s)", runRef, patchedDigest, top)

	// --- 2. goldenpath, runs times (the fleet reset before each) ----------------------------------------------------
	reset := func() error {
		return parallel(c.n, 16, func(i int) error {
			ref, err := name.ParseReference(images[i], name.Insecure)
			if err != nil {
				return err
			}
			return remote.Put(ref, rawManifest{originals[i], mediaType})
		})
	}
	for run := range c.runs {
		if run > 0 {
			if err := reset(); err != nil {
				return fmt.Errorf("resetting the images: %w", err)
			}
			if c.cold {
				if patched, err = patch(base, time.Now().Format(time.RFC3339Nano)); err != nil {
					return err
				}
				if err := write(runRef, patched); err != nil {
					return err
				}
				patchedCfg, _ = patched.ConfigFile()
				top = patchedCfg.RootFS.DiffIDs[len(patchedCfg.RootFS.DiffIDs)-1]
			}
		}
		m, err := timeGoldenpath(ctx, c, images, runRef)
		if err != nil {
			return err
		}
		if err := check(images, top, "goldenpath"); err != nil {
			return err
		}
		logf("goldenpath run %d: %d images rebased in %.2fs (%.0f images/s), %d registry requests", run+1, c.n, m.seconds, float64(c.n)/m.seconds, m.requests.Total())
		res.GoldenpathRuns = append(res.GoldenpathRuns, m.seconds)
		if run == 0 || m.seconds < res.GoldenpathBest {
			res.GoldenpathBest = m.seconds
		}
		res.GoldenpathVia = m.via
		res.runs = append(res.runs, m)
	}
	// The median run is the one reported in detail.
	sorted := append([]measure(nil), res.runs...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].seconds < sorted[j].seconds })
	med := sorted[len(sorted)/2]
	res.GoldenpathSeconds, res.GoldenpathCPU, res.RegistryCPU, res.Requests = med.seconds, med.cpu, med.registryCPU, med.requests

	// --- 3. reset -----------------------------------------------------------------------------------------------------
	logf("resetting the images to its original manifests")
	if err := reset(); err != nil {
		return fmt.Errorf("resetting the images: %w", err)
	}

	// --- 4. pack ------------------------------------------------------------------------------------------------------
	packN := c.packN
	if packN <= 0 || packN > c.n {
		packN = c.n
	}
	res.PackImages = packN
	pc, err := client.NewClient(client.WithLogger(logging.NewSimpleLogger(io.Discard)))
	if err != nil {
		return err
	}
	logf("pack: rebasing %d images one after the other (client.Rebase, Publish)", packN)
	regCPU0 := registryCPU(c.pidFile)
	cpu0 := selfCPU()
	start := time.Now()
	for i := range packN {
		if err := pc.Rebase(ctx, client.RebaseOptions{RepoName: images[i], RunImage: runRef, Publish: true, InsecureRegistries: []string{reg}}); err != nil {
			return fmt.Errorf("pack rebase %s: %w", images[i], err)
		}
		if (i+1)%100 == 0 {
			logf("pack: %d/%d (%.1fs)", i+1, packN, time.Since(start).Seconds())
		}
	}
	res.PackSeconds = time.Since(start).Seconds()
	res.PackCPU = selfCPU() - cpu0
	res.PackRegistryCPU = registryCPU(c.pidFile) - regCPU0
	res.PackSecondsForN = res.PackSeconds * float64(c.n) / float64(packN)
	res.PackExtrapolated = packN < c.n
	if err := check(images[:packN], top, "pack"); err != nil {
		return err
	}
	res.Ratio = res.PackSecondsForN / res.GoldenpathSeconds

	report(os.Stdout, res)
	if c.jsonOut != "" {
		data, _ := json.MarshalIndent(res, "", "  ")
		if err := os.WriteFile(c.jsonOut, append(data, '\n'), 0o644); err != nil {
			return err
		}
	}
	return nil
}

// measure is one timed goldenpath rebase of the fleet.
type measure struct {
	via         string
	seconds     float64
	cpu         float64
	registryCPU float64
	requests    registry.Stats
}

func timeGoldenpath(ctx context.Context, c config, images []string, runRef string) (measure, error) {
	m := measure{via: "library"}
	regCPU0 := registryCPU(c.pidFile)
	var rep *fleet.RebaseReport
	if c.cli != "" {
		m.via = "cli"
		list, err := os.CreateTemp("", "images-*.txt")
		if err != nil {
			return m, err
		}
		defer os.Remove(list.Name())
		fmt.Fprintln(list, strings.Join(images, "\n"))
		list.Close()
		var out bytes.Buffer
		cmd := exec.CommandContext(ctx, c.cli, "rebase", "--images-file", list.Name(), "--run-image", runRef,
			"--concurrency", strconv.Itoa(c.concurrency), "-o", "json")
		cmd.Stdout, cmd.Stderr = &out, os.Stderr
		start := time.Now()
		err = cmd.Run()
		m.seconds = time.Since(start).Seconds()
		if err != nil {
			return m, fmt.Errorf("goldenpath rebase: %w", err)
		}
		rep = &fleet.RebaseReport{}
		if err := json.Unmarshal(out.Bytes(), rep); err != nil {
			return m, err
		}
		if st, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
			m.cpu = tv(st.Utime) + tv(st.Stime)
		}
	} else {
		rb, err := fleet.NewRegistryRebaser(registry.WithConcurrency(c.concurrency))
		if err != nil {
			return m, err
		}
		if c.cpuProfile != "" {
			f, err := os.Create(c.cpuProfile)
			if err != nil {
				return m, err
			}
			defer f.Close()
			if err := pprof.StartCPUProfile(f); err != nil {
				return m, err
			}
		}
		cpu0 := selfCPU()
		start := time.Now()
		rep, err = rb.Rebase(ctx, &fleet.RebaseSpec{Images: images, RunImage: runRef})
		m.seconds = time.Since(start).Seconds()
		m.cpu = selfCPU() - cpu0
		if c.cpuProfile != "" {
			pprof.StopCPUProfile()
		}
		if err != nil {
			return m, err
		}
	}
	m.registryCPU = registryCPU(c.pidFile) - regCPU0
	m.requests = rep.Requests
	if n := rep.Count(fleet.RebaseRebased); n != len(images) {
		return m, fmt.Errorf("goldenpath rebased %d of %d images: %v", n, len(images), rep.Err())
	}
	return m, nil
}

func report(w io.Writer, r results) {
	extra := ""
	if r.PackExtrapolated {
		extra = fmt.Sprintf(" (measured on %d images, %.1fs, extrapolated)", r.PackImages, r.PackSeconds)
	}
	fmt.Fprintf(w, "\nfleet rebase of %d app images (run image %d layers, app %d layers; one repository per app)\n", r.N, r.RunImageBaseLayers, r.AppLayers)
	runs := make([]string, len(r.GoldenpathRuns))
	for i, s := range r.GoldenpathRuns {
		runs[i] = fmt.Sprintf("%.2f", s)
	}
	fmt.Fprintf(w, "  goldenpath (%s, concurrency %d): %7.2fs  %6.0f images/s  (median of %d runs: %ss)\n", r.GoldenpathVia, r.Concurrency, r.GoldenpathSeconds, float64(r.N)/r.GoldenpathSeconds, len(runs), strings.Join(runs, ", "))
	fmt.Fprintf(w, "  pack loop  (client.Rebase):      %7.2fs  %6.1f images/s%s\n", r.PackSecondsForN, float64(r.N)/r.PackSecondsForN, extra)
	fmt.Fprintf(w, "  ratio pack/goldenpath: %.1fx (%.1fx with goldenpath's best run)\n", r.Ratio, r.PackSecondsForN/r.GoldenpathBest)
	fmt.Fprintf(w, "\nwhere goldenpath's %.2fs went:\n", r.GoldenpathSeconds)
	fmt.Fprintf(w, "  CPU: goldenpath %.2fs, registry %.2fs (of %.2fs x 2 cores available)\n", r.GoldenpathCPU, r.RegistryCPU, r.GoldenpathSeconds)
	kinds := make([]string, 0, len(r.Requests.Requests))
	for k := range r.Requests.Requests {
		kinds = append(kinds, k)
	}
	sort.Slice(kinds, func(i, j int) bool { return r.Requests.Seconds[kinds[i]] > r.Requests.Seconds[kinds[j]] })
	fmt.Fprintf(w, "  %d registry requests (%.1f per image); time in requests, summed over the %d workers:\n", r.Requests.Total(), float64(r.Requests.Total())/float64(r.N), r.Concurrency)
	for _, k := range kinds {
		n := r.Requests.Requests[k]
		fmt.Fprintf(w, "    %-13s %6d  %7.2fs  %6.2fms each\n", k, n, r.Requests.Seconds[k], 1000*r.Requests.Seconds[k]/float64(n))
	}
	fmt.Fprintf(w, "  pack's loop: CPU %.2fs here, registry %.2fs, for %d images\n", r.PackCPU, r.PackRegistryCPU, r.PackImages)
}

// check verifies that every image's tag points at an image whose lifecycle
// metadata names the patched run image's top layer.
func check(images []string, top v1.Hash, who string) error {
	return parallel(len(images), 16, func(i int) error {
		img, err := image(images[i])
		if err != nil {
			return err
		}
		cf, err := img.ConfigFile()
		if err != nil {
			return err
		}
		md, err := cnb.ParseLifecycleMetadata(cf.Config.Labels[cnb.LabelLifecycleMetadata])
		if err != nil {
			return err
		}
		if md.RunImage.TopLayer != top.String() {
			return fmt.Errorf("%s: after %s's rebase, runImage.topLayer is %s, want %s", images[i], who, md.RunImage.TopLayer, top)
		}
		return nil
	})
}

// pickName is the run image name the metadata records on this registry.
func pickName(md *cnb.LifecycleMetadata, reg string) string {
	for _, n := range md.Names() {
		if strings.HasPrefix(n, reg+"/") {
			return n
		}
	}
	return md.RunImage.Reference
}

func image(s string) (v1.Image, error) {
	ref, err := name.ParseReference(s, name.Insecure)
	if err != nil {
		return nil, err
	}
	return remote.Image(ref)
}

var pusher struct {
	once sync.Once
	p    *remote.Pusher
	err  error
}

func write(s string, img v1.Image) error {
	ref, err := name.ParseReference(s, name.Insecure)
	if err != nil {
		return err
	}
	pusher.once.Do(func() { pusher.p, pusher.err = remote.NewPusher() })
	if pusher.err != nil {
		return pusher.err
	}
	if err := remote.Write(ref, img, remote.Reuse(pusher.p)); err != nil {
		return fmt.Errorf("writing %s: %w", s, err)
	}
	return nil
}

// variant appends one small, distinct, reproducible layer to the app.
func variant(app v1.Image, i int) (v1.Image, error) {
	l, err := tarLayer(map[string]string{"workspace/.goldenpath-variant": strconv.Itoa(i) + "\n"})
	if err != nil {
		return nil, err
	}
	return mutate.Append(app, mutate.Addendum{Layer: l, History: v1.History{CreatedBy: "bench/rebase variant " + strconv.Itoa(i)}})
}

// patch is a base-image fix done registry-side: one more layer with
// /etc/goldenpath-patch and the label io.goldenpath.patch.
func patch(base v1.Image, id string) (v1.Image, error) {
	l, err := tarLayer(map[string]string{"etc/goldenpath-patch": id + "\n"})
	if err != nil {
		return nil, err
	}
	img, err := mutate.Append(base, mutate.Addendum{Layer: l, History: v1.History{CreatedBy: "COPY goldenpath-patch /etc/goldenpath-patch"}})
	if err != nil {
		return nil, err
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return nil, err
	}
	cf = cf.DeepCopy()
	cf.Config.Labels["io.goldenpath.patch"] = id
	return mutate.ConfigFile(img, cf)
}

func tarLayer(files map[string]string) (v1.Layer, error) {
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gz)
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		if err := tw.WriteHeader(&tar.Header{Name: n, Mode: 0o644, Size: int64(len(files[n])), Uid: 1000, Gid: 1000, Typeflag: tar.TypeReg}); err != nil {
			return nil, err
		}
		if _, err := tw.Write([]byte(files[n])); err != nil {
			return nil, err
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	if err := gz.Close(); err != nil {
		return nil, err
	}
	return static.NewLayer(buf.Bytes(), types.DockerLayer), nil
}

type rawManifest struct {
	data []byte
	mt   types.MediaType
}

func (m rawManifest) RawManifest() ([]byte, error)        { return m.data, nil }
func (m rawManifest) MediaType() (types.MediaType, error) { return m.mt, nil }

func parallel(n, workers int, f func(i int) error) error {
	var g errgroup.Group
	g.SetLimit(workers)
	for i := range n {
		g.Go(func() error { return f(i) })
	}
	return g.Wait()
}

func selfCPU() float64 {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return tv(ru.Utime) + tv(ru.Stime)
}

func tv(t syscall.Timeval) float64 { return float64(t.Sec) + float64(t.Usec)/1e6 }

// registryCPU is the registry process's user+system CPU seconds, or 0.
func registryCPU(pidFile string) float64 {
	data, err := os.ReadFile(pidFile)
	if err != nil {
		return 0
	}
	stat, err := os.ReadFile("/proc/" + strings.TrimSpace(string(data)) + "/stat")
	if err != nil {
		return 0
	}
	// Fields after the command name in parentheses: utime and stime are
	// the 14th and 15th fields of the line.
	s := string(stat)
	fields := strings.Fields(s[strings.LastIndexByte(s, ')')+2:])
	if len(fields) < 13 {
		return 0
	}
	ut, _ := strconv.ParseFloat(fields[11], 64)
	st, _ := strconv.ParseFloat(fields[12], 64)
	return (ut + st) / 100 // USER_HZ
}

func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "[bench/rebase %s] %s\n", time.Now().Format("15:04:05"), fmt.Sprintf(format, args...))
}
