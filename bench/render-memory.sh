#!/usr/bin/env bash
# bench/render-memory.sh [N...] — peak memory (maximum resident set size) of
# `goldenpath render` (YAML stream to stdout) and `goldenpath render --out`
# (GitOps tree on disk) for N generated contracts (default: 5000 50000), for
# this checkout and for a base revision (BENCH_BASE, default main; empty to
# skip), with MB per contract and the wall time. Goal: 50,000 contracts within
# 500 MB. Each figure is one run (BENCH_RUNS for more; the largest peak is kept).
# Knobs: BENCH_BASE_MAX (default 50000): the largest N the base is run with
# (the base of this change needs ~5.4 GB for 50,000).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
sizes=("${@:-5000 50000}")
read -r -a sizes <<<"${sizes[*]}"
base=${BENCH_BASE-main}
base_max=${BENCH_BASE_MAX:-50000}
runs=${BENCH_RUNS:-1}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
[[ -x /usr/bin/time ]] || { echo "needs /usr/bin/time (apt-get install time)" >&2; exit 1; }

go build -o "$work/goldenpath" ./cmd/goldenpath
bins=("this:$work/goldenpath")
if [[ -n $base ]]; then
	mkdir "$work/base"
	git archive "$base" | tar -x -C "$work/base"
	(cd "$work/base" && go build -o "$work/goldenpath-base" ./cmd/goldenpath)
	bins+=("$base:$work/goldenpath-base")
fi

# measure BIN ARGS...: prints "peak_kb seconds" of the largest of $runs runs.
measure() {
	local best_kb=0 best_s=0 out kb s
	for _ in $(seq "$runs"); do
		rm -rf "$work/out"
		/usr/bin/time -o "$work/time" -f '%M %e' "$@" >/dev/null 2>"$work/stderr" ||
			{ cat "$work/stderr" >&2; exit 1; }
		read -r kb s <"$work/time"
		if ((kb > best_kb)); then best_kb=$kb best_s=$s; fi
	done
	echo "$best_kb $best_s"
}

printf '%-8s %-10s %-14s %10s %12s %9s\n' contracts binary command "peak MB" "KB/contract" seconds
for n in "${sizes[@]}"; do
	go run ./bench/validate -n "$n" -out "$work/c$n" -invalid-ratio 0 -seed 1 -force >/dev/null 2>&1
	for b in "${bins[@]}"; do
		name=${b%%:*} bin=${b#*:}
		if [[ $name != this && $n -gt $base_max ]]; then
			continue
		fi
		for mode in stream tree; do
			args=(render "$work/c$n")
			[[ $mode == tree ]] && args=(render --out "$work/out" "$work/c$n")
			read -r kb s < <(measure "$bin" "${args[@]}")
			printf '%-8s %-10s %-14s %10.0f %12.1f %9s\n' "$n" "$name" "render $([[ $mode == tree ]] && echo --out || echo '>stdout')" \
				"$(awk -v kb="$kb" 'BEGIN { print kb / 1024 }')" "$(awk -v kb="$kb" -v n="$n" 'BEGIN { print kb / n }')" "$s"
		done
	done
	rm -rf "$work/c$n" "$work/out"
done
