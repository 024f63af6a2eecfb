#!/usr/bin/env bash
# patch-run-image.sh: push a "patched" run image under the same tag, for rebase tests. The patch is one extra layer
# on top of the original local run image: /etc/goldenpath-patch (containing PATCH_ID) and the label
# io.goldenpath.patch=PATCH_ID. Each call with a new PATCH_ID gives a new digest. Prints the pushed digest.
#
#   bash hack/patch-run-image.sh [TARGET]            # TARGET default: <registry>/goldenpath/run:bookworm
#   PATCH_ID=cve-1234 bash hack/patch-run-image.sh   # PATCH_ID default: the current time in nanoseconds
#   bash hack/patch-run-image.sh --restore [TARGET]  # push the original run image back under TARGET
#
# Only the registry copy changes; the local goldenpath/run:bookworm stays the original. hack/setup.sh (its push
# step) also restores the original in the registry.
set -euo pipefail
# shellcheck source=hack/lib.sh source-path=SCRIPTDIR
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
require_docker

restore=""
if [[ ${1:-} == --restore ]]; then
  restore=1
  shift
fi
REGISTRY=$(registry_addr)
target=${1:-${REGISTRY}/${RUN_IMAGE}}
[[ -n $(image_id "$RUN_IMAGE") ]] || die "no local ${RUN_IMAGE}: run hack/setup.sh first"

previous=$(image_id "$target")
if [[ -n $restore ]]; then
  "$DOCKER" tag "$RUN_IMAGE" "$target"
else
  patch_id=${PATCH_ID:-$(date +%s%N)}
  ctx=$(mktemp -d)
  printf '%s\n' "$patch_id" >"${ctx}/goldenpath-patch"
  cat >"${ctx}/Dockerfile" <<EOF
FROM ${RUN_IMAGE}
COPY goldenpath-patch /etc/goldenpath-patch
LABEL io.goldenpath.patch=${patch_id}
EOF
  DOCKER_BUILDKIT=1 logged patch-run-image "$DOCKER" build --network host -t "$target" "$ctx"
  rm -rf "$ctx"
fi
logged patch-run-image-push "$DOCKER" push "$target"
remove_if_untagged "$previous"
digest=$("$DOCKER" image inspect -f '{{range .RepoDigests}}{{println .}}{{end}}' "$target" |
  grep -F "${target%:*}@" | head -n1)
log "pushed ${target}${restore:+ (original)}: ${digest}"
echo "${digest#*@}"
