#!/usr/bin/env bash
# bench/validate.sh [N...] — how fast `goldenpath validate` checks N contracts,
# against ajv-cli with the same draft-07 JSON Schema on the same files.
#
# For each N (default: 1000 10000) it generates N contracts with
# `go run ./bench/validate` (10% invalid, seed 1), checks that both validators
# give the verdicts the generator expects, then times
#   (a) goldenpath validate DIR -o json > /dev/null
#   (b) ajv validate --spec=draft7 -c ajv-formats -s schema.json -d "DIR/*.yaml" --errors=no
# with hyperfine when it is installed (else the median of 3 runs).
#
# Environment:
#   BENCH_RUNS            timed runs per command (default 10 with hyperfine, 3 without)
#   BENCH_INVALID_RATIO   fraction of invalid contracts (default 0.1)
#   BENCH_SEED            generator seed (default 1)
#   BENCH_AJV_ALL_ERRORS  1: pass --all-errors to ajv, as goldenpath always
#                         collects every error (default 0: ajv stops at the
#                         first error of a file, its fastest mode)
#   BENCH_INSTALL_HYPERFINE  0: do not try `apt-get install hyperfine` (default 1, only as root)
#   BENCH_TIMER           hyperfine (default when installed) or date
#   GOLDENPATH_CACHE      npm packages go to $GOLDENPATH_CACHE/npm (default bench/.node)
#
# Exit status: 0 when both validators gave the expected verdicts, 1 otherwise.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
root=$PWD

# Pinned tool versions: ajv-cli 5.0.0 is the latest release; ajv is pinned
# too, as it does the work (ajv-cli accepts any ajv ^8).
AJV_CLI_VERSION=5.0.0
AJV_FORMATS_VERSION=3.0.1
AJV_VERSION=8.20.0

sizes=("$@")
if [ ${#sizes[@]} -eq 0 ]; then
	sizes=(1000 10000)
fi
for n in "${sizes[@]}"; do
	if ! [[ $n =~ ^[1-9][0-9]*$ ]]; then
		echo "usage: bench/validate.sh [N...]   (N: number of contracts, default 1000 10000)" >&2
		exit 2
	fi
done
ratio=${BENCH_INVALID_RATIO:-0.1}
seed=${BENCH_SEED:-1}
ajv_flags=(--spec=draft7 -c ajv-formats --errors=no)
if [ "${BENCH_AJV_ALL_ERRORS:-0}" = 1 ]; then
	ajv_flags+=(--all-errors)
fi

log() { printf '==> %s\n' "$*" >&2; }

for tool in go node npm; do
	command -v "$tool" >/dev/null || { echo "bench/validate.sh: $tool is not installed" >&2; exit 1; }
done

timer=${BENCH_TIMER:-hyperfine}
if [ "$timer" != hyperfine ] && [ "$timer" != date ]; then
	echo "bench/validate.sh: BENCH_TIMER must be hyperfine or date" >&2
	exit 2
fi
if [ "$timer" = hyperfine ] && ! command -v hyperfine >/dev/null && [ "${BENCH_INSTALL_HYPERFINE:-1}" = 1 ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
	log "installing hyperfine (apt-get; BENCH_INSTALL_HYPERFINE=0 to skip)"
	apt-get install -y -qq hyperfine >/dev/null 2>&1 || log "no hyperfine: timing with date instead"
fi
if [ "$timer" = hyperfine ] && ! command -v hyperfine >/dev/null; then
	timer="date"
fi
if [ "$timer" = hyperfine ]; then
	runs=${BENCH_RUNS:-10}
else
	runs=${BENCH_RUNS:-3}
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/goldenpath-bench.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

# --- tools ---------------------------------------------------------------
if [ -n "${GOLDENPATH_CACHE:-}" ]; then
	npmdir=$GOLDENPATH_CACHE/npm
else
	npmdir=$root/bench/.node
fi
ajv=$npmdir/node_modules/.bin/ajv
stamp="ajv-cli@$AJV_CLI_VERSION ajv-formats@$AJV_FORMATS_VERSION ajv@$AJV_VERSION"
if [ ! -x "$ajv" ] || [ "$(cat "$npmdir/.stamp" 2>/dev/null)" != "$stamp" ]; then
	log "installing $stamp into $npmdir"
	mkdir -p "$npmdir"
	cat >"$npmdir/package.json" <<EOF
{
  "name": "goldenpath-bench-tools",
  "private": true,
  "description": "installed by bench/validate.sh",
  "dependencies": {
    "ajv-cli": "$AJV_CLI_VERSION",
    "ajv-formats": "$AJV_FORMATS_VERSION",
    "ajv": "$AJV_VERSION"
  }
}
EOF
	(cd "$npmdir" && npm install --no-audit --no-fund --prefer-offline --loglevel=error >/dev/null)
	echo "$stamp" >"$npmdir/.stamp"
fi

log "building goldenpath and the generator"
go build -o "$tmp/goldenpath" ./cmd/goldenpath
go build -o "$tmp/gen" ./bench/validate
"$tmp/goldenpath" schema >"$tmp/schema.json"

# compare.js reads the generator's manifest, goldenpath's JSON report and
# ajv's per-file lines, prints the agreement counts and exits 1 on any
# verdict that differs from the expected one.
cat >"$tmp/compare.js" <<'EOF'
const fs = require("fs"), path = require("path");
const [manifestFile, gpFile, ajvOut, ajvErr] = process.argv.slice(2);
const want = new Map();
for (const line of fs.readFileSync(manifestFile, "utf8").split("\n")) {
  if (!line || line.startsWith("#")) continue;
  const [file, gp, schema, kase] = line.split("\t");
  want.set(file, { gp, schema, kase });
}
const gp = new Map();
for (const f of JSON.parse(fs.readFileSync(gpFile, "utf8")).files)
  gp.set(path.basename(f.path), f.errors.length > 0 ? "invalid" : "valid");
const ajv = new Map();
for (const [file, verdict] of [[ajvOut, "valid"], [ajvErr, "invalid"]])
  for (const line of fs.readFileSync(file, "utf8").split("\n")) {
    const m = line.match(/^(.*) (valid|invalid)$/);
    if (m && m[2] === verdict) ajv.set(path.basename(m[1]), verdict);
  }
const count = { both: 0, none: 0, gpOnly: 0, ajvOnly: 0, gpWrong: 0, ajvWrong: 0, gpMissing: 0, ajvMissing: 0 };
const expected = { valid: 0, schema: 0, gpOnly: 0 };
const wrong = [];
for (const [file, w] of want) {
  if (w.gp === "valid") expected.valid++;
  else if (w.schema === "invalid") expected.schema++;
  else expected.gpOnly++;
  const g = gp.get(file), a = ajv.get(file);
  if (!g) { count.gpMissing++; wrong.push(`${file}: no goldenpath verdict`); continue; }
  if (!a) { count.ajvMissing++; wrong.push(`${file}: no ajv verdict`); continue; }
  if (g !== w.gp) { count.gpWrong++; wrong.push(`${file} (${w.kase}): goldenpath says ${g}, expected ${w.gp}`); }
  if (a !== w.schema) { count.ajvWrong++; wrong.push(`${file} (${w.kase}): ajv says ${a}, expected ${w.schema}`); }
  if (g === "invalid" && a === "invalid") count.both++;
  else if (g === "valid" && a === "valid") count.none++;
  else if (g === "invalid") count.gpOnly++;
  else count.ajvOnly++;
}
const gpInvalid = [...gp.values()].filter((v) => v === "invalid").length;
const ajvInvalid = [...ajv.values()].filter((v) => v === "invalid").length;
console.log(`  generated: ${want.size} files: ${expected.valid} valid, ${expected.schema} invalid by schema rules, ${expected.gpOnly} invalid by Go-only rules (policy, unique bindings, clean paths, zero quantities, TLS without ingress)`);
console.log(`  goldenpath: ${gp.size} files, ${gpInvalid} invalid (expected ${expected.schema + expected.gpOnly}); ajv: ${ajv.size} files, ${ajvInvalid} invalid (expected ${expected.schema})`);
console.log(`  agreement: both invalid ${count.both}, both valid ${count.none}, goldenpath-only invalid ${count.gpOnly} (expected ${expected.gpOnly}), ajv-only invalid ${count.ajvOnly} (expected 0)`);
const bad = wrong.length;
console.log(`  unexpected verdicts: ${bad}`);
for (const w of wrong.slice(0, 20)) console.log("    " + w);
process.exit(bad > 0 || gp.size !== want.size || ajv.size !== want.size ? 1 : 0);
EOF

# run CMD... : runs a validator, accepting exit status 0 (all valid) and 1
# (some invalid); anything else (2: ajv could not read a file, usage) fails.
run() {
	local rc=0
	"$@" || rc=$?
	if [ $rc -gt 1 ]; then
		echo "bench/validate.sh: exit status $rc from: $*" >&2
		return 1
	fi
}

# seconds CMD... : wall-clock seconds of one run.
seconds() {
	local start end
	start=$(date +%s%N)
	run "$@" >/dev/null 2>&1
	end=$(date +%s%N)
	echo $(((end - start) / 1000)) | awk '{printf "%.6f\n", $1 / 1e6}'
}

# time_cmd NAME CMD... : prints "median_s user_s system_s" for the command.
time_cmd() {
	local name=$1
	shift
	if [ "$timer" = hyperfine ]; then
		local q=() a
		for a in "$@"; do q+=("$(printf '%q' "$a")"); done
		if ! hyperfine --shell=none --ignore-failure --warmup 1 --runs "$runs" --style none \
			--export-json "$tmp/$name.json" "${q[*]}" >/dev/null 2>"$tmp/$name.err"; then
			cat "$tmp/$name.err" >&2
			return 1
		fi
		node -e 'const r = require(process.argv[1]).results[0]; console.log(r.median.toFixed(4), r.user.toFixed(4), r.system.toFixed(4))' "$tmp/$name.json"
	else
		run "$@" >/dev/null 2>&1 # warm-up
		local i times=()
		for ((i = 0; i < runs; i++)); do times+=("$(seconds "$@")"); done
		printf '%s\n' "${times[@]}" | sort -n | awk '{t[NR] = $1} END {printf "%.4f - -\n", t[int((NR + 1) / 2)]}'
	fi
}

echo "goldenpath validate vs ajv-cli $AJV_CLI_VERSION (ajv $AJV_VERSION, ajv-formats $AJV_FORMATS_VERSION, node $(node --version)), $(go version | cut -d' ' -f3)"
echo "cpus: $(nproc); load average: $(cut -d' ' -f1-3 /proc/loadavg); timing: $timer, median of $runs runs after 1 warm-up; ajv flags: ${ajv_flags[*]}"
echo

status=0
summary=()
for n in "${sizes[@]}"; do
	dir=$tmp/contracts-$n
	log "generating $n contracts"
	"$tmp/gen" -n "$n" -out "$dir" -invalid-ratio "$ratio" -seed "$seed" 2>/dev/null

	echo "N=$n"
	run "$tmp/goldenpath" validate "$dir" -o json >"$tmp/gp-$n.json"
	run "$ajv" validate "${ajv_flags[@]}" -s "$tmp/schema.json" -d "$dir/*.yaml" >"$tmp/ajv-$n.out" 2>"$tmp/ajv-$n.err"
	node "$tmp/compare.js" "$dir/MANIFEST.tsv" "$tmp/gp-$n.json" "$tmp/ajv-$n.out" "$tmp/ajv-$n.err" || status=1

	log "timing goldenpath ($n files)"
	t=$(time_cmd "gp-$n" "$tmp/goldenpath" validate "$dir" -o json)
	read -r gp_s gp_user gp_sys <<<"$t"
	log "timing ajv ($n files)"
	t=$(time_cmd "ajv-$n" "$ajv" validate "${ajv_flags[@]}" -s "$tmp/schema.json" -d "$dir/*.yaml")
	read -r ajv_s ajv_user ajv_sys <<<"$t"
	line=$(awk -v g="$gp_s" -v a="$ajv_s" -v gu="$gp_user" -v gs="$gp_sys" -v au="$ajv_user" -v as="$ajv_sys" -v n="$n" 'BEGIN {
		cpu = (gu == "-") ? "" : sprintf("  (cpu user+sys: goldenpath %.3f s, ajv %.3f s)", gu + gs, au + as)
		printf "goldenpath %.3f s (%.0f files/s)  ajv %.3f s (%.0f files/s)  ajv/goldenpath %.2fx%s", g, n / g, a, n / a, a / g, cpu
	}')
	echo "  time: $line"
	summary+=("$(printf 'N=%-6s %s' "$n" "$line")")
	echo
done

echo "summary (median wall-clock time):"
printf '  %s\n' "${summary[@]}"
if [ $status -ne 0 ]; then
	echo "bench/validate.sh: some verdicts differ from the expected ones (see above)" >&2
fi
exit $status
