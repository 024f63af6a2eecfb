package main

import (
	"context"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/goldenpath-dev/goldenpath/contract"
	"github.com/goldenpath-dev/goldenpath/goldenpath"
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
			genErr = run(benchFiles, genDir, 0.1, 1, false)
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

// BenchmarkValidatePaths is `goldenpath validate DIR` without printing:
// walk, read, decode, validate and admit every file, one worker per CPU.
func BenchmarkValidatePaths(b *testing.B) {
	dir := contracts(b)
	b.ResetTimer()
	for b.Loop() {
		rep, err := goldenpath.ValidatePaths(context.Background(), []string{dir})
		if err != nil {
			b.Fatal(err)
		}
		if len(rep.Files) != benchFiles {
			b.Fatalf("%d files", len(rep.Files))
		}
	}
	b.ReportMetric(float64(benchFiles*b.N)/b.Elapsed().Seconds(), "files/s")
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
	b.ResetTimer()
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
	b.ReportMetric(float64(len(files)*b.N)/b.Elapsed().Seconds(), "files/s")
}
