#!/usr/bin/env bash
# setup.sh: the whole offline build infrastructure, in order: Docker engine, local registry, CNB builder.
# Idempotent and version-keyed: a second run only checks (seconds). Prints the environment for tests and writes it
# to $GOLDENPATH_CACHE/env.sh:
#
#   bash hack/setup.sh && source /var/cache/goldenpath/env.sh
set -euo pipefail
# shellcheck source=hack/lib.sh source-path=SCRIPTDIR
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
setup_lock

total_start=$(date +%s.%N)
HACK=${GOLDENPATH_ROOT}/hack

timed "setup: docker" bash "${HACK}/setup-docker.sh"
timed "setup: registry" bash "${HACK}/setup-registry.sh" >/dev/null
timed "setup: builder" bash "${HACK}/setup-builder.sh"

REGISTRY=$(registry_addr)
ENV_FILE=${GOLDENPATH_CACHE}/env.sh
# Docker daemons older than API 1.44 (Debian's 20.10 speaks 1.41): pack's and lifecycle's clients need the pin.
API_PIN=$(daemon_api_pin)
cat >"${ENV_FILE}.tmp" <<EOF
# Written by hack/setup.sh: the goldenpath offline build infrastructure. Source it.
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
mv "${ENV_FILE}.tmp" "$ENV_FILE"

log "setup: total $(elapsed "$total_start")s; environment in ${ENV_FILE}:"
grep '^export ' "$ENV_FILE" | sed 's/^export //'
