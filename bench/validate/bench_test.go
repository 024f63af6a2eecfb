package main

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/goldenpath-dev/goldenpath/contract"
	"github.com/goldenpath-dev/goldenpath/goldenpath"
	"github.com/goldenpath-dev/goldenpath/internal/cli"
)

// The benchmarks here are the profiling harness of bench/validate.sh: they
// run what `goldenpath validate` runs, in process, on generated contracts.
//
//	go test ./bench/validate -run '^$' -bench . -benchtime 3x -cpuprofile /tmp/cpu.out
//	go tool pprof -top /tmp/cpu.out

const benchFiles = 2000

var (
	genOnce sync.Once
	genDir  string
	genErr  error
)

func contracts(b *testing.B) string {
	b.Helper()
	genOnce.Do(func() {
		genDir, genErr = os.MkdirTemp("", "goldenpath-bench-")
		if genErr == nil {
			genErr = run(benchFiles, genDir, 0.1, 1, false, io.Discard)
		}
	})
	if genErr != nil {
		b.Fatal(genErr)
	}
	return genDir
}

func TestMain(m *testing.M) {
	code := m.Run()
	if genDir != "" {
		os.RemoveAll(genDir)
	}
	os.Exit(code)
}

// BenchmarkCLI is `goldenpath validate DIR -o json > /dev/null` in process:
// flag parsing, the default platform, validation and the JSON report.
func BenchmarkCLI(b *testing.B) {
	dir := contracts(b)
	cpu := cpuTime()
	for b.Loop() {
		code := cli.Run(context.Background(), cli.Streams{In: strings.NewReader(""), Out: io.Discard, Err: io.Discard}, []string{"validate", dir, "-o", "json"})
		if code != cli.ExitFailure { // the generated set holds invalid files
			b.Fatalf("exit status %d", code)
		}
	}
	report(b, benchFiles, cpu)
}

// BenchmarkValidatePaths is `goldenpath validate DIR` without printing:
// walk, read, decode, validate and admit every file, one worker per CPU.
func BenchmarkValidatePaths(b *testing.B) {
	dir := contracts(b)
	cpu := cpuTime()
	for b.Loop() {
		rep, err := goldenpath.ValidatePaths(context.Background(), []string{dir})
		if err != nil {
			b.Fatal(err)
		}
		if len(rep.Files) != benchFiles {
			b.Fatalf("%d files", len(rep.Files))
		}
	}
	report(b, benchFiles, cpu)
}

// BenchmarkLoadValidateAdmit is the per-file work on one goroutine, with the
// files already in memory: what a single core can do.
func BenchmarkLoadValidateAdmit(b *testing.B) {
	dir := contracts(b)
	files, err := filepath.Glob(filepath.Join(dir, "*.yaml"))
	if err != nil {
		b.Fatal(err)
	}
	data := make([][]byte, len(files))
	for i, f := range files {
		if data[i], err = os.ReadFile(f); err != nil {
			b.Fatal(err)
		}
	}
	platform := contract.DefaultPlatform()
	cpu := cpuTime()
	for b.Loop() {
		for i, d := range data {
			objs, _ := contract.LoadObjects(files[i], d)
			for _, o := range objs {
				if r, ok := o.(*contract.AppDeploymentRequest); ok {
					platform.Admit(r)
				}
			}
		}
	}
	report(b, len(files), cpu)
}

// report adds files/s (wall clock) and the process CPU time (user+system,
// all threads, GC included) per file, which stays meaningful on a machine
// busy with other work.
func report(b *testing.B, files int, cpuStart time.Duration) {
	n := float64(files * b.N)
	b.ReportMetric(n/b.Elapsed().Seconds(), "files/s")
	b.ReportMetric(float64((cpuTime()-cpuStart).Nanoseconds())/n, "cpu-ns/file")
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
