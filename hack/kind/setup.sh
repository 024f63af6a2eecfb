#!/usr/bin/env bash
# hack/kind/setup.sh: an offline Kubernetes cluster for the end-to-end tests, made without pulling any image:
#   1. kind CLI            built from the sigs.k8s.io/kind module, used as published    -> $KIND_DIR/kind-cli/<v>/kind
#   2. Kubernetes          kube-apiserver, -controller-manager, -scheduler, -proxy, kubelet, kubeadm, kubectl, etcd
#                          and pause, from k8s.io/kubernetes and its staging modules (hack/kind/build-k8s.sh, a scratch
#                          module under the cache, never the project's go.mod)    -> $KIND_DIR/k8s/<v>/bin
#   3. node base image     Debian + systemd + Debian's containerd, runc, CNI plugins + kind's node files
#                          (hack/kind/node/Dockerfile.base)                       -> goldenpath/kind-base:<kind v>
#   4. control-plane images the binaries wrapped in images named as kubeadm expects (registry.k8s.io/kube-apiserver:
#                          v<k8s>, etcd, pause, ...), saved as one archive     -> $KIND_DIR/images/<v>/images.tar
#   5. node image          base + kubeadm/kubelet/kubectl + static bridge CNI + the images imported into its
#                          containerd                                             -> goldenpath/kind-node:v<k8s>
#   6. cluster             kind create cluster "goldenpath-e2e" on its own Docker network, its containerd pulling
#                          from the host registry over plain HTTP (hosts.toml for <registry> pointing at a socat
#                          forwarder on the network's gateway), NodePorts 30080-30087 mapped to 127.0.0.1
# Every step is keyed by its inputs (stamps, like hack/lib.sh's) and skipped when nothing changed; a running cluster made
# from the same node image and config is reused (checked, not recreated). Needs the Docker engine (with the runc
# wrapper), the registry and the Debian base image first. Writes the kind section of $GOLDENPATH_CACHE/env.sh:
#
#   bash hack/setup.sh && bash hack/setup.sh kind && source /var/cache/goldenpath/env.sh
#   bash hack/kind/setup.sh --cached           # exit 0 when the Kubernetes build (the long step) is cached, else 1
#   bash hack/kind/setup.sh --teardown [--all] # delete the cluster, its network and forwarder (--all: also the images
#                                              # and built binaries: the next setup is cold)
set -euo pipefail
# shellcheck source=hack/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
mode=${1:-}
KIND_CLUSTER=${KIND_CLUSTER:-goldenpath-e2e}
KIND_NETWORK=${KIND_NETWORK:-goldenpath-kind}
KIND_DIR=${GOLDENPATH_CACHE}/kind
KIND_BIN=${KIND_DIR}/kind-cli/v${KIND_VERSION}/kind
K8S_BIN=${KIND_DIR}/k8s/v${K8S_VERSION}/bin
IMAGES_TAR=${KIND_DIR}/images/v${K8S_VERSION}/images.tar
NODE_BASE_IMAGE=goldenpath/kind-base:v${KIND_VERSION}
CP_BASE_IMAGE=goldenpath/kind-cp-base:${DEBIAN_SUITE}
NODE_IMAGE=goldenpath/kind-node:v${K8S_VERSION}
CLUSTER_DIR=${KIND_DIR}/cluster
KUBECONFIG_FILE=${CLUSTER_DIR}/kubeconfig
NODEPORTS=(30080 30081 30082 30083 30084 30085 30086 30087)
HERE=${GOLDENPATH_ROOT}/hack/kind
export GOWORK=off K8S_VERSION
# Bump a recipe number when the way a step builds its output changes (its other inputs are hashed).
RECIPE_K8S=1 RECIPE_NODE=1 RECIPE_IMAGES=1 RECIPE_CLUSTER=1

k8s_key() { stamp_key "k8s-v${RECIPE_K8S}" "$K8S_VERSION" "$go_version" "${HERE}/build-k8s.sh"; }
go_version=$("$GO" env GOVERSION)
[[ $mode != --cached ]] || cache_probe "Kubernetes v${K8S_VERSION} binaries (${K8S_BIN})" eval 'stamp_ok kind-k8s "$(k8s_key)" && [[ -x ${K8S_BIN}/kubeadm ]]'
setup_lock
require_docker

# kind runs "docker" from PATH: make that the Debian 20.10 client (lib.sh), never /usr/local/bin/docker.
mkdir -p "${KIND_DIR}/path"
ln -sf "$DOCKER" "${KIND_DIR}/path/docker"
export PATH=${KIND_DIR}/path:${PATH}

# --- --teardown: the cluster, its network and forwarder (--all: also the images and binaries) --------------------
teardown() {
  if "$DOCKER" inspect "${KIND_CLUSTER}-control-plane" >/dev/null 2>&1; then
    log "deleting cluster ${KIND_CLUSTER}"
    if [[ -x $KIND_BIN ]]; then "$KIND_BIN" delete cluster --name "$KIND_CLUSTER" >&2; fi
    "$DOCKER" rm -f -v "${KIND_CLUSTER}-control-plane" >/dev/null 2>&1 || true
  fi
  if "$DOCKER" network inspect "$KIND_NETWORK" >/dev/null 2>&1; then
    "$DOCKER" network rm "$KIND_NETWORK" >/dev/null || warn "network ${KIND_NETWORK} still in use"
  fi
  forwarder_stop kind-registry
  rm -f "${GOLDENPATH_CACHE}/stamps/kind-cluster" "$KUBECONFIG_FILE"
  env_remove kind
  if [[ ${1:-} == --all ]]; then
    log "removing the kind images and built binaries"
    local img
    for img in "$NODE_IMAGE" "$NODE_BASE_IMAGE" "$CP_BASE_IMAGE" $("$DOCKER" images --format '{{.Repository}}:{{.Tag}}' 'registry.k8s.io/*'); do
      "$DOCKER" rmi "$img" >/dev/null 2>&1 || true
    done
    rm -rf "$KIND_DIR"
    rm -f "${GOLDENPATH_CACHE}"/stamps/kind-*
  fi
}
if [[ $mode == --teardown ]]; then
  teardown "${2:-}"
  exit 0
fi

REGISTRY=$(registry_addr)
REGISTRY_PORT=${REGISTRY##*:}

# --- 1. kind CLI ------------------------------------------------------------------------------------------------
kind_cli() {
  local key
  key=$(stamp_key "kind-cli" "$KIND_VERSION" "$go_version")
  if stamp_ok kind-cli "$key" && [[ -x $KIND_BIN ]]; then return 0; fi
  mkdir -p "$(dirname "$KIND_BIN")"
  (cd / && GOBIN=$(dirname "$KIND_BIN") CGO_ENABLED=0 GOFLAGS=-mod=mod logged kind-cli \
    "$GO" install -trimpath -ldflags=-s "sigs.k8s.io/kind@v${KIND_VERSION}")
  "$KIND_BIN" version >&2
  stamp_write kind-cli "$key"
}

# --- 2. Kubernetes binaries -------------------------------------------------------------------------------------
k8s_binaries() {
  compile kind-k8s "$(k8s_key)" "$K8S_BIN" "Kubernetes v${K8S_VERSION} from its Go modules (cold: ~20-40 min on 2 cores)" \
    bash "${HERE}/build-k8s.sh" "${KIND_DIR}/k8s/v${K8S_VERSION}/src" "${K8S_BIN}.tmp"
}
# hack/versions.sh names the etcd Kubernetes requires (build-k8s.sh takes it from k8s.io/kubernetes' go.mod).
check_etcd() {
  [[ $(cat "${K8S_BIN}/etcd.version") == "$ETCD_VERSION" ]] ||
    die "Kubernetes v${K8S_VERSION} requires etcd $(cat "${K8S_BIN}/etcd.version"), hack/versions.sh says ${ETCD_VERSION}: update it"
}

# --- 3. node base image -----------------------------------------------------------------------------------------
node_base_image() {
  local kind_src key ctx
  kind_src=$(cd / && GOFLAGS=-mod=mod "$GO" mod download -json "sigs.k8s.io/kind@v${KIND_VERSION}" | jq -er '.Dir // error(.Error)')
  key=$(stamp_key "node-base-v${RECIPE_NODE}" "${HERE}/node/Dockerfile.base" "${kind_src}/images/base/files" "$(image_id "$BASE_IMAGE")")
  if image_fresh kind-node-base "$key" "$NODE_BASE_IMAGE"; then return 0; fi
  [[ -n $(image_id "$BASE_IMAGE") ]] || die "no local ${BASE_IMAGE}: run hack/setup.sh first"
  ctx=$(mktemp -d)
  cp -r "${kind_src}/images/base/files" "${ctx}/kind-files"
  chmod -R u+w "$ctx"
  cp "${HERE}/node/Dockerfile.base" "${ctx}/Dockerfile"
  build_image kind-node-base "$NODE_BASE_IMAGE" "$ctx" "$key" --network host --build-arg "BASE=${BASE_IMAGE}"
}

# --- 4. control-plane images ------------------------------------------------------------------------------------
# The names kubeadm (and containerd's sandbox_image) look for; kubeadm never pulls what the node already has.
control_plane_images() {
  local key
  key=$(stamp_key "cp-images-v${RECIPE_IMAGES}" "${HERE}/images" "$(cat "${GOLDENPATH_CACHE}/stamps/kind-k8s")" \
    "$(image_id "$BASE_IMAGE")")
  if stamp_ok kind-cp-images "$key" && [[ -f $IMAGES_TAR ]]; then return 0; fi
  local ctx etcd_image images=() name
  ctx=$(mktemp -d)
  cp "${HERE}"/images/Dockerfile* "$ctx/"
  cp "${K8S_BIN}"/{kube-apiserver,kube-controller-manager,kube-scheduler,kube-proxy,etcd,pause} "$ctx/"
  DOCKER_BUILDKIT=1 logged kind-cp-base "$DOCKER" build --network host --build-arg "BASE=${BASE_IMAGE}" \
    -t "$CP_BASE_IMAGE" -f "${ctx}/Dockerfile.base" "$ctx"
  for name in kube-apiserver kube-controller-manager kube-scheduler kube-proxy; do
    DOCKER_BUILDKIT=1 logged "kind-image-${name}" "$DOCKER" build --build-arg "BASE=${CP_BASE_IMAGE}" --build-arg "BIN=${name}" \
      -t "registry.k8s.io/${name}:v${K8S_VERSION}" -f "${ctx}/Dockerfile" "$ctx"
    images+=("registry.k8s.io/${name}:v${K8S_VERSION}")
  done
  # etcd: the server version k8s.io/kubernetes requires (its go.mod: go.etcd.io/etcd/server/v3), under the name
  # kubeadm asks for (v1.34.2 names etcd 3.6.5-0, one patch release newer; kubeadm checks the version only on upgrade).
  etcd_image=$("${K8S_BIN}/kubeadm" config images list --kubernetes-version "v${K8S_VERSION}" | grep '/etcd:')
  log "etcd image ${etcd_image}: etcd $(cat "${K8S_BIN}/etcd.version") built from go.etcd.io/etcd/server/v3"
  DOCKER_BUILDKIT=1 logged kind-image-etcd "$DOCKER" build --build-arg "BASE=${CP_BASE_IMAGE}" --build-arg BIN=etcd \
    -t "$etcd_image" -f "${ctx}/Dockerfile" "$ctx"
  images+=("$etcd_image")
  DOCKER_BUILDKIT=1 logged kind-image-pause "$DOCKER" build -t registry.k8s.io/pause:3.10.1 -f "${ctx}/Dockerfile.pause" "$ctx"
  "$DOCKER" tag registry.k8s.io/pause:3.10.1 registry.k8s.io/pause:3.10
  images+=(registry.k8s.io/pause:3.10.1 registry.k8s.io/pause:3.10)
  rm -rf "$ctx"
  # Every image kubeadm wants must be here, except CoreDNS (not built: the e2e tests address everything by IP).
  local want
  for want in $("${K8S_BIN}/kubeadm" config images list --kubernetes-version "v${K8S_VERSION}" 2>/dev/null | grep -v coredns); do
    [[ " ${images[*]} " == *" ${want} "* ]] || die "kubeadm wants ${want}, which hack/kind/setup.sh does not build"
  done
  mkdir -p "$(dirname "$IMAGES_TAR")"
  "$DOCKER" save "${images[@]}" -o "${IMAGES_TAR}.tmp"
  mv "${IMAGES_TAR}.tmp" "$IMAGES_TAR"
  stamp_write kind-cp-images "$key"
}

# --- 5. node image ----------------------------------------------------------------------------------------------
node_image() {
  local key ctx cid old
  key=$(stamp_key "node-v${RECIPE_NODE}" "$K8S_VERSION" "${HERE}/node" "$(image_id "$NODE_BASE_IMAGE")" \
    "$(cat "${GOLDENPATH_CACHE}/stamps/kind-k8s")" "$(cat "${GOLDENPATH_CACHE}/stamps/kind-cp-images")")
  if image_fresh kind-node "$key" "$NODE_IMAGE"; then return 0; fi
  ctx=$(mktemp -d)
  cp -r "${HERE}/node/cni" "${HERE}/node/manifests" "${HERE}/node/Dockerfile" "$ctx/"
  mkdir "${ctx}/bin"
  cp "${K8S_BIN}"/{kubeadm,kubelet,kubectl} "${ctx}/bin/"
  old=$(image_id "$NODE_IMAGE")
  DOCKER_BUILDKIT=1 logged kind-node "$DOCKER" build --build-arg "BASE=${NODE_BASE_IMAGE}" --build-arg "K8S_VERSION=${K8S_VERSION}" \
    -t "${NODE_IMAGE}-stage" "$ctx"
  rm -rf "$ctx"
  # Import the control-plane images into the node's containerd, as "kind build node-image" does: start containerd in
  # a container of the image, "ctr images import" the archive (pinned, so the kubelet never collects them), commit.
  # (a container left by an interrupted run carries the label: remove it first)
  "$DOCKER" ps -aq --filter label=io.goldenpath.kind-node-build | xargs -r "$DOCKER" rm -f >/dev/null
  cid=$("$DOCKER" run -d --privileged --label io.goldenpath.kind-node-build --entrypoint sleep "${NODE_IMAGE}-stage" infinity)
  "$DOCKER" exec "$cid" bash -c 'nohup containerd >/var/log/containerd-import.log 2>&1 &'
  wait_for 120 "containerd in the node image build container" "$DOCKER" exec "$cid" ctr version
  "$DOCKER" exec -i "$cid" ctr --namespace=k8s.io images import --label=io.cri-containerd.pinned=pinned \
    --all-platforms --no-unpack --digests - <"$IMAGES_TAR" >"${GOLDENPATH_CACHE}/logs/kind-node-import.log" 2>&1 ||
    die "ctr images import failed: $(tail -n 5 "${GOLDENPATH_CACHE}/logs/kind-node-import.log")"
  "$DOCKER" exec "$cid" ctr --namespace=k8s.io images list -q >&2
  # shellcheck disable=SC2016 # expanded by the container's shell
  # (sleep, PID 1 here, does not reap: an exited containerd stays a zombie, state Z)
  "$DOCKER" exec "$cid" bash -c 'pkill containerd; for i in $(seq 100); do ps -C containerd -o stat= | grep -qv "^Z" || exit 0; sleep 0.2; done; exit 1'
  "$DOCKER" exec "$cid" rm -f /var/log/containerd-import.log
  "$DOCKER" commit --change 'ENTRYPOINT [ "/usr/local/bin/entrypoint", "/sbin/init" ]' --change 'CMD []' "$cid" "$NODE_IMAGE" >/dev/null
  "$DOCKER" rm -f "$cid" >/dev/null
  "$DOCKER" rmi "${NODE_IMAGE}-stage" >/dev/null
  remove_if_untagged "$old"
  image_stamp kind-node "$key" "$NODE_IMAGE"
}

# --- 6. network, registry forwarder, cluster --------------------------------------------------------------------
ensure_network() {
  if ! "$DOCKER" network inspect "$KIND_NETWORK" >/dev/null 2>&1; then
    # The same options kind gives its own "kind" network (IPv4 only here).
    "$DOCKER" network create -d bridge -o com.docker.network.bridge.enable_ip_masquerade=true \
      -o com.docker.network.driver.mtu=1500 "$KIND_NETWORK" >/dev/null
  fi
  GATEWAY=$(network_gateway "$KIND_NETWORK")
}

# The registry listens on 127.0.0.1 only. Pods pull from the node's containerd, which reaches the host through the
# network's gateway: a socat forwarder listens there (gateway:REGISTRY_PORT -> 127.0.0.1:REGISTRY_PORT), and the
# node's hosts.toml for the registry's name sends pulls to it over plain HTTP.
registry_forwarder() {
  forwarder kind-registry "TCP-LISTEN:${REGISTRY_PORT},bind=${GATEWAY},reuseaddr,fork" "TCP:${REGISTRY}"
  wait_for 60 "the registry forwarder on ${GATEWAY}:${REGISTRY_PORT}" curl -fsS "http://${GATEWAY}:${REGISTRY_PORT}/v2/"
}

# stale_test_hosts: remove the certs.d entries a test wrote for a registry of its own ("# Written by the goldenpath
# test ...", internal/e2e trustOnNode) and could not remove because it was killed.
stale_test_hosts() {
  local f
  for f in "${CLUSTER_DIR}"/certs.d/*/hosts.toml; do
    [[ -f $f ]] && head -n1 "$f" | grep -q '^# Written by the goldenpath test ' && rm -rf "$(dirname "$f")"
  done
  return 0
}

write_cluster_config() {
  # Images named 127.0.0.1:PORT/... (the host's name) and GATEWAY:PORT/... (what pods use: kpack names the images it
  # writes so) are pulled over plain HTTP through the forwarder; containerd reads these files at each pull.
  local name
  for name in "$REGISTRY" "${GATEWAY}:${REGISTRY_PORT}"; do
    mkdir -p "${CLUSTER_DIR}/certs.d/${name}"
    printf '# Written by hack/kind/setup.sh.\nserver = "http://%s"\n\n[host."http://%s"]\n  capabilities = ["pull", "resolve"]\n' \
      "$name" "${GATEWAY}:${REGISTRY_PORT}" >"${CLUSTER_DIR}/certs.d/${name}/hosts.toml"
  done
  # (this file's content keys the running cluster: its header keeps the script's old name, else every cluster made
  # before would be recreated)
  {
    cat <<EOF
# Written by hack/setup-kind.sh.
kind: Cluster
apiVersion: kind.x-k8s.io/v1alpha4
networking:
  apiServerAddress: 127.0.0.1
  # kindnet's image cannot be pulled: the node image carries a static bridge CNI config for 10.244.0.0/24.
  disableDefaultCNI: true
  podSubnet: 10.244.0.0/16
containerdConfigPatches:
  - |-
    [plugins."io.containerd.grpc.v1.cri".registry]
      config_path = "/etc/containerd/certs.d"
nodes:
  - role: control-plane
    image: ${NODE_IMAGE}
    extraMounts:
      - hostPath: ${CLUSTER_DIR}/certs.d
        containerPath: /etc/containerd/certs.d
        readOnly: true
    # NodePorts for the e2e tests, each on a free port of 127.0.0.1 (read them with "docker port").
    extraPortMappings:
EOF
    local p
    for p in "${NODEPORTS[@]}"; do
      printf '      - {containerPort: %s, hostPort: 0, listenAddress: "127.0.0.1", protocol: TCP}\n' "$p"
    done
  } >"${CLUSTER_DIR}/kind-config.yaml"
}

node_container() { echo "${KIND_CLUSTER}-control-plane"; }

cluster_healthy() {
  [[ $("$DOCKER" inspect -f '{{.State.Running}}' "$(node_container)" 2>/dev/null) == true ]] &&
    "${K8S_BIN}/kubectl" --kubeconfig "$KUBECONFIG_FILE" get --raw /readyz >/dev/null 2>&1
}

cluster() {
  local key
  key=$(stamp_key "cluster-v${RECIPE_CLUSTER}" "$(image_id "$NODE_IMAGE")" "${CLUSTER_DIR}/kind-config.yaml" "$KIND_NETWORK")
  if stamp_ok kind-cluster "$key" && "$KIND_BIN" get clusters 2>/dev/null | grep -qx "$KIND_CLUSTER"; then
    if [[ $("$DOCKER" inspect -f '{{.State.Running}}' "$(node_container)" 2>/dev/null) != true ]]; then
      log "restarting the stopped node container $(node_container)"
      "$DOCKER" start "$(node_container)" >/dev/null
    fi
    "$KIND_BIN" get kubeconfig --name "$KIND_CLUSTER" >"$KUBECONFIG_FILE"
    local i
    for ((i = 0; i < 180; i++)); do cluster_healthy && break; sleep 1; done
    if cluster_healthy; then
      log "reusing cluster ${KIND_CLUSTER}"
      return 0
    fi
    warn "cluster ${KIND_CLUSTER} does not answer: recreating it"
  fi
  if "$KIND_BIN" get clusters 2>/dev/null | grep -qx "$KIND_CLUSTER"; then
    "$KIND_BIN" delete cluster --name "$KIND_CLUSTER" >&2
  fi
  KIND_EXPERIMENTAL_DOCKER_NETWORK=$KIND_NETWORK logged kind-create \
    "$KIND_BIN" create cluster --name "$KIND_CLUSTER" --config "${CLUSTER_DIR}/kind-config.yaml" \
    --kubeconfig "$KUBECONFIG_FILE" --wait 0s
  local kc=("${K8S_BIN}/kubectl" --kubeconfig "$KUBECONFIG_FILE")
  # CoreDNS is not built (its image would have to be pulled): nothing here resolves cluster names.
  "${kc[@]}" -n kube-system scale deployment coredns --replicas=0 >/dev/null
  "${kc[@]}" wait --for=condition=Ready node --all --timeout=600s >&2
  "${kc[@]}" -n kube-system rollout status daemonset kube-proxy --timeout=600s >&2
  stamp_write kind-cluster "$key"
}

write_env() {
  local nodeports="" p hostport
  for p in "${NODEPORTS[@]}"; do
    hostport=$("$DOCKER" port "$(node_container)" "${p}/tcp" | head -n1)
    nodeports+="${p}=${hostport} "
  done
  env_write kind <<EOF
# kind (hack/kind/setup.sh): the offline cluster of the e2e and in-cluster tests.
export GOLDENPATH_KIND=${KIND_BIN}
export GOLDENPATH_KIND_CLUSTER=${KIND_CLUSTER}
export GOLDENPATH_KIND_NETWORK=${KIND_NETWORK}
export GOLDENPATH_KIND_NODE=$(node_container)
export GOLDENPATH_KUBECTL=${K8S_BIN}/kubectl
export GOLDENPATH_KUBECONFIG=${KUBECONFIG_FILE}
export GOLDENPATH_KIND_NODEPORTS="${nodeports% }"
export GOLDENPATH_KIND_REGISTRY_GATEWAY=${GATEWAY}:${REGISTRY_PORT}
# the node's containerd registry hosts (/etc/containerd/certs.d, read-only in the node): a test adds HOST/hosts.toml here
# for a registry it starts (read at each pull) and removes it after
export GOLDENPATH_KIND_CERTS_D=${CLUSTER_DIR}/certs.d
EOF
}

total_start=$(date +%s.%N)
timed "kind: CLI v${KIND_VERSION}" kind_cli
timed "kind: Kubernetes v${K8S_VERSION} binaries" k8s_binaries
check_etcd
timed "kind: node base image" node_base_image
timed "kind: control-plane images" control_plane_images
timed "kind: node image" node_image
timed "kind: network" ensure_network
timed "kind: registry forwarder" registry_forwarder
stale_test_hosts
write_cluster_config
timed "kind: cluster ${KIND_CLUSTER}" cluster
write_env
log "kind: total $(elapsed "$total_start")s"
