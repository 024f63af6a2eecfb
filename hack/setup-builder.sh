#!/usr/bin/env bash
# setup-builder.sh: everything the Cloud Native Buildpacks side needs, made locally without pulling any image:
#   1. Debian base image      debootstrap --variant=minbase, docker import        -> goldenpath/debian:bookworm
#   2. build and run images   examples/builder/images/{build,run}/Dockerfile       -> goldenpath/{build,run}:bookworm
#   3. lifecycle tarball      built from the github.com/buildpacks/lifecycle module -> $LIFECYCLE_TGZ
#   4. pack CLI               built from the github.com/buildpacks/pack module      -> $PACK_BIN
#   5. builder                pack builder create from examples/builder/builder.toml -> goldenpath/builder:bookworm
#   6. push                   run, build and builder images to the local registry    -> <registry>/goldenpath/...
#                             (run and build first: the builder names the registry run image as a mirror)
# Every step is keyed by its inputs (stamps under $GOLDENPATH_CACHE/stamps) and skipped when nothing changed; a stamp
# is written only after its step succeeded, so an interrupted step is simply redone.
# Needs the Docker engine and the registry first (hack/setup.sh runs docker, registry and this).
#
# The image names can be overridden, to make a second builder beside the default one (for example while developing
# buildpacks, without moving the shared tags):
#   GOLDENPATH_BUILD_IMAGE=buildpacks/build:bookworm GOLDENPATH_RUN_IMAGE=buildpacks/run:bookworm \
#   GOLDENPATH_BUILDER=buildpacks/builder:bookworm bash hack/setup-builder.sh
# Each is pushed to <registry>/<name>; stamps and the staged builder.toml are kept per builder name.
set -euo pipefail
# shellcheck source=hack/lib.sh source-path=SCRIPTDIR
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
setup_lock
require_docker

GO=$(command -v go || echo /usr/local/go/bin/go)
# Build the tools as their own main modules, whatever the caller's Go settings.
export GOWORK=off GOFLAGS="-buildvcs=false -mod=readonly"
[[ -x $GO ]] || die "no Go toolchain (looked on PATH and at /usr/local/go/bin/go)"
REGISTRY=$(registry_addr)
EXAMPLES=${GOLDENPATH_ROOT}/examples/builder
ROOTFS_TAR=${GOLDENPATH_CACHE}/debian/${DEBIAN_SUITE}-minbase.tar
BUILD_IMAGE=${GOLDENPATH_BUILD_IMAGE:-$BUILD_IMAGE}
RUN_IMAGE=${GOLDENPATH_RUN_IMAGE:-$RUN_IMAGE}
BUILDER_IMAGE=${GOLDENPATH_BUILDER:-$BUILDER_IMAGE}
# Stamps and stage of the default builder keep their names; another builder gets its own (suffix from its name).
SUFFIX=""
[[ $BUILDER_IMAGE == "goldenpath/builder:${DEBIAN_SUITE}" ]] || SUFFIX=-$(printf '%s' "$BUILDER_IMAGE" | tr -c 'a-zA-Z0-9' '-')
STAGE=${GOLDENPATH_CACHE}/builder/stage${SUFFIX}
# Bump a recipe number when the way a step builds its output changes (its other inputs are hashed).
RECIPE_ROOTFS=2 RECIPE_IMAGES=1 RECIPE_LIFECYCLE=2 RECIPE_PACK=1 RECIPE_BUILDER=2

# go_module_dir MODULE@VERSION: download the module (Go module proxy) and print its directory in the module cache.
go_module_dir() {
  (cd / && GOFLAGS=-mod=mod "$GO" mod download -json "$1") | jq -er '.Dir // error(.Error)'
}

# --- 1. Debian base image -----------------------------------------------------------------------------------------
base_image() {
  local key
  key=$(stamp_key "rootfs-v${RECIPE_ROOTFS}" "$DEBIAN_SUITE" "$DEBIAN_MIRROR" "$DEBIAN_SECURITY_MIRROR" \
    "$(dpkg-query -W -f='${Version}' debootstrap)")
  if ! stamp_ok rootfs "$key" || [[ ! -f $ROOTFS_TAR ]]; then
    local dir=${GOLDENPATH_CACHE}/debian/${DEBIAN_SUITE}-rootfs
    rm -rf "$dir"
    mkdir -p "$dir"
    log "debootstrap --variant=minbase ${DEBIAN_SUITE}"
    logged debootstrap debootstrap --variant=minbase "$DEBIAN_SUITE" "$dir" "$DEBIAN_MIRROR"
    cat >"${dir}/etc/apt/sources.list" <<EOF
deb ${DEBIAN_MIRROR} ${DEBIAN_SUITE} main
deb ${DEBIAN_MIRROR} ${DEBIAN_SUITE}-updates main
deb ${DEBIAN_SECURITY_MIRROR} ${DEBIAN_SUITE}-security main
EOF
    # Small and container-friendly: no package lists or .debs, no man pages or translations for later installs.
    rm -rf "${dir}"/var/lib/apt/lists/* "${dir}"/var/cache/apt/*.bin "${dir}"/var/cache/apt/archives/*.deb \
      "${dir}"/var/log/* "${dir}"/tmp/*
    printf 'path-exclude /usr/share/doc/*\npath-include /usr/share/doc/*/copyright\npath-exclude /usr/share/man/*\npath-exclude /usr/share/locale/*\n' \
      >"${dir}/etc/dpkg/dpkg.cfg.d/01-goldenpath-nodoc"
    printf 'APT::Install-Recommends "false";\nAPT::Install-Suggests "false";\n' >"${dir}/etc/apt/apt.conf.d/01-goldenpath"
    # No fsync per unpacked file: image builds are thrown away on failure anyway (as in Debian's Docker images).
    echo force-unsafe-io >"${dir}/etc/dpkg/dpkg.cfg.d/01-goldenpath-unsafe-io"
    mkdir -p "$(dirname "$ROOTFS_TAR")"
    tar --numeric-owner --sort=name -C "$dir" -cf "${ROOTFS_TAR}.tmp" .
    mv "${ROOTFS_TAR}.tmp" "$ROOTFS_TAR"
    rm -rf "$dir"
    stamp_write rootfs "$key"
  fi
  key=$(stamp_key "$key" "$(stat -c '%s %Y' "$ROOTFS_TAR")")
  if ! image_fresh base-image "$key" "$BASE_IMAGE"; then
    "$DOCKER" import --change 'CMD ["/bin/bash"]' "$ROOTFS_TAR" "$BASE_IMAGE" >/dev/null
    image_stamp base-image "$key" "$BASE_IMAGE"
  fi
  log "base image ${BASE_IMAGE} = $(image_id "$BASE_IMAGE")"
}

# --- 2. build and run images --------------------------------------------------------------------------------------
# stack_image KIND REF: docker build examples/builder/images/KIND into REF.
stack_image() {
  local kind=$1 ref=$2 key
  key=$(stamp_key "images-v${RECIPE_IMAGES}" "$(image_id "$BASE_IMAGE")" "$STACK_ID" "${EXAMPLES}/images/${kind}" "$ref")
  if ! image_fresh "${kind}-image${SUFFIX}" "$key" "$ref"; then
    log "docker build ${ref}"
    local old
    old=$(image_id "$ref")
    DOCKER_BUILDKIT=1 logged "${kind}-image" "$DOCKER" build --network host \
      --build-arg "BASE_IMAGE=${BASE_IMAGE}" --build-arg "STACK_ID=${STACK_ID}" --build-arg "BASE_ID=${ref}" \
      -t "$ref" "${EXAMPLES}/images/${kind}"
    remove_if_untagged "$old"
    image_stamp "${kind}-image${SUFFIX}" "$key" "$ref"
  fi
  log "${kind} image ${ref} = $(image_id "$ref")"
}

# --- 3. lifecycle -------------------------------------------------------------------------------------------------
# go_binary_sbom NAME VERSION BINARY: a CycloneDX SBOM of a Go binary (its module dependencies, from go version -m).
go_binary_sbom() {
  "$GO" version -m "$3" | jq -R -s --arg name "$1" --arg version "$2" '
    [split("\n")[] | split("\t") | select(.[1] == "dep") | {type: "library", name: .[2], version: .[3],
      purl: "pkg:golang/\(.[2])@\(.[3])"}] as $deps
    | {bomFormat: "CycloneDX", specVersion: "1.4", version: 1,
       metadata: {component: {type: "application", name: $name, version: $version}}, components: $deps}'
}

lifecycle() {
  local key
  key=$(stamp_key "lifecycle-v${RECIPE_LIFECYCLE}" "$LIFECYCLE_VERSION" "$("$GO" env GOVERSION)")
  if stamp_ok lifecycle "$key" && [[ -f $LIFECYCLE_TGZ ]]; then
    log "lifecycle ${LIFECYCLE_VERSION}: cached at ${LIFECYCLE_TGZ}"
    return 0
  fi
  local src out bin
  src=$(go_module_dir "github.com/buildpacks/lifecycle@v${LIFECYCLE_VERSION}")
  out=${GOLDENPATH_CACHE}/lifecycle/${LIFECYCLE_VERSION}/build
  rm -rf "$out"
  mkdir -p "${out}/lifecycle"
  log "go build lifecycle ${LIFECYCLE_VERSION} (cmd/lifecycle, cmd/launcher)"
  CGO_ENABLED=0 GOOS=linux GOARCH=amd64 logged lifecycle-build env -C "$src" "$GO" build -trimpath \
    -ldflags "-s -w -X github.com/buildpacks/lifecycle/cmd.Version=${LIFECYCLE_VERSION}" \
    -o "${out}/lifecycle/" ./cmd/lifecycle ./cmd/launcher
  for bin in detector analyzer restorer builder exporter rebaser creator extender; do
    ln -sf lifecycle "${out}/lifecycle/${bin}"
  done
  # The exporter adds these to every app image's SBOM layer (it warns when they are missing).
  for bin in lifecycle launcher; do
    go_binary_sbom "$bin" "$LIFECYCLE_VERSION" "${out}/lifecycle/${bin}" >"${out}/lifecycle/${bin}.sbom.cdx.json"
  done
  logged lifecycle-package env -C "$src" "$GO" run ./tools/packager -inputDir "${out}/lifecycle" \
    -archivePath "$LIFECYCLE_TGZ" -descriptorPath "${src}/lifecycle.toml" -version "$LIFECYCLE_VERSION"
  rm -rf "$out"
  stamp_write lifecycle "$key"
  log "lifecycle ${LIFECYCLE_VERSION}: ${LIFECYCLE_TGZ}"
}

# --- 4. pack CLI --------------------------------------------------------------------------------------------------
pack_cli() {
  local key
  key=$(stamp_key "pack-v${RECIPE_PACK}" "$PACK_VERSION" "$("$GO" env GOVERSION)")
  if stamp_ok pack "$key" && [[ -x $PACK_BIN ]]; then
    log "pack ${PACK_VERSION}: cached at ${PACK_BIN}"
    return 0
  fi
  local src
  src=$(go_module_dir "github.com/buildpacks/pack@v${PACK_VERSION}")
  mkdir -p "$(dirname "$PACK_BIN")"
  log "go build pack ${PACK_VERSION}"
  CGO_ENABLED=0 logged pack-build env -C "$src" "$GO" build -trimpath \
    -ldflags "-s -w -X github.com/buildpacks/pack/pkg/client.Version=${PACK_VERSION}" -o "$PACK_BIN" .
  stamp_write pack "$key"
  log "pack ${PACK_VERSION}: ${PACK_BIN} ($("$PACK_BIN" version))"
}

# --- 5. builder ---------------------------------------------------------------------------------------------------
# Stage builder.toml, the buildpacks and the lifecycle tarball side by side: builder.toml names the lifecycle by the
# relative uri "lifecycle.tgz", the registry by the placeholder @REGISTRY@ (run image mirror) and the images by
# @BUILD_IMAGE@ and @RUN_IMAGE@. The buildpacks' shared helpers (examples/builder/lib/buildpack.sh) are copied into
# each buildpack's bin/.
stage_builder() {
  local bp
  rm -rf "$STAGE"
  mkdir -p "$STAGE"
  cp -r "${EXAMPLES}/buildpacks" "$STAGE/"
  for bp in "${STAGE}"/buildpacks/*/; do
    cp "${EXAMPLES}/lib/buildpack.sh" "${bp}bin/buildpack.sh"
  done
  cp "$LIFECYCLE_TGZ" "${STAGE}/lifecycle.tgz"
  sed -e "s|@REGISTRY@|${REGISTRY}|g" -e "s|@BUILD_IMAGE@|${BUILD_IMAGE}|g" -e "s|@RUN_IMAGE@|${RUN_IMAGE}|g" \
    "${EXAMPLES}/builder.toml" >"${STAGE}/builder.toml"
}

builder() {
  local api key
  api=$(daemon_api_pin)
  key=$(stamp_key "builder-v${RECIPE_BUILDER}" "$(image_id "$BUILD_IMAGE")" "$(image_id "$RUN_IMAGE")" \
    "$LIFECYCLE_TGZ" "$PACK_VERSION" "$REGISTRY" "$api" "${EXAMPLES}/builder.toml" "${EXAMPLES}/buildpacks" \
    "${EXAMPLES}/lib" "$BUILD_IMAGE" "$RUN_IMAGE")
  if image_fresh "builder-image${SUFFIX}" "$key" "$BUILDER_IMAGE" && [[ -f ${STAGE}/builder.toml ]]; then
    log "builder ${BUILDER_IMAGE} up to date"
    return 0
  fi
  stage_builder
  log "pack builder create ${BUILDER_IMAGE}"
  DOCKER_API_VERSION=${api:-${DOCKER_API_VERSION:-}} logged builder-create "$PACK_BIN" builder create "$BUILDER_IMAGE" --config "${STAGE}/builder.toml" --pull-policy never
  if [[ -n $api ]]; then
    log "daemon API ${api} < 1.44: adding ENV DOCKER_API_VERSION=${api} to the builder"
    local plain
    plain=$(image_id "$BUILDER_IMAGE")
    printf 'FROM %s\nENV DOCKER_API_VERSION=%s\n' "$BUILDER_IMAGE" "$api" |
      DOCKER_BUILDKIT=1 logged builder-env "$DOCKER" build -t "$BUILDER_IMAGE" -
    remove_if_untagged "$plain"
  fi
  image_stamp "builder-image${SUFFIX}" "$key" "$BUILDER_IMAGE"
  log "builder ${BUILDER_IMAGE} = $(image_id "$BUILDER_IMAGE")"
}

# --- 6. push to the local registry --------------------------------------------------------------------------------
# remote_config_digest REF: the config digest (= docker image ID) of REF in the registry, or nothing.
remote_config_digest() {
  local repo=${1#*/} tag
  tag=${repo##*:}
  repo=${repo%:*}
  curl -fsS --max-time 5 -H 'Accept: application/vnd.docker.distribution.manifest.v2+json' \
    "http://${REGISTRY}/v2/${repo}/manifests/${tag}" 2>/dev/null | jq -r '.config.digest // empty' || true
}

push() {
  local src=$1 dst=${REGISTRY}/$1
  if [[ $(remote_config_digest "$dst") == "$(image_id "$src")" ]]; then
    log "${dst}: up to date"
    return 0
  fi
  "$DOCKER" tag "$src" "$dst"
  logged push "$DOCKER" push "$dst"
  log "pushed ${dst}"
}
push_images() {
  local ref
  for ref in "$@"; do push "$ref"; done
}

timed "builder: packages" apt_install debootstrap jq curl
timed "builder: base image" base_image
timed "builder: build image" stack_image build "$BUILD_IMAGE"
timed "builder: run image" stack_image run "$RUN_IMAGE"
timed "builder: push run and build images" push_images "$RUN_IMAGE" "$BUILD_IMAGE"
timed "builder: lifecycle" lifecycle
timed "builder: pack" pack_cli
timed "builder: builder image" builder
timed "builder: push builder" push_images "$BUILDER_IMAGE"
