#!/usr/bin/env bash
# hack/setup.sh: the host setup of the heavier suites, per component, in order. Each component is hack/<component>/
# setup.sh (the builder: hack/setup-builder.sh), idempotent and cached by version (hack/versions.sh): a second run only
# checks. Every component writes its section of the one environment file, $GOLDENPATH_CACHE/env.sh.
#
#   bash hack/setup.sh                          # tools docker registry builder (the integration tests need these)
#   bash hack/setup.sh kind git kpack argocd    # more components (all: every one, in order)
#   bash hack/setup.sh --cached kind kpack      # exit 0 when every named component's long build is cached, else 1
#   source /var/cache/goldenpath/env.sh
#
# Components: tools (PyYAML and Chromium from Debian, for checks by other parsers and a real browser), docker (Docker engine with the runc wrapper), registry (127.0.0.1:5111), builder (the offline CNB
# builder), kind (an offline Kubernetes cluster), git (a git server for the cluster), kpack, argocd, dagger.
set -euo pipefail
# shellcheck source=hack/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
ALL=(tools docker registry builder kind git kpack argocd dagger)
cached=""
if [[ ${1:-} == --cached ]]; then
  cached=1
  shift
fi
components=("$@")
[[ $# -gt 0 ]] || components=(tools docker registry builder)
[[ ${components[*]} != all ]] || components=("${ALL[@]}")
script() { if [[ $1 == builder ]]; then echo "${GOLDENPATH_ROOT}/hack/setup-builder.sh"; else echo "${GOLDENPATH_ROOT}/hack/$1/setup.sh"; fi; }
for c in "${components[@]}"; do
  [[ " ${ALL[*]} " == *" ${c} "* ]] || die "unknown component '${c}' (components: ${ALL[*]}, or all)"
done

if [[ -n $cached ]]; then
  trap - EXIT
  rc=0
  for c in "${components[@]}"; do
    # (the builder caches its steps but has no --cached verb yet: it counts as cached)
    [[ $c == builder ]] || bash "$(script "$c")" --cached || rc=1
  done
  exit "$rc"
fi

setup_lock
total_start=$(date +%s.%N)
for c in "${components[@]}"; do
  if [[ $c == registry ]]; then
    timed "setup: registry" bash "$(script registry)" >/dev/null
  else
    timed "setup: ${c}" bash "$(script "$c")"
  fi
  [[ $c == builder ]] || continue
  # The builder's section: what the integration tests and pack need. Docker daemons older than API 1.44 (Debian's 20.10
  # speaks 1.41): pack's and lifecycle's clients need the pin.
  REGISTRY=$(registry_addr)
  API_PIN=$(daemon_api_pin)
  env_write build <<EOF
# build (hack/setup.sh): the Docker engine, the registry and the offline CNB builder.
export GOLDENPATH_CACHE=${GOLDENPATH_CACHE}
export DOCKER_HOST=${DOCKER_HOST}
export GOLDENPATH_DOCKER=${DOCKER}
${API_PIN:+export DOCKER_API_VERSION=${API_PIN}}
export GOLDENPATH_REGISTRY=${REGISTRY}
export GOLDENPATH_STACK_ID=${STACK_ID}
export GOLDENPATH_BASE_IMAGE=${BASE_IMAGE}
export GOLDENPATH_BUILD_IMAGE=${BUILD_IMAGE}
export GOLDENPATH_RUN_IMAGE=${RUN_IMAGE}
export GOLDENPATH_BUILDER=${BUILDER_IMAGE}
export GOLDENPATH_BUILD_IMAGE_REMOTE=${REGISTRY}/${BUILD_IMAGE}
export GOLDENPATH_RUN_IMAGE_REMOTE=${REGISTRY}/${RUN_IMAGE}
export GOLDENPATH_BUILDER_REMOTE=${REGISTRY}/${BUILDER_IMAGE}
export GOLDENPATH_BUILDER_TOML=${GOLDENPATH_CACHE}/builder/stage/builder.toml
export GOLDENPATH_LIFECYCLE_VERSION=${LIFECYCLE_VERSION}
export GOLDENPATH_LIFECYCLE_TGZ=${LIFECYCLE_TGZ}
export GOLDENPATH_PACK_VERSION=${PACK_VERSION}
export GOLDENPATH_PACK=${PACK_BIN}
export PACK_HOME=${PACK_HOME}
export PACK_VOLUME_KEY=goldenpath
EOF
done
log "setup (${components[*]}): total $(elapsed "$total_start")s; source ${GOLDENPATH_CACHE}/env.sh"
