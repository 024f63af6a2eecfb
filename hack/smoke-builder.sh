#!/usr/bin/env bash
# smoke-builder.sh: checks the builder made by hack/setup.sh, for real:
#   1. pack build of each buildpack sample app (examples/apps/{go,nodejs,python}), run it, curl / and /healthz
#      and of a Procfile-only app
#   2. docker build of examples/apps/dockerfile (FROM the local run image), run it, curl it
#   3. the Go app built cold (--clear-cache) and warm gives the same image ID (reproducible), warm faster
#   4. the Go app's SBOM names the Go toolchain; the image runs as 1000:1000 with the CNB labels
#   5. a directory with nothing to detect fails, and detect says which files it looked for
#   6. publish to the local registry (run image mirror), patch the run image, pack rebase onto it, restore
# Only 127.0.0.1 is contacted. Exit status 0 = all passed.
set -euo pipefail
# shellcheck source=hack/lib.sh source-path=SCRIPTDIR
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

ENV_FILE=${GOLDENPATH_CACHE}/env.sh
[[ -f $ENV_FILE ]] || die "no ${ENV_FILE}: run hack/setup.sh first"
# shellcheck source=/dev/null
source "$ENV_FILE"
require_docker
PACK=$GOLDENPATH_PACK
APPS=${GOLDENPATH_ROOT}/examples/apps
PREFIX=goldenpath-smoke
passed=0 failed=0 containers=()

cleanup() {
  local rc=$?
  [[ ${#containers[@]} -gt 0 ]] && "$DOCKER" rm -f "${containers[@]}" >/dev/null 2>&1
  echo "smoke: ${passed} passed, ${failed} failed"
  return "$rc"
}
trap cleanup EXIT

ok() {
  passed=$((passed + 1))
  log "PASS: $*"
}
fail() {
  failed=$((failed + 1))
  log "FAIL: $*"
}

pack_build() { # IMAGE APP_DIR [extra pack flags...]
  local image=$1 dir=$2
  shift 2
  "$PACK" build "$image" --builder "$GOLDENPATH_BUILDER" --path "$dir" --pull-policy never --network host \
    --trust-builder "$@"
}

# run_and_curl IMAGE WANT_BODY: run IMAGE on a free loopback port, check / and /healthz.
run_and_curl() {
  local image=$1 want=$2 port cid body
  port=$(free_port 18080)
  cid=$("$DOCKER" run -d --network host -e "PORT=${port}" "$image")
  containers+=("$cid")
  if ! wait_for_http "http://127.0.0.1:${port}/healthz"; then
    fail "${image}: /healthz on 127.0.0.1:${port} did not answer 200; container log:"
    "$DOCKER" logs "$cid" 2>&1 | tail -n 20 >&2
    return 0
  fi
  body=$(curl -fsS --max-time 5 "http://127.0.0.1:${port}/")
  if [[ $body == "$want" ]]; then ok "${image}: GET / -> '${body}', /healthz -> 200"; else fail "${image}: GET / -> '${body}', want '${want}'"; fi
  "$DOCKER" rm -f "$cid" >/dev/null
}
wait_for_http() {
  local i
  for ((i = 0; i < 100; i++)); do
    curl -fsS -o /dev/null --max-time 2 "$1" 2>/dev/null && return 0
    sleep 0.2
  done
  return 1
}

# --- 1. buildpack apps --------------------------------------------------------------------------------------------
build_apps() {
  local app
  for app in nodejs python go; do
    timed "smoke: pack build ${app}" logged "smoke-${app}" pack_build "${PREFIX}/${app}" "${APPS}/${app}"
    run_and_curl "${PREFIX}/${app}" "hello from goldenpath ${app} app"
  done
}

# A Procfile alone (goldenpath/procfile): "web" runs through bash -c, so $PORT is expanded.
procfile_only() {
  local dir
  dir=$(mktemp -d)
  echo "hello from goldenpath procfile app" >"${dir}/index.html"
  # shellcheck disable=SC2016 # expanded by bash -c inside the container
  echo 'web: exec python3 -m http.server --bind 127.0.0.1 "$PORT"' >"${dir}/Procfile"
  echo "ok" >"${dir}/healthz"
  logged smoke-procfile pack_build "${PREFIX}/procfile" "$dir"
  run_and_curl "${PREFIX}/procfile" "hello from goldenpath procfile app"
  rm -rf "$dir"
}

# --- 2. dockerfile app --------------------------------------------------------------------------------------------
build_dockerfile_app() {
  DOCKER_BUILDKIT=1 logged smoke-dockerfile "$DOCKER" build --network host -t "${PREFIX}/dockerfile" \
    "${APPS}/dockerfile"
  run_and_curl "${PREFIX}/dockerfile" "hello from goldenpath dockerfile app"
}

# --- 3. reproducible Go build -------------------------------------------------------------------------------------
reproducible_go() {
  local image=${PREFIX}/go-repro id1 id2 t cold warm
  t=$(date +%s.%N)
  logged smoke-go-cold pack_build "$image" "${APPS}/go" --clear-cache
  cold=$(elapsed "$t")
  id1=$(image_id "$image")
  t=$(date +%s.%N)
  logged smoke-go-warm pack_build "$image" "${APPS}/go"
  warm=$(elapsed "$t")
  id2=$(image_id "$image")
  if grep -q 'Restoring data for "goldenpath/go:go-cache"' "${GOLDENPATH_CACHE}/logs/smoke-go-warm.log"; then
    ok "warm Go build restored the go-cache layer"
  else
    fail "warm Go build did not restore the go-cache layer"
  fi
  if [[ $id1 == "$id2" ]]; then
    ok "Go app built twice (cold ${cold}s, warm ${warm}s): same image ID ${id1}"
  else
    fail "Go app built twice: image IDs differ: ${id1} (cold) vs ${id2} (warm)"
  fi
}

# --- 4. image metadata and SBOM -----------------------------------------------------------------------------------
metadata() {
  local image=${PREFIX}/go dir user
  user=$("$DOCKER" image inspect -f '{{.Config.User}}' "$image")
  if [[ $user == 1000:1000 ]]; then ok "${image} runs as ${user}"; else fail "${image} runs as '${user}', want 1000:1000"; fi
  local label
  for label in io.buildpacks.lifecycle.metadata io.buildpacks.build.metadata io.buildpacks.stack.id; do
    if [[ -n $("$DOCKER" image inspect -f "{{index .Config.Labels \"${label}\"}}" "$image") ]]; then
      ok "${image} has label ${label}"
    else
      fail "${image} lacks label ${label}"
    fi
  done
  dir=$(mktemp -d)
  logged smoke-sbom "$PACK" sbom download "$image" --output-dir "$dir"
  local sbom
  sbom=$(find "$dir" -name 'sbom.cdx.json' -path '*/goldenpath_go/app/*' | head -n1)
  if [[ -n $sbom ]] && jq -e '.components[] | select(.name == "go" and (.version | startswith("1.")))' "$sbom" >/dev/null; then
    ok "SBOM ${sbom#"$dir"/} lists $(jq -r '.components[0] | "\(.name) \(.version)"' "$sbom")"
  else
    fail "no Go SBOM with the toolchain under ${dir}: $(find "$dir" -type f -printf '%P ')"
  fi
  rm -rf "$dir"
}

# --- 5. detection failure -----------------------------------------------------------------------------------------
detect_failure() {
  local dir
  dir=$(mktemp -d)
  echo "nothing to build here" >"${dir}/README"
  if pack_build "${PREFIX}/nothing" "$dir" --verbose >"${GOLDENPATH_CACHE}/logs/smoke-nodetect.log" 2>&1; then
    fail "a directory without go.mod/package.json/requirements.txt/Procfile was built"
  elif grep -q 'No buildpack groups passed detection' "${GOLDENPATH_CACHE}/logs/smoke-nodetect.log" &&
    grep -q 'looked for: go.mod' "${GOLDENPATH_CACHE}/logs/smoke-nodetect.log" &&
    grep -q 'looked for: package.json' "${GOLDENPATH_CACHE}/logs/smoke-nodetect.log"; then
    ok "nothing to detect: 'No buildpack groups passed detection', detect names the files it looked for"
  else
    fail "detect failure output unexpected: see ${GOLDENPATH_CACHE}/logs/smoke-nodetect.log"
  fi
  rm -rf "$dir"
}

# --- 6. publish and rebase ----------------------------------------------------------------------------------------
publish_and_rebase() {
  local image=${GOLDENPATH_REGISTRY}/${PREFIX}/go:latest before after digest t
  timed "smoke: pack build --publish" logged smoke-publish pack_build "$image" "${APPS}/go" --publish \
    --insecure-registry "$GOLDENPATH_REGISTRY"
  before=$(run_image_top_layer "$image")
  digest=$(bash "${GOLDENPATH_ROOT}/hack/patch-run-image.sh")
  t=$(date +%s.%N)
  logged smoke-rebase "$PACK" rebase "$image" --publish --pull-policy never --insecure-registry "$GOLDENPATH_REGISTRY"
  after=$(run_image_top_layer "$image")
  if [[ -n $before && -n $after && $before != "$after" ]]; then
    ok "rebase onto the patched run image (${digest:0:19}) in $(elapsed "$t")s: run image top layer changed"
  else
    fail "rebase did not change the run image top layer (${before} -> ${after})"
  fi
  bash "${GOLDENPATH_ROOT}/hack/patch-run-image.sh" --restore >/dev/null
}
# run_image_top_layer REF: runImage.topLayer from the lifecycle metadata label of REF in the registry.
run_image_top_layer() {
  local ref=$1 repo tag config
  repo=${ref#*/}
  tag=${repo##*:}
  repo=${repo%:*}
  config=$(curl -fsS -H 'Accept: application/vnd.docker.distribution.manifest.v2+json,application/vnd.oci.image.manifest.v1+json' \
    "http://${GOLDENPATH_REGISTRY}/v2/${repo}/manifests/${tag}" | jq -r .config.digest)
  curl -fsS "http://${GOLDENPATH_REGISTRY}/v2/${repo}/blobs/${config}" |
    jq -r '.config.Labels["io.buildpacks.lifecycle.metadata"] | fromjson | .runImage.topLayer'
}

timed "smoke: buildpack apps" build_apps
timed "smoke: Procfile-only app" procfile_only
timed "smoke: dockerfile app" build_dockerfile_app
timed "smoke: reproducible Go build" reproducible_go
timed "smoke: metadata and SBOM" metadata
timed "smoke: detect failure" detect_failure
timed "smoke: publish and rebase" publish_and_rebase
[[ $failed == 0 ]]
