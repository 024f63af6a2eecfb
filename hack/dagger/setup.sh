#!/usr/bin/env bash
# hack/dagger/setup.sh: Dagger (CLI + engine + Go SDK runtime), built offline from the Go module proxy, cached by
# version, and an engine container started from it. Needs the Docker engine, the registry and the Debian base image
# first (hack/setup.sh). A second run only checks (seconds). Writes the dagger section of env.sh:
#
#   bash hack/setup.sh && bash hack/setup.sh dagger && source /var/cache/goldenpath/env.sh
#   cd dagger && dagger call validate --contracts=../examples/contracts
#   bash hack/dagger/setup.sh --cached   # exit 0 when the binaries and engine image (the long steps) are cached, else 1
#
# Steps (each guarded by a stamp keyed by its inputs):
#   1. source     github.com/dagger/dagger@VERSION from the module proxy, plus the two nested modules its zip lacks:
#                 sdk/go (= dagger.io/dagger@VERSION) and engine/distconsts (hack/dagger/distconsts, a stand-in)
#   2. binaries   cmd/dagger, cmd/engine, cmd/dialstdio, cmd/dnsname, cmd/init, cmd/codegen with the version ldflags
#   3. go-sdk     the Go SDK runtime image (hack/dagger/Dockerfile.go-sdk: Debian + host Go + codegen), saved as an
#                 OCI layout; the engine finds it by its manifest digest (DAGGER_GO_SDK_MANIFEST_DIGEST)
#   4. engine     hack/dagger/Dockerfile.engine, tagged goldenpath/dagger-engine:VERSION and
#                 registry.dagger.io/engine:VERSION (the tag the CLI would auto-start)
#   5. start      container goldenpath-dagger-engine (privileged, state in volume goldenpath-dagger-state);
#                 clients reach it via _EXPERIMENTAL_DAGGER_RUNNER_HOST=docker-container://goldenpath-dagger-engine;
#                 it trusts the test enterprise CA (hack/lib.sh enterprise_ca) as Dagger documents for a corporate
#                 CA: the certificate mounted into the engine's /usr/local/share/ca-certificates, which the engine
#                 adds to its own trust store at start and installs into every container it runs
#   6. kind       when hack/kind/setup.sh's cluster runs: the engine container joins its Docker network and a
#                 kubeconfig that reaches the API server from inside the engine is written (GOLDENPATH_DAGGER_KUBECONFIG,
#                 for `dagger call end-to-end`); checked on every run (a recreated engine or cluster is linked again)
set -euo pipefail
# shellcheck source=hack/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
DV=v${DAGGER_VERSION}
DAGGER_DIR=${GOLDENPATH_CACHE}/dagger/${DV}
DAGGER_SRC=${DAGGER_DIR}/src
DAGGER_BIN_DIR=${DAGGER_DIR}/bin
DAGGER_PATH_DIR=${DAGGER_DIR}/path # dagger + a docker that is /usr/bin/docker (the CLI runs "docker exec")
DAGGER_ENGINE_IMAGE=goldenpath/dagger-engine:${DV}
DAGGER_ENGINE_UPSTREAM_TAG=registry.dagger.io/engine:${DV}
DAGGER_SDK_IMAGE=goldenpath/dagger-go-sdk:${DV}
DAGGER_ENGINE_NAME=${DAGGER_ENGINE_NAME:-goldenpath-dagger-engine}
DAGGER_ENGINE_VOLUME=${DAGGER_ENGINE_VOLUME:-goldenpath-dagger-state}
CTX=${GOLDENPATH_ROOT}/hack/dagger
DAGGER_CMDS=(dagger engine dialstdio dnsname init codegen)

GO_VERSION=$("$GO" env GOVERSION)
GOROOT_DIR=$("$GO" env GOROOT)
if [[ ${1:-} == --cached ]]; then
  cache_probe "Dagger ${DV} binaries and engine image" eval 'stamp_ok "dagger-bin-${DV}" "$(stamp_key "bin-v1" "$(cat "${GOLDENPATH_CACHE}/stamps/dagger-src-${DV}" 2>/dev/null)" "$GO_VERSION")" &&
    [[ -x ${DAGGER_BIN_DIR}/dagger && -n $(image_id "$DAGGER_ENGINE_IMAGE") ]]'
fi
setup_lock
require_docker
[[ -n $(image_id "$BASE_IMAGE") ]] || die "no ${BASE_IMAGE}: run hack/setup.sh first"
mkdir -p "$DAGGER_DIR"

# --- 1. source ----------------------------------------------------------------------------------------------------
step_source() {
  local key
  key=$(stamp_key "src-v1" "$DV" "${CTX}/distconsts")
  if stamp_ok "dagger-src-${DV}" "$key" && [[ -f ${DAGGER_SRC}/go.mod ]]; then return 0; fi
  local main sdk
  # github.com/dagger/dagger has no checksum-database entry for this version: skip the lookup for that module only.
  main=$(cd / && GOFLAGS=-mod=mod GONOSUMDB=github.com/dagger/dagger "$GO" mod download -json "github.com/dagger/dagger@${DV}" |
    sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
  sdk=$(cd / && GOFLAGS=-mod=mod "$GO" mod download -json "dagger.io/dagger@${DV}" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
  [[ -d $main && -d $sdk ]] || die "module download failed (github.com/dagger/dagger: '${main}', dagger.io/dagger: '${sdk}')"
  rm -rf "$DAGGER_SRC"
  cp -r "$main" "$DAGGER_SRC"
  chmod -R u+w "$DAGGER_SRC"
  mkdir -p "${DAGGER_SRC}/sdk/go" "${DAGGER_SRC}/engine/distconsts"
  cp -r "${sdk}/." "${DAGGER_SRC}/sdk/go/"
  chmod -R u+w "${DAGGER_SRC}/sdk/go"
  cp "${CTX}"/distconsts/* "${DAGGER_SRC}/engine/distconsts/"
  stamp_write "dagger-src-${DV}" "$key"
}

# --- 2. binaries --------------------------------------------------------------------------------------------------
step_binaries() {
  local key cmd absent=""
  key=$(stamp_key "bin-v1" "$(cat "${GOLDENPATH_CACHE}/stamps/dagger-src-${DV}")" "$GO_VERSION")
  for cmd in "${DAGGER_CMDS[@]}"; do [[ -x ${DAGGER_BIN_DIR}/${cmd} ]] || absent=1; done
  if [[ -z $absent ]] && stamp_ok "dagger-bin-${DV}" "$key"; then return 0; fi
  local ld="-s -w -X github.com/dagger/dagger/engine.Version=${DV} -X github.com/dagger/dagger/engine.Tag=${DV}"
  local pkgs=()
  for cmd in "${DAGGER_CMDS[@]}"; do pkgs+=("./cmd/${cmd}"); done
  mkdir -p "$DAGGER_BIN_DIR"
  (cd "$DAGGER_SRC" && CGO_ENABLED=0 logged dagger-build "$GO" build -trimpath -ldflags "$ld" -o "${DAGGER_BIN_DIR}/" "${pkgs[@]}")
  "${DAGGER_BIN_DIR}/dagger" version >&2
  stamp_write "dagger-bin-${DV}" "$key"
}

# certs_into DIR: the host's extra CA certificates (containers the engine runs need them to reach the module proxy).
certs_into() {
  mkdir -p "$1"
  find /usr/local/share/ca-certificates -maxdepth 1 -name '*.crt' -exec cp {} "$1/" \; 2>/dev/null || true
}

# --- 3. Go SDK runtime image, as an OCI layout ----------------------------------------------------------------------
step_go_sdk() {
  local key ctx=${DAGGER_DIR}/go-sdk-ctx
  key=$(stamp_key "sdk-v1" "${DAGGER_BIN_DIR}/codegen" "${CTX}/Dockerfile.go-sdk" "$GO_VERSION" "$(image_id "$BASE_IMAGE")" \
    /usr/local/share/ca-certificates "${CTX}/oci-layout")
  if stamp_ok "dagger-go-sdk-${DV}" "$key" && [[ -f ${DAGGER_DIR}/content/index.json && -s ${DAGGER_DIR}/go-sdk.digest ]]; then
    return 0
  fi
  rm -rf "$ctx"
  mkdir -p "${ctx}/bin"
  cp "${DAGGER_BIN_DIR}/codegen" "${ctx}/bin/"
  cp -r "$GOROOT_DIR" "${ctx}/go"
  rm -rf "${ctx}/go/test" "${ctx}/go/api" "${ctx}/go/doc"
  certs_into "${ctx}/certs"
  local old
  old=$(image_id "$DAGGER_SDK_IMAGE")
  logged dagger-go-sdk-image "$DOCKER" build --network host --build-arg "BASE_IMAGE=${BASE_IMAGE}" \
    -f "${CTX}/Dockerfile.go-sdk" -t "$DAGGER_SDK_IMAGE" "$ctx"
  remove_if_untagged "$old"
  "$DOCKER" save -o "${DAGGER_DIR}/go-sdk.tar" "$DAGGER_SDK_IMAGE"
  (cd "$GOLDENPATH_ROOT" && "$GO" run ./hack/dagger/oci-layout "${DAGGER_DIR}/go-sdk.tar" "${DAGGER_DIR}/content") >"${DAGGER_DIR}/go-sdk.digest"
  rm -rf "${DAGGER_DIR}/go-sdk.tar" "$ctx"
  stamp_write "dagger-go-sdk-${DV}" "$key"
}

# --- 4. engine image ----------------------------------------------------------------------------------------------
step_engine_image() {
  local key ctx=${DAGGER_DIR}/engine-ctx digest
  digest=$(cat "${DAGGER_DIR}/go-sdk.digest")
  key=$(stamp_key "engine-v1" "$(cat "${GOLDENPATH_CACHE}/stamps/dagger-bin-${DV}")" "$digest" \
    "${CTX}/Dockerfile.engine" "$(image_id "$BASE_IMAGE")" /usr/local/share/ca-certificates)
  if stamp_ok "dagger-engine-${DV}" "$key" && [[ -n $(image_id "$DAGGER_ENGINE_IMAGE") ]]; then
    "$DOCKER" tag "$DAGGER_ENGINE_IMAGE" "$DAGGER_ENGINE_UPSTREAM_TAG"
    return 0
  fi
  rm -rf "$ctx"
  mkdir -p "${ctx}/bin"
  local cmd
  for cmd in "${DAGGER_CMDS[@]}"; do [[ $cmd == codegen ]] || cp "${DAGGER_BIN_DIR}/${cmd}" "${ctx}/bin/"; done
  cp -r "${DAGGER_DIR}/content" "${ctx}/content"
  certs_into "${ctx}/certs"
  local old
  old=$(image_id "$DAGGER_ENGINE_IMAGE")
  logged dagger-engine-image "$DOCKER" build --network host --build-arg "BASE_IMAGE=${BASE_IMAGE}" \
    --build-arg "GO_SDK_MANIFEST_DIGEST=${digest}" -f "${CTX}/Dockerfile.engine" -t "$DAGGER_ENGINE_IMAGE" "$ctx"
  "$DOCKER" tag "$DAGGER_ENGINE_IMAGE" "$DAGGER_ENGINE_UPSTREAM_TAG"
  remove_if_untagged "$old"
  rm -rf "$ctx"
  stamp_write "dagger-engine-${DV}" "$key"
}

# --- 5. registry link and engine container ------------------------------------------------------------------------
# The goldenpath registry listens on 127.0.0.1 only, which the engine container (on Docker's default bridge) cannot
# reach: a forwarder on the bridge's gateway (GATEWAY:PORT -> 127.0.0.1:PORT, like hack/kind/setup.sh's) and
# /etc/dagger/engine.json (plain HTTP for it, and a docker.io mirror) give the engine and the containers it runs
# the registry as GATEWAY:PORT (exported as GOLDENPATH_DAGGER_REGISTRY). Skipped when there is no registry.
DAGGER_REGISTRY=""
step_registry() {
  [[ -f ${GOLDENPATH_CACHE}/registry/addr ]] || {
    warn "no goldenpath registry (hack/setup.sh registry): the engine gets no registry configuration"
    return 0
  }
  local registry gateway port
  registry=$(registry_addr)
  port=${registry##*:}
  gateway=$(network_gateway bridge)
  DAGGER_REGISTRY=${gateway}:${port}
  printf '{"registries":{"docker.io":{"mirrors":["%s"]},"%s":{"http":true}}}\n' "$DAGGER_REGISTRY" "$DAGGER_REGISTRY" >"${DAGGER_DIR}/engine.json.tmp"
  mv "${DAGGER_DIR}/engine.json.tmp" "${DAGGER_DIR}/engine.json"
  forwarder dagger-registry "TCP-LISTEN:${port},bind=${gateway},reuseaddr,fork" "TCP:${registry}"
  wait_for 60 "the registry forwarder on ${DAGGER_REGISTRY}" curl -fsS "http://${DAGGER_REGISTRY}/v2/"
}

dagger_env() {
  env PATH="${DAGGER_PATH_DIR}:${PATH}" _EXPERIMENTAL_DAGGER_RUNNER_HOST="docker-container://${DAGGER_ENGINE_NAME}" \
    DAGGER_NO_NAG=1 DO_NOT_TRACK=1 "$@"
}
engine_ready() { dagger_env dagger core version --silent >/dev/null 2>&1; }

step_start() {
  mkdir -p "$DAGGER_PATH_DIR"
  ln -sf "${DAGGER_BIN_DIR}/dagger" "${DAGGER_PATH_DIR}/dagger"
  ln -sf "$DOCKER" "${DAGGER_PATH_DIR}/docker"
  local want have running
  want=$(image_id "$DAGGER_ENGINE_IMAGE")
  enterprise_ca
  local config=(-v "${ENTERPRISE_CA_DIR}/ca.crt:/usr/local/share/ca-certificates/goldenpath-test-enterprise-ca.crt:ro")
  local config_key
  config_key=$(stamp_key "engine-config-v2" "${ENTERPRISE_CA_DIR}/ca.crt")
  if [[ -f ${DAGGER_DIR}/engine.json && -n $DAGGER_REGISTRY ]]; then
    config+=(-v "${DAGGER_DIR}/engine.json:/etc/dagger/engine.json:ro")
    config_key=$(stamp_key "engine-config-v2" "${ENTERPRISE_CA_DIR}/ca.crt" "${DAGGER_DIR}/engine.json")
  fi
  # A running engine is reused when its image and configuration are the current ones.
  [[ $("$DOCKER" inspect -f '{{index .Config.Labels "goldenpath.config"}}' "$DAGGER_ENGINE_NAME" 2>/dev/null) == "$config_key" ]] ||
    want="config-changed"
  have=$("$DOCKER" inspect -f '{{.Image}}' "$DAGGER_ENGINE_NAME" 2>/dev/null || true)
  running=$("$DOCKER" inspect -f '{{.State.Running}}' "$DAGGER_ENGINE_NAME" 2>/dev/null || true)
  if [[ $have == "$want" && $running == true ]]; then
    engine_ready && return 0
  fi
  [[ -n $have ]] && "$DOCKER" rm -f "$DAGGER_ENGINE_NAME" >/dev/null
  # --privileged is what the CLI itself uses when it starts an engine (with the goldenpath-runc default runtime).
  "$DOCKER" run -d --name "$DAGGER_ENGINE_NAME" --restart always --privileged --label "goldenpath.config=${config_key}" \
    -v "${DAGGER_ENGINE_VOLUME}:/var/lib/dagger" "${config[@]}" "$DAGGER_ENGINE_IMAGE" --debug >/dev/null 9>&-
  local i
  for ((i = 0; i < 300; i++)); do
    engine_ready && return 0
    [[ $("$DOCKER" inspect -f '{{.State.Running}}' "$DAGGER_ENGINE_NAME" 2>/dev/null) == true ]] || break
    sleep 1
  done
  "$DOCKER" logs --tail 30 "$DAGGER_ENGINE_NAME" >&2 || true
  die "dagger engine ${DAGGER_ENGINE_NAME} did not become ready"
}

# --- 6. kind cluster link ----------------------------------------------------------------------------------------
# The engine container is on Docker's default bridge; hack/kind/setup.sh's node is on its own network
# (goldenpath-kind). `docker network connect` (idempotent: skipped when already connected) puts the engine, and so the
# containers it runs (NATed through the engine's namespace), on that network. The kubeconfig is the cluster's own with
# the server set to the node container's IP there and tls-server-name set to the node's name (the API server
# certificate names the node; kubeadm also puts the node IP in it, so either check passes). Docker's DNS is not
# used: the engine's resolver does not know the node's name. Skipped when no cluster runs.
DAGGER_KUBECONFIG=""
step_kind() {
  load_env
  local network=${GOLDENPATH_KIND_NETWORK:-} node=${GOLDENPATH_KIND_NODE:-} kubectl=${GOLDENPATH_KUBECTL:-}
  local kubeconfig=${GOLDENPATH_KUBECONFIG:-}
  if [[ -z $node || $("$DOCKER" inspect -f '{{.State.Running}}' "$node" 2>/dev/null) != true || ! -f $kubeconfig ]]; then
    log "no kind cluster running (hack/setup.sh kind): the engine is not linked to one (the end-to-end function needs it)"
    return 0
  fi
  if ! "$DOCKER" inspect -f '{{json .NetworkSettings.Networks}}' "$DAGGER_ENGINE_NAME" | jq -e --arg n "$network" 'has($n)' >/dev/null; then
    "$DOCKER" network connect "$network" "$DAGGER_ENGINE_NAME"
    log "engine ${DAGGER_ENGINE_NAME} connected to docker network ${network}"
  fi
  local ip cluster out=${GOLDENPATH_CACHE}/dagger/kind-kubeconfig
  ip=$("$DOCKER" inspect -f "{{(index .NetworkSettings.Networks \"${network}\").IPAddress}}" "$node")
  [[ -n $ip ]] || die "kind node ${node} has no address on ${network}"
  cluster=$("$kubectl" --kubeconfig "$kubeconfig" config view --minify -o 'jsonpath={.clusters[0].name}')
  install -m 600 "$kubeconfig" "${out}.tmp"
  "$kubectl" --kubeconfig "${out}.tmp" config set-cluster "$cluster" --server "https://${ip}:6443" \
    --tls-server-name "$node" >/dev/null
  mv "${out}.tmp" "$out"
  DAGGER_KUBECONFIG=$out
  log "kubeconfig for the engine: ${out} (https://${ip}:6443, tls-server-name ${node})"
}

write_env() {
  env_write dagger <<EOF
# dagger (hack/dagger/setup.sh): the offline Dagger ${DV} CLI and its engine container.
export PATH=${DAGGER_PATH_DIR}:\${PATH}
export _EXPERIMENTAL_DAGGER_RUNNER_HOST=docker-container://${DAGGER_ENGINE_NAME}
export _EXPERIMENTAL_DAGGER_CLI_BIN=${DAGGER_BIN_DIR}/dagger
export DAGGER_NO_NAG=1
export DO_NOT_TRACK=1
export GOLDENPATH_DAGGER_VERSION=${DV}
export GOLDENPATH_DAGGER_BIN=${DAGGER_BIN_DIR}/dagger
export GOLDENPATH_DAGGER_PATH=${DAGGER_PATH_DIR}
export GOLDENPATH_DAGGER_ENGINE=${DAGGER_ENGINE_NAME}
export GOLDENPATH_DAGGER_REGISTRY=${DAGGER_REGISTRY}
export GOLDENPATH_DAGGER_KUBECONFIG=${DAGGER_KUBECONFIG}
export GOLDENPATH_TEST_CA=${ENTERPRISE_CA_DIR}/ca.crt
export GOLDENPATH_TEST_CA_KEY=${ENTERPRISE_CA_DIR}/ca.key
EOF
}

total_start=$(date +%s.%N)
timed "dagger: source" step_source
timed "dagger: binaries" step_binaries
timed "dagger: go sdk image" step_go_sdk
timed "dagger: engine image" step_engine_image
timed "dagger: registry" step_registry
timed "dagger: start engine" step_start
timed "dagger: kind link" step_kind
write_env
log "dagger ${DV} ready in $(elapsed "$total_start")s"
