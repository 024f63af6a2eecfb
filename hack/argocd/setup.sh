#!/usr/bin/env bash
# hack/argocd/setup.sh: Argo CD running in the offline kind cluster of hack/kind/setup.sh, built without pulling any image:
#   1. binaries   Argo CD's application controller and repo server (one multi-call "argocd" binary) and kustomize,
#                 from their Go modules in a scratch module under the cache (hack/argocd/build-argocd.sh; never the
#                 project's go.mod). Argo CD 3.6 needs Go 1.27: GOTOOLCHAIN=go1.27.3.   -> $ARGO_DIR/v<v>/bin
#   2. images     goldenpath/argocd:v<v> (Debian base + git, tini, gpg, ssh + argocd, kustomize; hack/argocd/Dockerfile)
#                 and goldenpath/argocd-redis:<suite> (Debian's redis-server; hack/argocd/Dockerfile.redis)
#   3. push       both to the local registry; the manifests name them by digest
#   4. deploy     the argo-cd module's manifests/core-install.yaml (CRDs, application controller, repo server, redis)
#                 with hack/argocd/patches.yaml applied by kustomize: no ApplicationSet controller (not built; no
#                 argocd-server, dex or notifications either: core-install has none), components addressed through
#                 service environment variables (no CoreDNS in the cluster), timeout.reconciliation 5s in argocd-cm
#                 (upstream 120s + jitter; see patches.yaml), images substituted. Namespace "argocd".
# Every step is keyed by its inputs (stamps) and skipped when nothing changed; a second run only checks (seconds).
# Needs the Docker engine, the registry and the kind cluster. Writes the argocd section of env.sh:
#
#   bash hack/setup.sh && bash hack/setup.sh kind argocd && source /var/cache/goldenpath/env.sh
#   bash hack/argocd/setup.sh --cached    # exit 0 when the binaries (the long step) are cached, else 1
#
# Settings: the versions in hack/versions.sh; ARGOCD_RECONCILIATION (5s: argocd-cm's timeout.reconciliation).
set -euo pipefail
# shellcheck source=hack/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
ARGOCD_RECONCILIATION=${ARGOCD_RECONCILIATION:-5s}
ARGOCD_NAMESPACE=argocd
ARGO_DIR=${GOLDENPATH_CACHE}/argocd
VER_DIR=${ARGO_DIR}/v${ARGOCD_VERSION}
BIN=${VER_DIR}/bin
HERE=${GOLDENPATH_ROOT}/hack/argocd
ARGOCD_IMAGE=goldenpath/argocd:v${ARGOCD_VERSION}
REDIS_IMAGE=goldenpath/argocd-redis:${DEBIAN_SUITE}
export GOWORK=off GOTOOLCHAIN=$ARGOCD_GOTOOLCHAIN ARGOCD_VERSION KUSTOMIZE_VERSION GO
# Bump a recipe number when the way a step builds its output changes (its other inputs are hashed).
RECIPE_BIN=1 RECIPE_IMAGES=1 RECIPE_DEPLOY=1

go_version=$(cd / && "$GO" env GOVERSION)
bin_key() { stamp_key "argocd-bin-v${RECIPE_BIN}" "$ARGOCD_VERSION" "$KUSTOMIZE_VERSION" "$go_version" "${HERE}/build-argocd.sh"; }
[[ ${1:-} != --cached ]] || cache_probe "Argo CD v${ARGOCD_VERSION} binaries (${BIN})" eval 'stamp_ok argocd-bin "$(bin_key)" && [[ -x ${BIN}/argocd && -x ${BIN}/kustomize ]]'
setup_lock
require_docker
require_kind
REGISTRY=$(registry_addr)
argo_src() { (cd / && GOFLAGS=-mod=mod "$GO" mod download -json "github.com/argoproj/argo-cd/v3@v${ARGOCD_VERSION}" | jq -er '.Dir // error(.Error)'); }

# --- 1. binaries ------------------------------------------------------------------------------------------------
binaries() {
  compile argocd-bin "$(bin_key)" "$BIN" "Argo CD v${ARGOCD_VERSION} and kustomize v${KUSTOMIZE_VERSION} (cold: ~10 min on 2 cores)" \
    nice bash "${HERE}/build-argocd.sh" "${VER_DIR}/src" "${BIN}.tmp"
}

# --- 2. images --------------------------------------------------------------------------------------------------
images() {
  [[ -n $(image_id "$BASE_IMAGE") ]] || die "no local ${BASE_IMAGE}: run hack/setup.sh first"
  local src key ctx
  src=$(argo_src)
  key=$(stamp_key "argocd-image-v${RECIPE_IMAGES}" "${HERE}/Dockerfile" "$(cat "${GOLDENPATH_CACHE}/stamps/argocd-bin")" \
    "${src}/hack/gpg-wrapper.sh" "${src}/hack/git-verify-wrapper.sh" "${src}/entrypoint.sh" "$(image_id "$BASE_IMAGE")")
  if ! image_fresh argocd-image "$key" "$ARGOCD_IMAGE"; then
    ctx=$(mktemp -d)
    cp "${HERE}/Dockerfile" "${BIN}/argocd" "${BIN}/kustomize" "${src}/hack/gpg-wrapper.sh" \
      "${src}/hack/git-verify-wrapper.sh" "${src}/entrypoint.sh" "$ctx/"
    chmod -R u+w,a+rx "$ctx"
    build_image argocd-image "$ARGOCD_IMAGE" "$ctx" "$key" --network host --build-arg "BASE=${BASE_IMAGE}"
  fi
  key=$(stamp_key "argocd-redis-v${RECIPE_IMAGES}" "${HERE}/Dockerfile.redis" "$(image_id "$BASE_IMAGE")")
  if ! image_fresh argocd-redis-image "$key" "$REDIS_IMAGE"; then
    ctx=$(mktemp -d)
    cp "${HERE}/Dockerfile.redis" "${ctx}/Dockerfile"
    build_image argocd-redis-image "$REDIS_IMAGE" "$ctx" "$key" --network host --build-arg "BASE=${BASE_IMAGE}"
  fi
}

# --- 3. push ----------------------------------------------------------------------------------------------------
push_images() {
  ARGOCD_REF=$(push_image "$ARGOCD_IMAGE" "${REGISTRY}/${ARGOCD_IMAGE}")
  REDIS_REF=$(push_image "$REDIS_IMAGE" "${REGISTRY}/${REDIS_IMAGE}")
  log "argocd image ${ARGOCD_REF}"
  log "redis image ${REDIS_REF}"
}

# --- 4. deploy --------------------------------------------------------------------------------------------------
render_manifests() {
  local src dir=${VER_DIR}/deploy
  src=$(argo_src)
  rm -rf "$dir"
  mkdir -p "$dir"
  cp "${src}/manifests/core-install.yaml" "${HERE}/patches.yaml" "$dir/"
  chmod u+w "$dir"/*
  sed -i "s/^  timeout.reconciliation: .*/  timeout.reconciliation: ${ARGOCD_RECONCILIATION}/" "${dir}/patches.yaml"
  cat >"${dir}/kustomization.yaml" <<EOF
# Written by hack/argocd/setup.sh: Argo CD v${ARGOCD_VERSION}'s core-install.yaml with goldenpath's patches and images.
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
namespace: ${ARGOCD_NAMESPACE}
resources:
  - core-install.yaml
patches:
  - path: patches.yaml
images:
  - name: quay.io/argoproj/argocd
    newName: ${ARGOCD_REF%@*}
    digest: ${ARGOCD_REF#*@}
  - name: public.ecr.aws/docker/library/redis
    newName: ${REDIS_REF%@*}
    digest: ${REDIS_REF#*@}
EOF
  "${BIN}/kustomize" build "$dir" >"${dir}/install.yaml.tmp"
  mv "${dir}/install.yaml.tmp" "${dir}/install.yaml"
  # nothing may still point at a public registry
  if grep -nE 'image: (quay\.io|public\.ecr\.aws|ghcr\.io|docker\.io)' "${dir}/install.yaml" >&2; then
    die "the rendered Argo CD manifests still name public images"
  fi
  INSTALL_YAML=${dir}/install.yaml
}

WORKLOADS=(statefulset/argocd-application-controller deployment/argocd-repo-server deployment/argocd-redis)
workloads_ready() {
  local w
  for w in "${WORKLOADS[@]}"; do
    "${KUBECTL[@]}" -n "$ARGOCD_NAMESPACE" rollout status "$w" --timeout=1s >/dev/null 2>&1 || return 1
  done
}

deploy() {
  local key node_id
  "${KUBECTL[@]}" get --raw /readyz >/dev/null 2>&1 ||
    die "the kind cluster ${GOLDENPATH_KIND_CLUSTER} does not answer: run hack/setup.sh kind first"
  node_id=$("$DOCKER" inspect -f '{{.Id}}' "$GOLDENPATH_KIND_NODE")
  key=$(stamp_key "argocd-deploy-v${RECIPE_DEPLOY}" "$INSTALL_YAML" "$node_id")
  if stamp_ok argocd-deploy "$key" && workloads_ready; then
    log "Argo CD v${ARGOCD_VERSION} is deployed and ready in namespace ${ARGOCD_NAMESPACE}"
    return 0
  fi
  local existing=""
  "${KUBECTL[@]}" -n "$ARGOCD_NAMESPACE" get statefulset argocd-application-controller >/dev/null 2>&1 && existing=1
  "${KUBECTL[@]}" get namespace "$ARGOCD_NAMESPACE" >/dev/null 2>&1 ||
    "${KUBECTL[@]}" create namespace "$ARGOCD_NAMESPACE" >/dev/null
  # Redis' password (upstream's init container makes it with "argocd admin redis-initial-password").
  if ! "${KUBECTL[@]}" -n "$ARGOCD_NAMESPACE" get secret argocd-redis >/dev/null 2>&1; then
    "${KUBECTL[@]}" -n "$ARGOCD_NAMESPACE" create secret generic argocd-redis \
      --from-literal=auth="$(head -c 24 /dev/urandom | base64 | tr -dc 'A-Za-z0-9')" >/dev/null
  fi
  # server-side: the ApplicationSet CRD is too big for the last-applied annotation of a client-side apply
  logged argocd-apply "${KUBECTL[@]}" apply --server-side --force-conflicts --field-manager=goldenpath-setup -f "$INSTALL_YAML"
  # argocd-cm and the cmd params are read at start: restart what was already running
  if [[ -n $existing ]]; then
    "${KUBECTL[@]}" -n "$ARGOCD_NAMESPACE" rollout restart "${WORKLOADS[@]}" >/dev/null
  fi
  local w
  for w in "${WORKLOADS[@]}"; do
    "${KUBECTL[@]}" -n "$ARGOCD_NAMESPACE" rollout status "$w" --timeout=600s >&2 || {
      "${KUBECTL[@]}" -n "$ARGOCD_NAMESPACE" get pods -o wide >&2 || true
      "${KUBECTL[@]}" -n "$ARGOCD_NAMESPACE" logs "$w" --all-containers --tail=30 >&2 || true
      die "Argo CD ${w} did not become ready"
    }
  done
  stamp_write argocd-deploy "$key"
}

write_env() {
  env_write argocd <<EOF
# argocd (hack/argocd/setup.sh): Argo CD (application controller, repo server, redis) in the kind cluster.
export GOLDENPATH_ARGOCD_VERSION=${ARGOCD_VERSION}
export GOLDENPATH_ARGOCD_NAMESPACE=${ARGOCD_NAMESPACE}
export GOLDENPATH_ARGOCD_IMAGE=${ARGOCD_REF}
export GOLDENPATH_ARGOCD_REDIS_IMAGE=${REDIS_REF}
# argocd-cm timeout.reconciliation: how often Argo CD compares each Application with Git (no webhook here)
export GOLDENPATH_ARGOCD_RECONCILIATION=${ARGOCD_RECONCILIATION}
export GOLDENPATH_ARGOCD_MANIFESTS=${INSTALL_YAML}
export GOLDENPATH_KUSTOMIZE=${BIN}/kustomize
EOF
}

total_start=$(date +%s.%N)
mkdir -p "$ARGO_DIR"
timed "argocd: binaries v${ARGOCD_VERSION} (${go_version})" binaries
timed "argocd: images" images
timed "argocd: push" push_images
timed "argocd: manifests" render_manifests
timed "argocd: deploy" deploy
write_env
log "argocd: total $(elapsed "$total_start")s"
