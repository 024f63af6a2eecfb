#!/usr/bin/env bash
# hack/kpack/setup.sh: kpack running in the offline kind cluster of hack/kind/setup.sh, made without pulling any image:
#   1. binaries        kpack's six commands (controller, webhook, build-init, build-waiter, completion, rebase) from
#                      the github.com/pivotal/kpack module, in a scratch module under the cache, never the project's
#                      go.mod (hack/kpack/build-kpack.sh, ~10 min cold)          -> $KPACK_DIR/v<v>/bin
#   2. git over TLS    goldenpath contracts take https:// or ssh:// git URLs only, the git server of hack/git/setup.sh
#                      speaks plain HTTP: a TLS front (socat) on the kind network's gateway, with a certificate (under
#                      $KPACK_DIR/git-tls) signed by the test enterprise CA (hack/lib.sh enterprise_ca), which kpack trusts
#   3. images          each binary alone in an image at /cnb/process/<name>, user 65532 (hack/kpack/Dockerfile.component),
#                      CA bundle = the host's + the enterprise CA, pushed to the registry as goldenpath/kpack/<name>:v<v>
#   3b. build image    kpack's copy of the stack's build image with the enterprise CA in its trust store
#                      (hack/kpack/Dockerfile.build): the build pod's analyze, restore and export steps run the lifecycle
#                      in the builder image kpack makes from it, and talk to the registry with that trust store
#                                                                          -> goldenpath/kpack/build:<suite>
#   4. lifecycle image the CNB lifecycle tarball of hack/setup.sh under /cnb, with the labels kpack reads
#                      (hack/kpack/Dockerfile.lifecycle)                      -> goldenpath/kpack/lifecycle:<lifecycle v>
#   5. (registry name: kpack names every image it writes by the address pods reach the registry at, <gateway>:<port>;
#                      hack/kind/setup.sh has the node's containerd pull that name over plain HTTP too)
#   6. deploy          the module's config/*.yaml (schema.yaml left out, the #@ template values and images substituted;
#                      images pinned by digest) applied server-side; waits for kpack-controller and kpack-webhook
#   7. platform        $KPACK_DIR/platform.yaml from hack/kpack/platform.yaml.in: a goldenpath Platform whose rendered
#                      ClusterStore/ClusterStack/ClusterLifecycle/ClusterBuilder work in this cluster
# One CA: kpack trusts the enterprise CA of hack/lib.sh (a platform team's corporate CA) in every image of its that
# talks TLS: the controller (git source resolution, builder and run image reads), build-init (clone, registry checks),
# completion, rebase, and the stack build image (the lifecycle's registry reads and writes). kpack has no CA setting of
# its own. The tests sign the certificates of the TLS services they start (registry, git) with the same CA
# (GOLDENPATH_TEST_CA, GOLDENPATH_TEST_CA_KEY).
# Every step is keyed by its inputs (hack/lib.sh stamps); a second run with kpack up only checks. Needs the registry,
# the builder and the kind cluster first (and the git server for step 2). Writes the kpack section of env.sh:
#
#   bash hack/setup.sh && bash hack/setup.sh kind git kpack && source /var/cache/goldenpath/env.sh
#   bash hack/kpack/setup.sh --cached     # exit 0 when the kpack binaries (the long step) are cached, else 1
#   bash hack/kpack/setup.sh --teardown   # remove kpack from the cluster (not the images or binaries)
set -euo pipefail
# shellcheck source=hack/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
mode=${1:-}
KPACK_DIR=${GOLDENPATH_CACHE}/kpack
KPACK_BIN=${KPACK_DIR}/v${KPACK_VERSION}/bin
HERE=${GOLDENPATH_ROOT}/hack/kpack
COMPONENTS=(controller webhook build-init build-waiter completion rebase)
export GOWORK=off
# Bump a recipe number when the way a step builds its output changes (its other inputs are hashed).
RECIPE_BIN=1 RECIPE_IMAGES=1 RECIPE_DEPLOY=1 RECIPE_BUILD_IMAGE=1

go_version=$("$GO" env GOVERSION)
bin_key() { stamp_key "kpack-bin-v${RECIPE_BIN}" "$KPACK_VERSION" "$go_version" "${HERE}/build-kpack.sh"; }
[[ $mode != --cached ]] || cache_probe "kpack v${KPACK_VERSION} binaries (${KPACK_BIN})" eval 'stamp_ok kpack-bin "$(bin_key)" && [[ -x ${KPACK_BIN}/controller ]]'

setup_lock
require_docker
require_kind

if [[ $mode == --teardown ]]; then
  [[ -f ${KPACK_DIR}/deploy/kpack.yaml ]] || die "nothing to remove (no ${KPACK_DIR}/deploy/kpack.yaml)"
  "${KUBECTL[@]}" delete --ignore-not-found -f "${KPACK_DIR}/deploy/lifecycle.yaml" -f "${KPACK_DIR}/deploy/kpack.yaml" >&2 || true
  rm -f "${GOLDENPATH_CACHE}/stamps/kpack-deploy"
  env_remove kpack
  exit 0
fi

REGISTRY=$(registry_addr)                        # where the host pushes: 127.0.0.1:PORT
REGISTRY_CLUSTER=${GOLDENPATH_KIND_REGISTRY_GATEWAY} # where pods reach it: <gateway>:PORT
[[ ${REGISTRY_CLUSTER##*:} == "${REGISTRY##*:}" ]] || die "kind env names ${REGISTRY_CLUSTER}, registry is ${REGISTRY}: re-run hack/setup.sh kind"
REPO=goldenpath/kpack
LIFECYCLE_REPO=${REPO}/lifecycle

# --- 1. binaries ------------------------------------------------------------------------------------------------
binaries() {
  compile kpack-bin "$(bin_key)" "$KPACK_BIN" "kpack v${KPACK_VERSION} from its Go module (cold: ~10 min on 2 cores)" \
    bash "${HERE}/build-kpack.sh" "${KPACK_DIR}/v${KPACK_VERSION}/src" "${KPACK_BIN}.tmp" "$KPACK_VERSION"
}

# --- 2. git over TLS --------------------------------------------------------------------------------------------
# A request's spec.source.git.url must be https:// or ssh:// (contract validation refuses plain http). Pods reach the
# host's git server (http://127.0.0.1:PORT) through a TLS front on the kind network's gateway; its certificate is
# signed by the enterprise CA, which the kpack images (controller: source resolution, build-init: clone) trust.
# (Before: a CA of its own, git-tls/ca.crt; a certificate it signed is re-made.)
GIT_TLS_DIR=${KPACK_DIR}/git-tls
GIT_TLS_PORT=${GIT_TLS_PORT:-9443}
GIT_URL_CLUSTER_TLS=""
git_ca() {
  local gw=${REGISTRY_CLUSTER%:*} want
  enterprise_ca
  mkdir -p "$GIT_TLS_DIR"
  rm -f "${GIT_TLS_DIR}/ca.crt" "${GIT_TLS_DIR}/ca.key" "${GIT_TLS_DIR}/ca.srl"
  # (server.ip: the gateway and the CA's fingerprint the certificate was made for)
  want="${gw} $(openssl x509 -noout -fingerprint -sha256 -in "${ENTERPRISE_CA_DIR}/ca.crt" | cut -d= -f2)"
  if [[ ! -f ${GIT_TLS_DIR}/server.pem || $(cat "${GIT_TLS_DIR}/server.ip" 2>/dev/null) != "$want" ]]; then
    openssl req -newkey rsa:2048 -nodes -subj "/CN=${gw}" -keyout "${GIT_TLS_DIR}/server.key" \
      -out "${GIT_TLS_DIR}/server.csr" >/dev/null 2>&1
    openssl x509 -req -in "${GIT_TLS_DIR}/server.csr" -CA "${ENTERPRISE_CA_DIR}/ca.crt" -CAkey "${ENTERPRISE_CA_DIR}/ca.key" \
      -set_serial "0x$(openssl rand -hex 16)" -days 3650 \
      -extfile <(printf 'subjectAltName=IP:%s,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n' "$gw") \
      -out "${GIT_TLS_DIR}/server.crt" >/dev/null 2>&1
    cat "${GIT_TLS_DIR}/server.crt" "${GIT_TLS_DIR}/server.key" >"${GIT_TLS_DIR}/server.pem"
    echo "$want" >"${GIT_TLS_DIR}/server.ip"
    # a running front serves the old certificate: the next git_tls_front starts it again
    forwarder_stop kpack-git-tls
  fi
}
git_tls_front() {
  local gw=${REGISTRY_CLUSTER%:*} target
  if [[ -z ${GOLDENPATH_GIT_URL:-} ]]; then
    warn "no git server (run hack/setup.sh git, then this again)"
    return 0
  fi
  target=${GOLDENPATH_GIT_URL#http://}
  target=${target%%/*}
  forwarder kpack-git-tls "OPENSSL-LISTEN:${GIT_TLS_PORT},bind=${gw},reuseaddr,fork,verify=0,cert=${GIT_TLS_DIR}/server.pem" "TCP:${target}"
  wait_for 60 "the git TLS front on ${gw}:${GIT_TLS_PORT}" curl -sS --cacert "${ENTERPRISE_CA_DIR}/ca.crt" -o /dev/null "https://${gw}:${GIT_TLS_PORT}/"
  GIT_URL_CLUSTER_TLS=https://${gw}:${GIT_TLS_PORT}
}

# --- 3. component images ----------------------------------------------------------------------------------------
declare -A DIGEST
component_images() {
  local key ctx name ref
  key=$(stamp_key "kpack-images-v${RECIPE_IMAGES}" "$(cat "${GOLDENPATH_CACHE}/stamps/kpack-bin")" \
    "${HERE}/Dockerfile.component" "${HERE}/rootfs" /etc/ssl/certs/ca-certificates.crt "${ENTERPRISE_CA_DIR}/ca.crt" "$REGISTRY")
  if stamp_ok kpack-images "$key"; then
    for name in "${COMPONENTS[@]}"; do
      DIGEST[$name]=$(remote_digest "${REGISTRY}/${REPO}/${name}:v${KPACK_VERSION}")
      [[ -n ${DIGEST[$name]} ]] || break
    done
    [[ -n ${DIGEST[rebase]:-} ]] && return 0
    log "the registry lost a kpack image: rebuilding them"
  fi
  ctx=$(mktemp -d)
  cp -r "${HERE}/rootfs" "${ctx}/rootfs"
  mkdir -m 1777 "${ctx}/rootfs/tmp"
  cat /etc/ssl/certs/ca-certificates.crt "${ENTERPRISE_CA_DIR}/ca.crt" >"${ctx}/ca-certificates.crt"
  for name in "${COMPONENTS[@]}"; do
    cp "${KPACK_BIN}/${name}" "${ctx}/"
    sed -e "s|@NAME@|${name}|g" -e "s|@VERSION@|${KPACK_VERSION}|g" "${HERE}/Dockerfile.component" >"${ctx}/Dockerfile.${name}"
    DOCKER_BUILDKIT=1 logged "kpack-image-${name}" "$DOCKER" build -t "goldenpath/kpack-${name}:v${KPACK_VERSION}" \
      -f "${ctx}/Dockerfile.${name}" "$ctx"
    ref=$(push_image "goldenpath/kpack-${name}:v${KPACK_VERSION}" "${REGISTRY}/${REPO}/${name}:v${KPACK_VERSION}")
    DIGEST[$name]=${ref##*@}
  done
  rm -rf "$ctx"
  stamp_write kpack-images "$key"
}

# --- 4. lifecycle image -----------------------------------------------------------------------------------------
LIFECYCLE_IMAGE=""
lifecycle_image() {
  local key ctx ref meta apis
  [[ -f $LIFECYCLE_TGZ ]] || die "no lifecycle tarball ${LIFECYCLE_TGZ}: run hack/setup.sh first"
  ref=${REGISTRY}/${LIFECYCLE_REPO}:${LIFECYCLE_VERSION}
  key=$(stamp_key "kpack-lifecycle-v${RECIPE_IMAGES}" "$LIFECYCLE_TGZ" "${HERE}/Dockerfile.lifecycle" "$REGISTRY")
  if stamp_ok kpack-lifecycle "$key"; then
    DIGEST[lifecycle]=$(remote_digest "$ref")
  fi
  if [[ -z ${DIGEST[lifecycle]:-} ]]; then
    ctx=$(mktemp -d)
    cp "$LIFECYCLE_TGZ" "${ctx}/lifecycle.tgz"
    cp "${HERE}/Dockerfile.lifecycle" "${ctx}/Dockerfile"
    tar -xzOf "$LIFECYCLE_TGZ" lifecycle.toml >"${ctx}/lifecycle.toml"
    # io.buildpacks.builder.metadata: {"lifecycle":{"version"},"api":{...},"apis":{...}} as pack writes it;
    # io.buildpacks.lifecycle.apis: the "apis" table alone.
    meta=$(python3 -c 'import json, sys, tomllib
d = tomllib.load(open(sys.argv[1], "rb"))
print(json.dumps({"lifecycle": {"version": d["lifecycle"]["version"]}, "api": d["api"], "apis": d["apis"]}, separators=(",", ":")))' "${ctx}/lifecycle.toml")
    apis=$(python3 -c 'import json, sys, tomllib
print(json.dumps(tomllib.load(open(sys.argv[1], "rb"))["apis"], separators=(",", ":")))' "${ctx}/lifecycle.toml")
    DOCKER_BUILDKIT=1 logged kpack-lifecycle "$DOCKER" build -t "goldenpath/kpack-lifecycle:${LIFECYCLE_VERSION}" \
      --build-arg "BUILDER_METADATA=${meta}" --build-arg "LIFECYCLE_APIS=${apis}" --build-arg "VERSION=${LIFECYCLE_VERSION}" "$ctx"
    rm -rf "$ctx"
    ref=$(push_image "goldenpath/kpack-lifecycle:${LIFECYCLE_VERSION}" "$ref")
    DIGEST[lifecycle]=${ref##*@}
    stamp_write kpack-lifecycle "$key"
  fi
  LIFECYCLE_IMAGE=${REGISTRY_CLUSTER}/${LIFECYCLE_REPO}:${LIFECYCLE_VERSION}
}

# --- 3b. build image --------------------------------------------------------------------------------------------
# kpack's ClusterStack builds on a copy of the build image of hack/setup-builder.sh with the enterprise CA added to
# its trust store (update-ca-certificates): kpack makes the builder image from it, and the build pod's analyze,
# restore and export steps run the lifecycle from that image with nothing else to trust a registry by (their
# environment is kpack's, not the Image's spec.build.env). What a platform team does with its corporate CA: bake it
# into the stack images its builders use. The pack path's goldenpath/build is left as it is.
BUILD_REPO=${REPO}/build
KPACK_BUILD_IMAGE=""
kpack_build_image() {
  local key local_ref=goldenpath/kpack-build:${DEBIAN_SUITE} ref=${REGISTRY}/${BUILD_REPO}:${DEBIAN_SUITE} ctx
  [[ -n $(image_id "$BUILD_IMAGE") ]] || die "no local ${BUILD_IMAGE}: run hack/setup.sh first"
  key=$(stamp_key "kpack-build-image-v${RECIPE_BUILD_IMAGE}" "$(image_id "$BUILD_IMAGE")" "${HERE}/Dockerfile.build" \
    "${ENTERPRISE_CA_DIR}/ca.crt")
  if ! image_fresh kpack-build-image "$key" "$local_ref"; then
    ctx=$(mktemp -d)
    cp "${HERE}/Dockerfile.build" "${ctx}/Dockerfile"
    cp "${ENTERPRISE_CA_DIR}/ca.crt" "${ctx}/goldenpath-enterprise-ca.crt"
    local user
    user=$("$DOCKER" image inspect -f '{{.Config.User}}' "$BUILD_IMAGE")
    [[ -n $user ]] || die "${BUILD_IMAGE} names no user: a stack's build image runs as CNB_USER_ID"
    build_image kpack-build-image "$local_ref" "$ctx" "$key" --build-arg "BASE=${BUILD_IMAGE}" --build-arg "BASE_USER=${user}"
  fi
  push_image "$local_ref" "$ref" >/dev/null
  KPACK_BUILD_IMAGE=${REGISTRY_CLUSTER}/${BUILD_REPO}:${DEBIAN_SUITE}
}

# --- 4b. run image ----------------------------------------------------------------------------------------------
# kpack's stack runs apps on a copy of the run image of hack/setup.sh, goldenpath/kpack/run, so that patching it to test
# rebases (the in-cluster scenario, go test -tags incluster) changes nothing for other users of goldenpath/run. Pushed
# when missing only: a patched copy stays patched until pushed again (crane copy from goldenpath/run).
RUN_REPO=${REPO}/run
run_image() {
  local ref=${REGISTRY}/${RUN_REPO}:${DEBIAN_SUITE}
  [[ -n $(remote_digest "$ref") ]] || push_image "$RUN_IMAGE" "$ref" >/dev/null
  KPACK_RUN_IMAGE=${REGISTRY_CLUSTER}/${RUN_REPO}:${DEBIAN_SUITE}
}

# --- 6. deploy --------------------------------------------------------------------------------------------------
kpack_src() { (cd "${KPACK_DIR}/v${KPACK_VERSION}/src" 2>/dev/null || cd /; GOFLAGS=-mod=mod "$GO" mod download -json "github.com/pivotal/kpack@v${KPACK_VERSION}" | jq -er '.Dir // error(.Error)'); }

# image NAME: the image reference of a component, pinned by digest (containerd pulls it through 127.0.0.1:PORT).
image() { echo "${REGISTRY}/${REPO}/$1:v${KPACK_VERSION}@${DIGEST[$1]}"; }

write_manifests() {
  local src f out=${KPACK_DIR}/deploy
  src=$(kpack_src)
  mkdir -p "$out"
  {
    echo "# Written by hack/kpack/setup.sh from github.com/pivotal/kpack@v${KPACK_VERSION}/config (schema.yaml and the"
    echo "# default ClusterLifecycle left out, template values substituted)."
    for f in "${src}"/config/*.yaml; do
      case $(basename "$f") in schema.yaml | default_clusterlifecycle.yaml) continue ;; esac
      echo "---"
      echo "# source: config/$(basename "$f")"
      sed -e '/^#@ load/d' \
        -e "s|#@ data.values.kpack_version|\"${KPACK_VERSION}\"|" \
        -e "s|#@ data.values.controller.image|$(image controller)|" \
        -e "s|#@ data.values.webhook.image|$(image webhook)|" \
        -e "s|#@ data.values.build_init.image|$(image build-init)|" \
        -e "s|#@ data.values.build_waiter.image|$(image build-waiter)|" \
        -e "s|#@ data.values.rebase.image|$(image rebase)|" \
        -e "s|#@ data.values.completion.image|$(image completion)|" \
        "$f"
      echo # (some files lack the final newline)
    done
  } >"${out}/kpack.yaml.tmp"
  ! grep -nE '#@|ko://' "${out}/kpack.yaml.tmp" || die "template values left in ${out}/kpack.yaml.tmp"
  mv "${out}/kpack.yaml.tmp" "${out}/kpack.yaml"
  # The ClusterLifecycle Builders use when they name none, applied once the CRDs and the webhook are up.
  sed -e '/^#@ load/d' -e "s|#@ data.values.lifecycle.image|${LIFECYCLE_IMAGE}@${DIGEST[lifecycle]}|" \
    "${src}/config/default_clusterlifecycle.yaml" >"${out}/lifecycle.yaml"
}

kpack_ready() {
  "${KUBECTL[@]}" -n kpack get deployment kpack-controller kpack-webhook \
    -o jsonpath='{range .items[*]}{.status.readyReplicas}/{.status.updatedReplicas}/{.spec.replicas} {end}' 2>/dev/null |
    grep -qxE '(1/1/1 ?){2}' &&
    [[ $("${KUBECTL[@]}" get clusterlifecycle default-lifecycle -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}' 2>/dev/null) == True ]]
}

deploy() {
  local key
  write_manifests
  key=$(stamp_key "kpack-deploy-v${RECIPE_DEPLOY}" "${KPACK_DIR}/deploy" "$GOLDENPATH_KUBECONFIG")
  if stamp_ok kpack-deploy "$key" && kpack_ready; then
    log "kpack v${KPACK_VERSION} is up"
    return 0
  fi
  logged kpack-apply "${KUBECTL[@]}" apply --server-side --force-conflicts --field-manager goldenpath-setup -f "${KPACK_DIR}/deploy/kpack.yaml"
  local crds
  mapfile -t crds < <("${KUBECTL[@]}" get crd -o name | grep -E '\.kpack\.io$')
  "${KUBECTL[@]}" wait --for condition=Established --timeout 300s "${crds[@]}" >/dev/null
  "${KUBECTL[@]}" -n kpack rollout status deployment kpack-webhook --timeout 600s >&2
  "${KUBECTL[@]}" -n kpack rollout status deployment kpack-controller --timeout 600s >&2
  # The webhook makes its certificates and patches its webhook configurations when it starts: retry until it admits.
  local i
  for ((i = 0; i < 150; i++)); do
    "${KUBECTL[@]}" apply --server-side --force-conflicts --field-manager goldenpath-setup -f "${KPACK_DIR}/deploy/lifecycle.yaml" \
      >"${GOLDENPATH_CACHE}/logs/kpack-apply-lifecycle.log" 2>&1 && break
    sleep 2
  done
  [[ $i -lt 150 ]] || die "the default ClusterLifecycle was not admitted: $(tail -n 3 "${GOLDENPATH_CACHE}/logs/kpack-apply-lifecycle.log")"
  "${KUBECTL[@]}" wait --for condition=Ready --timeout 300s clusterlifecycle default-lifecycle >&2 ||
    die "ClusterLifecycle default-lifecycle is not Ready: $("${KUBECTL[@]}" get clusterlifecycle default-lifecycle -o jsonpath='{.status.conditions}')"
  kpack_ready || die "kpack is not ready: $("${KUBECTL[@]}" -n kpack get pods 2>&1)"
  stamp_write kpack-deploy "$key"
}

# --- 7. platform file -------------------------------------------------------------------------------------------
write_platform() {
  local gitops="https://github.com/goldenpath-dev/gitops"
  if [[ -n ${GOLDENPATH_GIT_URL:-} ]]; then gitops=${GOLDENPATH_GIT_URL_CLUSTER:-${GOLDENPATH_GIT_URL}}/gitops.git; fi
  sed -e "s|@REGISTRY@|${REGISTRY_CLUSTER}|g" -e "s|@LIFECYCLE_IMAGE@|${LIFECYCLE_IMAGE}|g" \
    -e "s|@RUN_IMAGE@|${KPACK_RUN_IMAGE}|g" -e "s|@BUILD_IMAGE@|${KPACK_BUILD_IMAGE}|g" -e "s|@GITOPS_URL@|${gitops}|g" \
    "${HERE}/platform.yaml.in" >"${KPACK_DIR}/platform.yaml.tmp"
  mv "${KPACK_DIR}/platform.yaml.tmp" "${KPACK_DIR}/platform.yaml"
}

write_env() {
  env_write kpack <<EOF
# kpack (hack/kpack/setup.sh): kpack v${KPACK_VERSION} in the kind cluster ${GOLDENPATH_KIND_CLUSTER}.
export GOLDENPATH_KPACK_VERSION=${KPACK_VERSION}
export GOLDENPATH_KPACK_NAMESPACE=kpack
export GOLDENPATH_KPACK_PLATFORM=${KPACK_DIR}/platform.yaml
export GOLDENPATH_KPACK_MANIFESTS=${KPACK_DIR}/deploy/kpack.yaml
export GOLDENPATH_KPACK_LIFECYCLE_IMAGE=${LIFECYCLE_IMAGE}@${DIGEST[lifecycle]}
export GOLDENPATH_REGISTRY_CLUSTER=${REGISTRY_CLUSTER}
export GOLDENPATH_KPACK_GIT_URL_CLUSTER=${GIT_URL_CLUSTER_TLS}
export GOLDENPATH_KPACK_GIT_CA=${ENTERPRISE_CA_DIR}/ca.crt
export GOLDENPATH_KPACK_BUILD_IMAGE=${KPACK_BUILD_IMAGE}
# the test enterprise CA kpack trusts (hack/lib.sh enterprise_ca): tests sign their TLS services' certificates with it
export GOLDENPATH_TEST_CA=${ENTERPRISE_CA_DIR}/ca.crt
export GOLDENPATH_TEST_CA_KEY=${ENTERPRISE_CA_DIR}/ca.key
export GOLDENPATH_KPACK_RUN_IMAGE=${KPACK_RUN_IMAGE}
export GOLDENPATH_KPACK_RUN_IMAGE_HOST=${REGISTRY}/${RUN_REPO}:${DEBIAN_SUITE}
EOF
}

total_start=$(date +%s.%N)
timed "kpack: v${KPACK_VERSION} binaries" binaries
git_ca
timed "kpack: git TLS front" git_tls_front
timed "kpack: component images" component_images
timed "kpack: build image" kpack_build_image
timed "kpack: lifecycle image" lifecycle_image
timed "kpack: run image" run_image
timed "kpack: deploy" deploy
write_platform
write_env
log "kpack: total $(elapsed "$total_start")s"
