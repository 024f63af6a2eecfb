#!/usr/bin/env bash
# bench/render.sh [N] — how fast goldenpath renders N contracts (default
# 10000) into a GitOps tree on disk, end to end: `goldenpath render --out`
# (read and validate every contract, check policy, render kpack Image,
# Deployment, Service, Ingress, bindings, kustomization and Argo CD
# Application, write every file atomically). Prints apps per second for the
# median of 3 runs, and the Go benchmark of rendering alone (no disk).
# Goal: >= 5,000 apps/s on 2 cores.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
n=${1:-10000}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

go build -o "$work/goldenpath" ./cmd/goldenpath
go run ./bench/validate -n "$n" -out "$work/contracts" -invalid-ratio 0 -seed 1 >/dev/null

stream=()
for run in 1 2 3; do
	start=$(date +%s%N)
	"$work/goldenpath" render "$work/contracts" >/dev/null
	stream+=($(( ($(date +%s%N) - start) / 1000000 )))
done
smedian=$(printf '%s\n' "${stream[@]}" | sort -n | sed -n 2p)
echo "goldenpath render (YAML stream to stdout): ${n} contracts; runs (ms): ${stream[*]}; median ${smedian} ms"
awk -v n="$n" -v ms="$smedian" 'BEGIN { printf "end to end, to stdout: %.0f apps/s (goal >= 5000)\n", n / (ms / 1000) }'

times=()
for run in 1 2 3; do
	rm -rf "$work/out"
	start=$(date +%s%N)
	"$work/goldenpath" render --out "$work/out" "$work/contracts" 2>/dev/null
	end=$(date +%s%N)
	times+=($(( (end - start) / 1000000 )))
done
files=$(find "$work/out" -type f | wc -l)
median=$(printf '%s\n' "${times[@]}" | sort -n | sed -n 2p)
echo "goldenpath render --out: ${n} contracts -> ${files} files; runs (ms): ${times[*]}; median ${median} ms"
awk -v n="$n" -v ms="$median" 'BEGIN { printf "end to end, to disk: %.0f apps/s (file creation bound)\n", n / (ms / 1000) }'

# Rendering alone, in memory, one core and all cores.
go test ./render -run '^$' -bench 'BenchmarkRenderTree' -benchtime 5000x -cpu 1,2 | grep -E '^Benchmark'
