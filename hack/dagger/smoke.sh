#!/usr/bin/env bash
# smoke.sh: the goldenpath Dagger module (dagger/) end to end against the engine of hack/setup-dagger.sh.
#
#   bash hack/setup-dagger.sh && bash hack/dagger/smoke.sh           # library functions + registry functions
#   bash hack/dagger/smoke.sh --quick                                 # validate, render, render-stream, schema only
#
# The library functions must give exactly what the CLI (go run ./cmd/goldenpath) gives on the same input. The
# registry functions (docker-build, publish, sign, verify, buildpack-build, sbom, rebase, ship) use the goldenpath registry
# as the engine sees it (GOLDENPATH_DAGGER_REGISTRY) and push under <registry>/dagger-smoke/.
set -euo pipefail
# shellcheck source=hack/lib.sh source-path=SCRIPTDIR
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"

QUICK=""
[[ ${1:-} == --quick ]] && QUICK=1
ENV_FILE=${GOLDENPATH_CACHE}/dagger/env.sh
[[ -f $ENV_FILE ]] || die "no ${ENV_FILE}: run hack/setup-dagger.sh first"
# shellcheck source=/dev/null
source "$ENV_FILE"
export PATH="${PATH}" # env.sh prepends the dagger CLI and /usr/bin/docker

WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
cd "$GOLDENPATH_ROOT"
go build -o "${WORK}/goldenpath" ./cmd/goldenpath
GP=${WORK}/goldenpath
CONTRACTS=${GOLDENPATH_ROOT}/examples/contracts
PLATFORM=${GOLDENPATH_ROOT}/examples/platform/local.yaml
cd "${GOLDENPATH_ROOT}/dagger"

call() { dagger call --silent "$@"; }
same() { # same NAME A B
  if cmp -s "$2" "$3"; then log "ok: $1"; else
    diff -u "$2" "$3" | head -40 >&2
    die "$1: the module's output differs from the CLI's"
  fi
}

# --- library functions: same bytes as the CLI -------------------------------------------------------------------
timed "dagger call validate" call validate --contracts="$CONTRACTS" >"${WORK}/d-validate.txt"
(cd "$CONTRACTS" && "$GP" validate .) >"${WORK}/c-validate.txt"
same validate "${WORK}/c-validate.txt" "${WORK}/d-validate.txt"

call validate --contracts="$CONTRACTS" --platform="$PLATFORM" --format=json >"${WORK}/d-validate.json"
(cd "$CONTRACTS" && "$GP" validate --platform "$PLATFORM" -o json .) >"${WORK}/c-validate.json"
same "validate --platform --format=json" "${WORK}/c-validate.json" "${WORK}/d-validate.json"

mkdir -p "${WORK}/bad"
{ cat "${CONTRACTS}/dev/payments-api.yaml"; echo "bogusKey: 1"; } >"${WORK}/bad/app.yaml"
if call validate --contracts="${WORK}/bad" >/dev/null 2>&1; then die "validate of an invalid contract succeeded"; fi
log "ok: validate fails on an invalid contract"

timed "dagger call render" call render --contracts="$CONTRACTS" export --path="${WORK}/d-tree" >/dev/null
(cd "$CONTRACTS" && "$GP" render --out "${WORK}/c-tree" . 2>/dev/null)
diff -r "${WORK}/c-tree" "${WORK}/d-tree" >&2 || die "render: the module's tree differs from the CLI's"
log "ok: render ($(find "${WORK}/d-tree" -type f | wc -l) files)"

call render-stream --contracts="$CONTRACTS" >"${WORK}/d-stream.yaml"
(cd "$CONTRACTS" && "$GP" render .) >"${WORK}/c-stream.yaml"
same render-stream "${WORK}/c-stream.yaml" "${WORK}/d-stream.yaml"

for kind in AppDeploymentRequest Platform; do
  call schema --kind="$kind" export --path="${WORK}/d-${kind}.json" >/dev/null
  "$GP" schema --kind "$kind" >"${WORK}/c-${kind}.json"
  same "schema ${kind}" "${WORK}/c-${kind}.json" "${WORK}/d-${kind}.json"
done
[[ -n $QUICK ]] && exit 0

# --- registry functions ------------------------------------------------------------------------------------------
R=${GOLDENPATH_DAGGER_REGISTRY:?no registry: hack/setup-dagger.sh found no goldenpath registry}
TAG=$(date +%s)
mkdir -p "${WORK}/ctx"
# shellcheck disable=SC2016 # $MSG is for the Dockerfile's shell
printf 'FROM %s/goldenpath/run:bookworm\nARG MSG=hi\nRUN echo "$MSG" > /tmp/hello.txt\n' "$R" >"${WORK}/ctx/Dockerfile"
ref=$(timed "dagger call docker-build publish" call docker-build --source="${WORK}/ctx" --build-arg="MSG=${TAG}" \
  publish --address="${R}/dagger-smoke/hello:latest")
log "ok: docker-build + publish -> ${ref}"

(cd "$WORK" && COSIGN_PASSWORD=smoke "$GP" keygen --out keys >/dev/null)
export SMOKE_KEY_PASSWORD=smoke
timed "dagger call sign" call sign --image="${R}/dagger-smoke/hello:latest" --key="file://${WORK}/keys/cosign.key" \
  --key-password=env://SMOKE_KEY_PASSWORD --insecure >/dev/null
timed "dagger call verify" call verify --image="${R}/dagger-smoke/hello:latest" --public-key="${WORK}/keys/cosign.pub" --insecure >/dev/null
"$GP" verify --key "${WORK}/keys/cosign.pub" "$(registry_addr)/dagger-smoke/hello:latest" >/dev/null
log "ok: sign + verify (and the CLI verifies the module's signature)"

ref=$(timed "dagger call buildpack-build" call buildpack-build --source="${GOLDENPATH_ROOT}/examples/apps/go" \
  --image="${R}/dagger-smoke/sample-go:latest" --builder="${R}/goldenpath/builder:bookworm" \
  --run-image="${R}/goldenpath/run:bookworm" --insecure-registry="$R")
log "ok: buildpack-build -> ${ref}"
timed "dagger call sbom" call sbom --image="$ref" --insecure | grep -q '"files"' || die "sbom: no SBOM files"
log "ok: sbom"
timed "dagger call rebase" call rebase --image="$ref" --run-image="${R}/goldenpath/run:bookworm" \
  --insecure-registry="$R" --dry-run --force >/dev/null
log "ok: rebase --dry-run"

# ship: validate -> buildpack build -> sign -> verify -> SBOM -> tree pinned to the digest, as the CLI renders it
APP=${GOLDENPATH_ROOT}/examples/apps/go
timed "dagger call ship" call ship --contracts="$APP" --source="$APP" --image="${R}/dagger-smoke/ship-go:latest" \
  --builder="${R}/goldenpath/builder:bookworm" --run-image="${R}/goldenpath/run:bookworm" --insecure-registry="$R" \
  --key="file://${WORK}/keys/cosign.key" --key-password=env://SMOKE_KEY_PASSWORD --public-key="${WORK}/keys/cosign.pub" \
  export --path="${WORK}/d-ship" >/dev/null
ref=$(grep -rhoE "${R}/dagger-smoke/ship-go@sha256:[0-9a-f]{64}" "${WORK}/d-ship" | head -n1)
[[ -n $ref ]] || die "ship: the tree names no image digest"
(cd "$APP" && "$GP" render --image "$ref" --out "${WORK}/c-ship" . 2>/dev/null)
diff -r "${WORK}/c-ship" "${WORK}/d-ship" >&2 || die "ship: the module's tree differs from the CLI's"
log "ok: ship -> ${ref}"
log "smoke: all ok"
