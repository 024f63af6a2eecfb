#!/usr/bin/env bash
# bench/build.sh [APP] — build speed of one sample app (default go) with the
# offline builder, measured in one run:
#   cold:  goldenpath build with pack's cache volumes removed
#   warm:  goldenpath build again (same source: cache layers restored)
#   pack:  the pack CLI built from its module ($GOLDENPATH_PACK), same app,
#          builder and flags (--pull-policy never --trust-builder --network host)
# Prints warm/cold (goal <= 0.3) and goldenpath/pack (goal <= 1.1), each the
# median of 3 runs. Needs `bash hack/setup.sh` first.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
app=${1:-go}
# shellcheck disable=SC1091
source "${GOLDENPATH_CACHE:-/var/cache/goldenpath}/env.sh"
docker=${GOLDENPATH_DOCKER:-/usr/bin/docker}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
go build -o "$work/goldenpath" ./cmd/goldenpath
contract=examples/apps/$app/goldenpath.yaml

ms() { local s; s=$(date +%s%N); "$@" >/dev/null 2>&1 || { echo "failed: $*" >&2; exit 1; }; echo $(( ($(date +%s%N) - s) / 1000000 )); }
median() { printf '%s\n' "$@" | sort -n | sed -n 2p; }
gp_build() { "$work/goldenpath" build --platform examples/platform/local.yaml -f "$contract" --source . ; }
pack_build() {
	"$GOLDENPATH_PACK" build "goldenpath-bench/pack-$app" --builder "$GOLDENPATH_BUILDER" --path "examples/apps/$app" \
		--pull-policy never --trust-builder --network host
}
clear_cache() { $docker volume ls -q | grep '^pack-cache-' | xargs -r $docker volume rm -f >/dev/null; }

cold=() warm=() pack=()
for _ in 1 2 3; do
	clear_cache
	cold+=("$(ms gp_build)")
	warm+=("$(ms gp_build)")
	pack_build >/dev/null 2>&1 # warm pack's own cache for its image name
	pack+=("$(ms pack_build)")
done
c=$(median "${cold[@]}") w=$(median "${warm[@]}") p=$(median "${pack[@]}")
echo "app $app: cold ${cold[*]} ms; warm ${warm[*]} ms; pack CLI warm ${pack[*]} ms"
awk -v c="$c" -v w="$w" -v p="$p" 'BEGIN {
	printf "warm/cold: %.2f (goal <= 0.3)\n", w / c
	printf "goldenpath/pack CLI (both warm): %.2f (goal <= 1.1)\n", w / p
}'
