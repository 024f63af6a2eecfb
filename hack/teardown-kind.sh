#!/usr/bin/env bash
# teardown-kind.sh: delete the e2e cluster (hack/setup-kind.sh), its Docker network and the registry forwarder.
# The built binaries and images stay cached, so the next setup-kind.sh only creates the cluster (~30 s).
#
#   bash hack/teardown-kind.sh          # cluster, network, forwarder
#   bash hack/teardown-kind.sh --all    # also the node and control-plane images and the built binaries (a cold rebuild)
set -euo pipefail
# shellcheck source=hack/lib.sh source-path=SCRIPTDIR
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
setup_lock

KIND_VERSION=${KIND_VERSION:-0.33.0}
K8S_VERSION=${K8S_VERSION:-1.34.2}
KIND_CLUSTER=${KIND_CLUSTER:-goldenpath-e2e}
KIND_NETWORK=${KIND_NETWORK:-goldenpath-kind}
KIND_DIR=${GOLDENPATH_CACHE}/kind
KIND_BIN=${KIND_DIR}/kind-cli/v${KIND_VERSION}/kind
all=""
[[ ${1:-} == --all ]] && all=1

mkdir -p "${KIND_DIR}/path"
ln -sf "$DOCKER" "${KIND_DIR}/path/docker"
export PATH=${KIND_DIR}/path:${PATH}

if docker_ok; then
  if [[ -x $KIND_BIN ]] && "$KIND_BIN" get clusters 2>/dev/null | grep -qx "$KIND_CLUSTER"; then
    log "deleting cluster ${KIND_CLUSTER}"
    "$KIND_BIN" delete cluster --name "$KIND_CLUSTER" >&2
  elif "$DOCKER" inspect "${KIND_CLUSTER}-control-plane" >/dev/null 2>&1; then
    "$DOCKER" rm -f -v "${KIND_CLUSTER}-control-plane" >/dev/null
  fi
  if "$DOCKER" network inspect "$KIND_NETWORK" >/dev/null 2>&1; then
    log "removing network ${KIND_NETWORK}"
    "$DOCKER" network rm "$KIND_NETWORK" >/dev/null || warn "network ${KIND_NETWORK} still in use"
  fi
fi
if [[ -f ${KIND_DIR}/registry-forwarder.pid ]]; then
  kill "$(cat "${KIND_DIR}/registry-forwarder.pid")" 2>/dev/null || true
  rm -f "${KIND_DIR}/registry-forwarder.pid" "${KIND_DIR}/registry-forwarder.addr"
fi
rm -f "${GOLDENPATH_CACHE}/stamps/kind-cluster" "${KIND_DIR}/env.sh" "${KIND_DIR}/cluster/kubeconfig"

if [[ -n $all ]]; then
  log "removing the kind images and built binaries"
  if docker_ok; then
    for img in "goldenpath/kind-node:v${K8S_VERSION}" "goldenpath/kind-base:v${KIND_VERSION}" "goldenpath/kind-cp-base:${DEBIAN_SUITE}" \
      $("$DOCKER" images --format '{{.Repository}}:{{.Tag}}' 'registry.k8s.io/*' 2>/dev/null); do
      "$DOCKER" rmi "$img" >/dev/null 2>&1 || true
    done
  fi
  rm -rf "${KIND_DIR}"
  rm -f "${GOLDENPATH_CACHE}"/stamps/kind-*
fi
log "teardown-kind: done"
