#!/usr/bin/env bash
# bench/fuzz.sh [DURATION] — fuzz the contract loader (contract.FuzzLoad) for
# DURATION (a go test -fuzztime value, default 5m) and report what it found.
#
# FuzzLoad feeds arbitrary bytes to contract.LoadObjects and fails when the
# loader panics, returns neither objects nor an error, reports an error
# without file or message, or returns an object that does not validate.
# A failing input is minimized (at most 5 s) and saved by go test under
# contract/testdata/fuzz/FuzzLoad/, where plain `go test ./contract` replays
# it from then on. This script lists every input saved during the run.
#
# Exit status: 0 when the fuzzer found nothing, 1 when it found a failure
# (or could not run).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

duration=${1:-5m}
if [ $# -gt 1 ] || ! [[ $duration =~ ^[0-9]+(\.[0-9]+)?(ns|us|µs|ms|s|m|h|x)$ ]]; then
	echo "usage: bench/fuzz.sh [DURATION]   (a -fuzztime value such as 30s, 5m, 1h or 100000x; default 5m)" >&2
	exit 2
fi

corpus=contract/testdata/fuzz/FuzzLoad
list() { if [ -d "$corpus" ]; then find "$corpus" -maxdepth 1 -type f -printf '%f\n' | sort; fi; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/goldenpath-fuzz.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
list >"$tmp/before"

echo "fuzzing contract.FuzzLoad for $duration on $(nproc) cpus ($(go version | cut -d' ' -f3)); saved failures: $(wc -l <"$tmp/before") before the run"
echo "(a line with 0 execs/sec for a while means the fuzzer is minimizing a new input: that is normal)"
start=$(date +%s)
rc=0
go test ./contract -run '^$' -fuzz '^FuzzLoad$' -fuzztime "$duration" -fuzzminimizetime 5s 2>&1 | tee "$tmp/log" || rc=$?
end=$(date +%s)

list >"$tmp/after"
comm -13 "$tmp/before" "$tmp/after" >"$tmp/new"

echo
echo "== fuzz report"
echo "ran for $((end - start)) s; go test exit status $rc"
last=$(grep -E '^fuzz: elapsed' "$tmp/log" | tail -n 1 || true)
if [ -n "$last" ]; then
	echo "last status: $last"
fi
if [ -s "$tmp/new" ]; then
	echo "NEW FAILING INPUTS saved under $corpus/ ($(wc -l <"$tmp/new")):"
	while read -r f; do
		echo "--- $corpus/$f"
		head -c 2000 "$corpus/$f"
		echo
		echo "    replay: go test ./contract -run 'FuzzLoad/$f' -v"
	done <"$tmp/new"
	grep -E -A 12 -- '^--- FAIL|^\s+fuzzing process hung|panic:' "$tmp/log" | head -n 60 || true
	exit 1
fi
if [ $rc -ne 0 ]; then
	echo "go test failed without saving an input (see the output above)"
	exit 1
fi
echo "no failure found; no new input saved under $corpus/"
