#!/usr/bin/env bash
# smoke.sh: the goldenpath Dagger module (dagger/) end to end against the engine of hack/setup-dagger.sh.
#
#   bash hack/setup-dagger.sh && bash hack/dagger/smoke.sh           # every function
#   bash hack/dagger/smoke.sh --quick                                 # validate, render, render-stream, schema only
#
# The library functions must give exactly what the CLI (go run ./cmd/goldenpath) gives on the same input. The
# registry functions (docker-build, publish, sign, verify, buildpack-build, sbom, rebase, ship) use the goldenpath registry
# as the engine sees it (GOLDENPATH_DAGGER_REGISTRY) and push under <registry>/dagger-smoke/.
#
# buildpack-build is compared with the library's pack build (`goldenpath build`, build.PackBuilder) of the same app
# with the same builder: the two images must have the same layers (diff IDs and blob digests, in order) and the same
# config except for one field of the io.buildpacks.lifecycle.metadata label, runImage.reference, which names the run
# image's registry as each build reached it (GATEWAY:PORT from inside the Dagger engine, 127.0.0.1:PORT for pack): that
# label is the only reason the digests differ. Any other difference fails the script.
#
# end-to-end deploys the buildpack-built Go sample and the docker-built Dockerfile sample to hack/setup-kind.sh's
# cluster (namespaces dagger-e2e-*, deleted after) and must get each app's answer; it also must fail, clearly, on an
# image that cannot be pulled. It needs the cluster: when `hack/setup-kind.sh --cached` says the Kubernetes build is
# cached, the script runs hack/setup-kind.sh (reusing a running cluster) and hack/setup-dagger.sh (linking the engine
# to it); otherwise end-to-end alone is SKIPPED, loudly.
set -euo pipefail
# shellcheck source=hack/lib.sh source-path=SCRIPTDIR
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
# ref=$(timed ... call ...) must stop the script when the call fails: without this, errexit is off inside $(...),
# timed carries on after the failed command and the assignment succeeds with an empty value.
shopt -s inherit_errexit

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
# to_log FILE CMD...: CMD's output into FILE (timed's lines stay on stderr), its tail shown when CMD fails;
# err_to_log FILE CMD...: the same for CMD's stderr only.
to_log() { "${@:2}" >"$1" 2>&1 || { tail -n 30 "$1" >&2 && return 1; }; }
err_to_log() { "${@:2}" 2>"$1" || { tail -n 30 "$1" >&2 && return 1; }; }
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

# (a fresh tag each run: function calls are cached, and a cached call would not rebuild)
ref=$(timed "dagger call buildpack-build" call buildpack-build --source="${GOLDENPATH_ROOT}/examples/apps/go" \
  --image="${R}/dagger-smoke/sample-go:${TAG}" --builder="${R}/goldenpath/builder:bookworm" \
  --run-image="${R}/goldenpath/run:bookworm" --insecure-registry="$R")
log "ok: buildpack-build -> ${ref}"
BP_REF=$ref

# --- buildpack-build vs the library's pack build ------------------------------------------------------------------
LR=$(registry_addr) # the registry as the host (and pack) reach it
MANIFEST_TYPES='application/vnd.docker.distribution.manifest.v2+json, application/vnd.oci.image.manifest.v1+json'
# image_json REF KIND: the manifest or the config of REF (REG/REPO@DIGEST), read from the registry on the host side.
image_json() {
  local repo=${1#*/} manifest
  repo=${repo%@*}
  manifest=$(curl -fsS -H "Accept: ${MANIFEST_TYPES}" "http://${LR}/v2/${repo}/manifests/${1##*@}") || die "no manifest for $1"
  case $2 in
    manifest) echo "$manifest" ;;
    config) curl -fsS "http://${LR}/v2/${repo}/blobs/$(jq -r .config.digest <<<"$manifest")" || die "no config for $1" ;;
  esac
}
# compare_builds PACK_REF DAGGER_REF: the checks described at the top.
compare_builds() {
  local a=$1 b=$2 f
  for f in a b; do
    image_json "${!f}" manifest >"${WORK}/${f}-manifest.json"
    image_json "${!f}" config >"${WORK}/${f}-config.json"
    jq -r '.rootfs.diff_ids[]' "${WORK}/${f}-config.json" >"${WORK}/${f}-diffids"
    jq -r '.layers[].digest' "${WORK}/${f}-manifest.json" >"${WORK}/${f}-layers"
    # the config without the lifecycle label, and that label with runImage.reference's registry taken out
    jq -S 'del(.config.Labels["io.buildpacks.lifecycle.metadata"])' "${WORK}/${f}-config.json" >"${WORK}/${f}-config-rest.json"
    jq -r '.config.Labels["io.buildpacks.lifecycle.metadata"]' "${WORK}/${f}-config.json" |
      jq -S '.runImage.reference |= sub("^[^/]+/"; "REGISTRY/")' >"${WORK}/${f}-lifecycle.json"
  done
  [[ -s ${WORK}/a-diffids ]] || die "compare: ${a} has no layers"
  diff -u "${WORK}/a-diffids" "${WORK}/b-diffids" >&2 ||
    die "buildpack-build: the layers (diff IDs) differ from the library's pack build (${a} vs ${b})"
  diff -u "${WORK}/a-layers" "${WORK}/b-layers" >&2 ||
    die "buildpack-build: the layer blobs differ from the library's pack build (${a} vs ${b})"
  diff -u "${WORK}/a-config-rest.json" "${WORK}/b-config-rest.json" >&2 ||
    die "buildpack-build: the image config differs from the library's pack build (${a} vs ${b})"
  diff -u "${WORK}/a-lifecycle.json" "${WORK}/b-lifecycle.json" >&2 ||
    die "buildpack-build: io.buildpacks.lifecycle.metadata differs from the library's pack build beyond runImage.reference"
  if [[ ${a##*@} == "${b##*@}" ]]; then
    log "ok: buildpack-build = the library's pack build: same digest ${a##*@}"
  else
    log "ok: buildpack-build vs the library's pack build: same $(wc -l <"${WORK}/a-diffids") layers and config; digests differ" \
      "only by the run image's registry in io.buildpacks.lifecycle.metadata ($(jq -r .runImage.reference \
        <<<"$(jq -r '.config.Labels["io.buildpacks.lifecycle.metadata"]' "${WORK}/a-config.json")" | cut -d/ -f1) vs" \
      "$(jq -r .runImage.reference <<<"$(jq -r '.config.Labels["io.buildpacks.lifecycle.metadata"]' "${WORK}/b-config.json")" |
        cut -d/ -f1))"
  fi
}
[[ -n $(image_id goldenpath/builder:bookworm) ]] ||
  die "the library's pack build needs goldenpath/builder:bookworm in the Docker engine: run hack/setup.sh"
pack_ref=$(timed "goldenpath build (pack)" err_to_log "${WORK}/pack-build.log" "$GP" build --platform "$PLATFORM" \
  -f "${GOLDENPATH_ROOT}/examples/apps/go/goldenpath.yaml" --source "$GOLDENPATH_ROOT" --publish "${LR}/dagger-smoke-pack")
compare_builds "$pack_ref" "${LR}/${BP_REF#*/}"
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

# --- end-to-end on the kind cluster -------------------------------------------------------------------------------
if bash "${GOLDENPATH_ROOT}/hack/setup-kind.sh" --cached >/dev/null 2>&1; then
  timed "setup-kind.sh (cached)" to_log "${WORK}/setup-kind.log" bash "${GOLDENPATH_ROOT}/hack/setup-kind.sh"
  # links the engine to the cluster's network and writes GOLDENPATH_DAGGER_KUBECONFIG (seconds when set up)
  timed "setup-dagger.sh (kind link)" to_log "${WORK}/setup-dagger.log" bash "${GOLDENPATH_ROOT}/hack/setup-dagger.sh"
  # shellcheck source=/dev/null
  source "$ENV_FILE"
  # shellcheck source=/dev/null
  source "${GOLDENPATH_CACHE}/kind/env.sh"
  [[ -n ${GOLDENPATH_DAGGER_KUBECONFIG:-} ]] || die "setup-dagger.sh did not link the engine to the kind cluster"
  # The cluster's nodes pull 127.0.0.1:PORT/... (hack/setup-kind.sh's hosts.toml): the same image, by the host's name.
  cluster_ref="${LR}/${BP_REF#*/}"
  body=$(timed "dagger call end-to-end" call end-to-end --image="$cluster_ref" --contracts="$APP" \
    --kubeconfig="file://${GOLDENPATH_DAGGER_KUBECONFIG}" --kubectl="$GOLDENPATH_KUBECTL" --expect="hello from goldenpath go app")
  log "ok: end-to-end: ${cluster_ref} answered '$(echo "$body" | head -n1)'"
  # the Dockerfile path too: docker-build of examples/apps/dockerfile (on the registry's run image), then deployed
  WEB=${GOLDENPATH_ROOT}/examples/apps/dockerfile
  ref=$(timed "dagger call docker-build publish (web)" call docker-build --source="$WEB" \
    --build-arg="BASE_IMAGE=${R}/goldenpath/run:bookworm" publish --address="${R}/dagger-smoke/web:${TAG}")
  [[ $ref == *@sha256:* ]] || die "docker-build publish returned no digest: ${ref}"
  cluster_ref="${LR}/dagger-smoke/web@${ref##*@}"
  body=$(timed "dagger call end-to-end (web)" call end-to-end --image="$cluster_ref" --contracts="$WEB" \
    --kubeconfig="file://${GOLDENPATH_DAGGER_KUBECONFIG}" --kubectl="$GOLDENPATH_KUBECTL" --expect="hello from goldenpath dockerfile app")
  log "ok: end-to-end: ${cluster_ref} answered '$(echo "$body" | head -n1)'"
  if call end-to-end --image="${LR}/dagger-smoke/absent@sha256:$(printf '%064d' 0)" --contracts="$APP" \
    --kubeconfig="file://${GOLDENPATH_DAGGER_KUBECONFIG}" --kubectl="$GOLDENPATH_KUBECTL" --timeout=15 \
    >/dev/null 2>"${WORK}/e2e-fail.log"; then
    die "end-to-end succeeded with an image that does not exist"
  fi
  grep -q "did not roll out within 15s" "${WORK}/e2e-fail.log" || { cat "${WORK}/e2e-fail.log" >&2; die "end-to-end failed without saying why"; }
  log "ok: end-to-end fails on an image the cluster cannot pull (and says why)"
  left=$("$GOLDENPATH_KUBECTL" --kubeconfig "$GOLDENPATH_KUBECONFIG" get namespaces -o name | grep -c '^namespace/dagger-e2e-' || true)
  [[ $left == 0 ]] || warn "${left} dagger-e2e-* namespaces remain (still terminating, or left by a killed call)"
else
  warn "=================================================================================================================="
  warn "SKIPPED: dagger call end-to-end: the kind cluster's Kubernetes build is not cached (hack/setup-kind.sh --cached);"
  warn "         building it takes ~20-40 min. Run: bash hack/setup-kind.sh && bash hack/setup-dagger.sh && bash hack/dagger/smoke.sh"
  warn "=================================================================================================================="
fi
log "smoke: all ok"
