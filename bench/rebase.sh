#!/usr/bin/env bash
# bench/rebase.sh [N] — a fleet rebase of N app images (default 1000) on the local registry: goldenpath against a loop
# of pack's rebase, in one run, on the same images.
#
#   1. builds goldenpath (go build) into bench/.cache/ (or $GOLDENPATH_CACHE/bench/ when set);
#   2. the sample app image: $BENCH_APP when set, else examples/apps/go built by `goldenpath build --publish
#      <registry>/bench-rebase-src` (the pipeline: pack and the offline builder; ~30 s warm, ~1-2 min cold);
#   3. go run ./bench/rebase: the fleet (N variants, one repository each, registry-side), a patched run image,
#      goldenpath's rebase of the fleet ($BENCH_RUNS times, the fleet reset in between), then pack's (client.Rebase,
#      publish mode, one image after the other) on the same fleet; prints the times, the ratio and where the time went.
#
# Needs hack/setup.sh's environment: GOLDENPATH_REGISTRY etc. ($GOLDENPATH_CACHE/env.sh is sourced when unset).
#
# Environment:
#   BENCH_APP          a CNB app image to make the fleet from (default: build the sample)
#   BENCH_PACK_N       images pack rebases (default N; fewer are timed and extrapolated to N, and said so)
#   BENCH_CONCURRENCY  goldenpath's --concurrency (default 16)
#   BENCH_RUNS         goldenpath runs, median reported (default 3)
#   BENCH_VIA          cli (default: the goldenpath binary, as users run it) or library (in-process)
#   BENCH_NS           repository namespace of the fleet (default bench-rebase)
#   BENCH_JSON         also write the results as JSON to this file
#   BENCH_COLD         set: patch the run image anew before each run (every run writes new configs, as real patches do)
#   BENCH_REGISTRY     shared (default: $GOLDENPATH_REGISTRY, as hack/setup.sh runs it) or private: a docker-registry
#                      of the benchmark's own (the same distribution binary) on a free loopback port, tuned as a
#                      production registry would be (log level warn, no access log, GOGC=$BENCH_REGISTRY_GOGC,
#                      default 400); stopped at the end. The app and run images are copied into it.
#
# Exit status: 0 when both rebased every image correctly (each tag checked), 1 otherwise.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
n=${1:-1000}
if ! [[ $n =~ ^[1-9][0-9]*$ ]]; then
	echo "usage: bench/rebase.sh [N]" >&2
	exit 2
fi
if [ -z "${GOLDENPATH_REGISTRY:-}" ]; then
	env_file=${GOLDENPATH_CACHE:-/var/cache/goldenpath}/env.sh
	if [ ! -f "$env_file" ]; then
		echo "bench/rebase.sh: no GOLDENPATH_REGISTRY and no $env_file: run bash hack/setup.sh first" >&2
		exit 1
	fi
	# shellcheck disable=SC1090
	source "$env_file"
fi
reg=$GOLDENPATH_REGISTRY
cache=${GOLDENPATH_CACHE:+$GOLDENPATH_CACHE/bench}
cache=${cache:-bench/.cache}
mkdir -p "$cache"
log() { printf '[bench/rebase.sh %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

log "go build goldenpath and the benchmark"
go build -o "$cache/goldenpath" ./cmd/goldenpath
go build -o "$cache/bench-rebase" ./bench/rebase

app=${BENCH_APP:-}
if [ -z "$app" ]; then
	log "building the sample app (examples/apps/go) with goldenpath build --publish $reg/bench-rebase-src"
	app=$("$cache/goldenpath" build -f examples/apps/go/goldenpath.yaml --source . \
		--platform examples/platform/local.yaml --publish "$reg/bench-rebase-src" 2>"$cache/build.log") || {
		tail -n 30 "$cache/build.log" >&2
		exit 1
	}
fi
log "sample app: $app"

pid_file=${GOLDENPATH_CACHE:-/var/cache/goldenpath}/registry/registry.pid
if [ "${BENCH_REGISTRY:-shared}" = private ]; then
	rdir=$cache/registry
	rm -rf "$rdir"
	mkdir -p "$rdir/data"
	port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
	cat >"$rdir/config.yml" <<EOF
version: 0.1
log:
  level: warn
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: $rdir/data
  cache:
    blobdescriptor: inmemory
http:
  addr: 127.0.0.1:$port
  secret: bench-rebase
EOF
	GOGC=${BENCH_REGISTRY_GOGC:-400} /usr/bin/docker-registry serve "$rdir/config.yml" >"$rdir/log" 2>&1 &
	rpid=$!
	echo "$rpid" >"$rdir/pid"
	trap 'kill "$rpid" 2>/dev/null || true; sleep 0.5; rm -rf "$rdir/data"' EXIT
	for _ in $(seq 50); do
		curl -fsS "http://127.0.0.1:$port/v2/" >/dev/null 2>&1 && break
		sleep 0.1
	done
	reg=127.0.0.1:$port
	pid_file=$rdir/pid
	log "private registry $reg (pid $rpid, GOGC=${BENCH_REGISTRY_GOGC:-400}, quiet logs)"
fi

via=()
if [ "${BENCH_VIA:-cli}" = cli ]; then
	via=(-cli "$cache/goldenpath")
fi
log "load before the run: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) CPUs"
"$cache/bench-rebase" -registry "$reg" -app "$app" -n "$n" \
	-ns "${BENCH_NS:-bench-rebase}" -pack-n "${BENCH_PACK_N:-0}" -concurrency "${BENCH_CONCURRENCY:-16}" \
	-runs "${BENCH_RUNS:-3}" -registry-pid-file "$pid_file" ${BENCH_JSON:+-json "$BENCH_JSON"} ${BENCH_COLD:+-cold} "${via[@]}"
log "load after the run: $(cut -d' ' -f1-3 /proc/loadavg)"
