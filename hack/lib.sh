# shellcheck shell=bash disable=SC2034 # the settings are used by the scripts that source this file
# Common settings and helpers for the hack/ setup scripts. Source it, don't run it:
#
#   source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
#
# Everything expensive lives under $GOLDENPATH_CACHE and is guarded by a stamp keyed by its inputs, so a second
# run of any script only checks that things are still there.

# --- settings (override any of them from the environment) --------------------------------------------------------
GOLDENPATH_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
GOLDENPATH_CACHE=${GOLDENPATH_CACHE:-/var/cache/goldenpath}
# shellcheck source=hack/versions.sh
source "${GOLDENPATH_ROOT}/hack/versions.sh"
DEBIAN_MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
DEBIAN_SECURITY_MIRROR=${DEBIAN_SECURITY_MIRROR:-http://deb.debian.org/debian-security}
# REGISTRY_PORT: when set by the caller it is required; otherwise 5111, or the next free port after it.
REGISTRY_PORT_DEFAULT=5111
GO=$(command -v go || echo /usr/local/go/bin/go)

# The Debian 20.10 client. /usr/local/bin/docker (28.x, no buildx) may come first on PATH: never use that one.
DOCKER=/usr/bin/docker
DOCKER_SOCK=${GOLDENPATH_DOCKER_SOCK:-/var/run/docker.sock}
export DOCKER_HOST=unix://${DOCKER_SOCK}
RUNC_WRAPPER_NAME=goldenpath-runc

# Image names (local daemon). The same images are pushed to the local registry under <registry>/<name>.
STACK_ID=io.goldenpath.stacks.${DEBIAN_SUITE}
BASE_IMAGE=goldenpath/debian:${DEBIAN_SUITE}
BUILD_IMAGE=goldenpath/build:${DEBIAN_SUITE}
RUN_IMAGE=goldenpath/run:${DEBIAN_SUITE}
BUILDER_IMAGE=goldenpath/builder:${DEBIAN_SUITE}

# Where built tools end up.
LIFECYCLE_TGZ=${GOLDENPATH_CACHE}/lifecycle/${LIFECYCLE_VERSION}/lifecycle-v${LIFECYCLE_VERSION}+linux.x86-64.tgz
PACK_BIN=${GOLDENPATH_CACHE}/pack/${PACK_VERSION}/pack
PACK_HOME=${GOLDENPATH_CACHE}/pack-home
export PACK_HOME

mkdir -p "${GOLDENPATH_CACHE}/stamps" "${GOLDENPATH_CACHE}/logs"

# --- logging ------------------------------------------------------------------------------------------------------
log() { printf '[goldenpath %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
warn() { log "WARNING: $*"; }
die() {
  log "ERROR: $*"
  exit 1
}

# elapsed START: seconds since START (a "date +%s.%N" value), one decimal.
elapsed() { awk -v s="$1" -v e="$(date +%s.%N)" 'BEGIN { printf "%.1f", e - s }'; }

# timed NAME CMD...: run CMD and log how long it took. CMD runs under "set -e" (it is not called from an "||"
# context, which would switch errexit off inside it); a failure ends the script and the EXIT trap names the step.
GOLDENPATH_STEP=""
timed() {
  local name=$1 start
  shift
  start=$(date +%s.%N)
  GOLDENPATH_STEP=$name
  log "${name}: start"
  "$@"
  log "${name}: done in $(elapsed "$start")s"
  GOLDENPATH_STEP=""
}
on_exit() {
  local rc=$?
  [[ $rc != 0 ]] && log "FAILED${GOLDENPATH_STEP:+ in step ${GOLDENPATH_STEP}} (exit ${rc})"
  return "$rc"
}
trap on_exit EXIT

# cache_probe WHAT TEST...: the --cached verb of a setup script. Exit 0 ("WHAT: cached") when TEST succeeds, else exit 1
# ("WHAT: not cached"): an answer, not a failure (no FAILED line).
cache_probe() {
  local what=$1
  shift
  trap - EXIT
  if "$@"; then
    log "${what}: cached"
    exit 0
  fi
  log "${what}: not cached (setup would build it)"
  exit 1
}

# logged NAME CMD...: run CMD with its output in $GOLDENPATH_CACHE/logs/NAME.log; on failure show the end of the log.
logged() {
  local logfile=${GOLDENPATH_CACHE}/logs/$1.log
  shift
  "$@" >"$logfile" 2>&1 || {
    local rc=$?
    tail -n 30 "$logfile" >&2
    die "'$*' failed (exit ${rc}); full log: ${logfile}"
  }
}

# --- stamps -------------------------------------------------------------------------------------------------------
# stamp_key ARG...: a sha256 over the arguments. A file argument contributes its content, a directory the paths,
# modes and contents of all files below it, anything else its literal text.
stamp_key() {
  local arg
  for arg in "$@"; do
    if [[ -d $arg ]]; then
      (cd "$arg" && find . \( -type f -o -type l \) -printf '%p %m\n' | LC_ALL=C sort |
        while read -r path mode; do
          if [[ -L $path ]]; then echo "$path $mode -> $(readlink "$path")"; else echo "$path $mode $(sha256sum <"$path")"; fi
        done)
    elif [[ -f $arg ]]; then
      echo "file $(sha256sum <"$arg")"
    else
      echo "lit $arg"
    fi
  done | sha256sum | cut -d' ' -f1
}

# stamp_ok NAME KEY: true when step NAME last completed with the same KEY.
stamp_ok() { [[ -f ${GOLDENPATH_CACHE}/stamps/$1 && $(cat "${GOLDENPATH_CACHE}/stamps/$1") == "$2" ]]; }
stamp_write() { echo "$2" >"${GOLDENPATH_CACHE}/stamps/$1"; }

# compile STAMP KEY DIR WHAT CMD...: unless STAMP records KEY and DIR exists, log "compiling WHAT" and run CMD (its
# output in STAMP.log), which writes DIR.tmp; that becomes DIR and STAMP records KEY.
compile() {
  local stamp=$1 key=$2 dir=$3 what=$4
  shift 4
  if stamp_ok "$stamp" "$key" && [[ -d $dir ]]; then return 0; fi
  log "compiling ${what} (log: ${GOLDENPATH_CACHE}/logs/${stamp}.log)"
  rm -rf "${dir}.tmp"
  logged "$stamp" "$@"
  rm -rf "$dir"
  mv "${dir}.tmp" "$dir"
  stamp_write "$stamp" "$key"
}

# --- locking ------------------------------------------------------------------------------------------------------
# One setup at a time. Child scripts inherit the lock through GOLDENPATH_LOCKED. Background daemons must be started
# with "9>&-" so they do not keep the lock open.
setup_lock() {
  [[ -n ${GOLDENPATH_LOCKED:-} ]] && return 0
  exec 9>"${GOLDENPATH_CACHE}/.setup.lock"
  if ! flock -n 9; then
    log "waiting for another goldenpath setup to finish (lock ${GOLDENPATH_CACHE}/.setup.lock)"
    flock 9
  fi
  export GOLDENPATH_LOCKED=1
}

# --- packages -----------------------------------------------------------------------------------------------------
_apt_get_install() { DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null; }
# apt_install PKG...: install the Debian packages that are missing. Services are not started by their postinst
# scripts (a policy-rc.d that says no), because we start daemons ourselves with our own flags.
apt_install() {
  local missing=() pkg
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
  done
  [[ ${#missing[@]} == 0 ]] && return 0
  log "apt-get install ${missing[*]}"
  local policy=/usr/sbin/policy-rc.d added=""
  if [[ ! -e $policy ]]; then
    printf '#!/bin/sh\nexit 101\n' >"$policy"
    chmod +x "$policy"
    added=1
  fi
  local rc=0
  # Lists older than a day (or none at all) are refreshed first; a failed install is retried once after a refresh.
  if [[ -z $(find /var/lib/apt/lists -maxdepth 1 -name '*Packages*' -mmin -1440 -print -quit 2>/dev/null) ]]; then
    apt-get update -qq || rc=$?
  fi
  if [[ $rc == 0 ]] && ! _apt_get_install "${missing[@]}"; then
    apt-get update -qq && _apt_get_install "${missing[@]}" || rc=$?
  fi
  [[ -n $added ]] && rm -f "$policy"
  return "$rc"
}

# --- docker helpers -----------------------------------------------------------------------------------------------
docker_ok() { "$DOCKER" info >/dev/null 2>&1; }
require_docker() { docker_ok || die "docker daemon not reachable at ${DOCKER_HOST}: run hack/setup.sh docker first"; }
# image_id REF: the local image ID, or nothing.
image_id() { "$DOCKER" image inspect -f '{{.Id}}' "$1" 2>/dev/null || true; }
# image_fresh STAMP KEY IMAGE: the stamp says IMAGE was made from KEY and IMAGE is still that image.
image_fresh() { stamp_ok "$1" "$2 $(image_id "$3")"; }
image_stamp() { stamp_write "$1" "$2 $(image_id "$3")"; }
# remove_if_untagged ID: remove an image of ours that lost its last tag (e.g. replaced by a rebuild).
remove_if_untagged() {
  [[ -n $1 && $("$DOCKER" image inspect -f '{{len .RepoTags}}' "$1" 2>/dev/null) == 0 ]] || return 0
  "$DOCKER" rmi "$1" >/dev/null 2>&1 || true
}

# build_image STAMP IMAGE CONTEXT KEY [DOCKER-BUILD-ARG...]: docker build CONTEXT as IMAGE (log: STAMP.log), then
# record that IMAGE was made from KEY (image_fresh STAMP KEY IMAGE says so later); CONTEXT and the image it replaced
# (when no tag is left on it) are removed.
build_image() {
  local stamp=$1 image=$2 ctx=$3 key=$4 old
  shift 4
  old=$(image_id "$image")
  DOCKER_BUILDKIT=1 logged "$stamp" "$DOCKER" build -t "$image" "$@" "$ctx"
  rm -rf "$ctx"
  remove_if_untagged "$old"
  image_stamp "$stamp" "$key" "$image"
}

# daemon_api_pin: the daemon's API version when it is older than 1.44, else nothing. The Docker clients in pack 0.40
# and lifecycle 0.21 start at API 1.52 and do not negotiate down ("client version 1.52 is too new. Maximum supported
# API version is 1.41"): they need DOCKER_API_VERSION set to this value (pack in its environment, lifecycle in the
# builder image).
daemon_api_pin() {
  local api
  api=$("$DOCKER" version -f '{{.Server.APIVersion}}')
  if [[ $(printf '%s\n' "$api" 1.44 | sort -V | head -n1) != 1.44 ]]; then echo "$api"; fi
}

# --- network helpers ----------------------------------------------------------------------------------------------
port_in_use() { port_in_use_at 127.0.0.1 "$1"; }
port_in_use_at() { (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; }
# free_port [START]: the first port from START (default 20000) that nothing listens on at 127.0.0.1.
free_port() {
  local port=${1:-20000}
  while port_in_use "$port"; do port=$((port + 1)); done
  echo "$port"
}
# wait_for SECONDS DESCRIPTION CMD...: poll CMD every 0.2s until it succeeds.
wait_for() {
  local secs=$1 what=$2 i
  shift 2
  for ((i = 0; i < secs * 5; i++)); do
    "$@" >/dev/null 2>&1 && return 0
    sleep 0.2
  done
  die "timed out after ${secs}s waiting for ${what}"
}

# network_gateway NETWORK: the IPv4 gateway of a Docker network, where containers on it reach the host. Its IPAM
# config names it, except for the default bridge of a fresh Docker 20.10 ([{"Subnet":"172.17.0.0/16"}], no Gateway):
# then the address of the network's bridge interface (docker0, br-<id>) is the gateway.
network_gateway() {
  local gw bridge
  gw=$("$DOCKER" network inspect "$1" -f '{{range .IPAM.Config}}{{if .Gateway}}{{.Gateway}} {{end}}{{end}}' |
    tr ' ' '\n' | grep -m1 -E '^[0-9]+\.' || true)
  if [[ -z $gw ]]; then
    bridge=$("$DOCKER" network inspect "$1" -f '{{index .Options "com.docker.network.bridge.name"}}')
    [[ -n $bridge && $bridge != "<no value>" ]] || bridge=br-$("$DOCKER" network inspect "$1" -f '{{.Id}}' | cut -c1-12)
    gw=$(ip -4 -o addr show dev "$bridge" 2>/dev/null | awk '{ split($4, a, "/"); print a[1]; exit }')
  fi
  [[ -n $gw ]] || die "docker network $1 has no IPv4 gateway (neither in its IPAM config nor on its bridge interface)"
  echo "$gw"
}

# forwarder NAME LISTEN TARGET: a socat process that listens at LISTEN (a socat address such as
# TCP-LISTEN:5111,bind=IP,reuseaddr,fork) and connects each client to TARGET (TCP:127.0.0.1:5111): how pods and
# containers reach services on the host's loopback. One per NAME (pid in $GOLDENPATH_CACHE/forwarders); reused while it
# runs with the same addresses, also when another run started it (found by its command line).
forwarder() {
  local name=$1 dir=${GOLDENPATH_CACHE}/forwarders pid want="socat $2 $3 "
  mkdir -p "$dir"
  cmdline() { tr '\0' ' ' 2>/dev/null <"/proc/$1/cmdline"; }
  for pid in $(cat "${dir}/${name}.pid" 2>/dev/null) $(pgrep -x socat || true); do
    # the listener, not one of the children it forks per connection (same command line, parent a socat)
    if [[ $(cmdline "$pid") == "$want" && $(cmdline "$(awk '$1 == "PPid:" { print $2 }' "/proc/${pid}/status" 2>/dev/null)") != "$want" ]]; then
      echo "$pid" >"${dir}/${name}.pid"
      return 0
    fi
  done
  forwarder_stop "$name"
  apt_install socat
  setsid socat "$2" "$3" >>"${GOLDENPATH_CACHE}/logs/forwarder-${name}.log" 2>&1 </dev/null 9>&- &
  echo $! >"${dir}/${name}.pid"
  log "forwarder ${name}: ${2%%,*} -> $3 (pid $!)"
}
forwarder_stop() {
  local f=${GOLDENPATH_CACHE}/forwarders/$1.pid
  if [[ -f $f ]]; then kill "$(cat "$f")" 2>/dev/null || true; fi
  rm -f "$f"
}

# enterprise_ca: the private certificate authority of this machine's test "enterprise" (made once, kept in
# $GOLDENPATH_CACHE/ca): what a platform team's corporate CA is to its infrastructure. The components an enterprise
# configures to trust its CA trust it (the Dagger engine, kpack's images); the tests sign with it the certificates of
# the TLS services they start where those components must reach them (a registry on a Docker network's gateway). Its
# paths are exported as GOLDENPATH_TEST_CA and GOLDENPATH_TEST_CA_KEY (the key stays on this machine: test use only).
ENTERPRISE_CA_DIR=${GOLDENPATH_CACHE}/ca
enterprise_ca() {
  [[ ! -s ${ENTERPRISE_CA_DIR}/ca.crt || ! -s ${ENTERPRISE_CA_DIR}/ca.key ]] || return 0
  local tmp
  rm -rf "$ENTERPRISE_CA_DIR" # (an incomplete one)
  tmp=$(mktemp -d "${ENTERPRISE_CA_DIR}.tmp.XXXXXX")
  openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/O=goldenpath tests/CN=goldenpath test enterprise CA" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
    -keyout "${tmp}/ca.key" -out "${tmp}/ca.crt" >/dev/null 2>&1 ||
    die "openssl could not make the test enterprise CA in ${tmp}"
  chmod 600 "${tmp}/ca.key"
  chmod 755 "$tmp"
  # (the certificate and its key appear together: one rename of the folder)
  mv -T "$tmp" "$ENTERPRISE_CA_DIR"
  log "made the test enterprise CA ${ENTERPRISE_CA_DIR}/ca.crt"
}

# registry_addr: the address of the running goldenpath registry (written by hack/registry/setup.sh).
registry_addr() {
  [[ -f ${GOLDENPATH_CACHE}/registry/addr ]] || die "no registry address: run hack/setup.sh registry first"
  cat "${GOLDENPATH_CACHE}/registry/addr"
}

# crane ARG...: go-containerregistry's crane at the version the project's go.mod requires, built once into the cache.
# Registry reads and digests in these scripts go through it (never curl | awk).
crane() {
  local v bin
  v=$(awk '$1 == "github.com/google/go-containerregistry" { print $2; exit }' "${GOLDENPATH_ROOT}/go.mod")
  bin=${GOLDENPATH_CACHE}/crane/${v}/crane
  if [[ ! -x $bin ]]; then
    (cd / && GOBIN=$(dirname "$bin") GOFLAGS=-mod=mod CGO_ENABLED=0 logged crane-build \
      "$GO" install -trimpath "github.com/google/go-containerregistry/cmd/crane@${v}")
  fi
  "$bin" "$@"
}
# remote_digest REF: the manifest digest the registry serves for REF, or nothing.
remote_digest() { crane digest "$1" 2>/dev/null || true; }
# push_image LOCAL REMOTE: docker push LOCAL as REMOTE unless the registry has that image already (same config
# digest = image ID); prints REMOTE's repository@digest.
push_image() {
  local digest
  if [[ $(crane config "$2" 2>/dev/null | sha256sum | cut -d' ' -f1) != "$(image_id "$1" | cut -d: -f2)" ]]; then
    "$DOCKER" tag "$1" "$2"
    logged push "$DOCKER" push "$2"
  fi
  digest=$(remote_digest "$2")
  [[ $digest == sha256:* ]] || die "no digest for $2 in the registry after the push"
  echo "${2%:*}@${digest}"
}

# --- the one environment file -------------------------------------------------------------------------------------
# Each component writes its section (env_write NAME <<EOF ... EOF) to $GOLDENPATH_CACHE/env.d/NAME.sh; env.sh, the one
# file to source, is made from the sections in setup order. internal/e2e reads the same files.
ENV_SECTIONS=(build kind git kpack argocd dagger)
env_write() {
  env_migrate
  cat >"${GOLDENPATH_CACHE}/env.d/$1.sh"
  # The per-component copy of the earlier layout, for branches not yet on this one (nothing here reads it): drop it then.
  [[ $1 == build ]] || { mkdir -p "${GOLDENPATH_CACHE}/$1" && cp "${GOLDENPATH_CACHE}/env.d/$1.sh" "${GOLDENPATH_CACHE}/$1/env.sh"; }
  env_assemble
  log "environment ($1) in ${GOLDENPATH_CACHE}/env.sh:"
  grep '^export ' "${GOLDENPATH_CACHE}/env.d/$1.sh" | sed 's/^export /  /' >&2
}
env_remove() {
  env_migrate
  rm -f "${GOLDENPATH_CACHE}/env.d/$1.sh" "${GOLDENPATH_CACHE}/$1/env.sh"
  env_assemble
}
env_assemble() {
  local s
  {
    echo "# Written by the hack/ setup scripts (sections: hack/lib.sh env_write). Source it:"
    echo "#   source ${GOLDENPATH_CACHE}/env.sh"
    for s in "${ENV_SECTIONS[@]}"; do
      if [[ -f ${GOLDENPATH_CACHE}/env.d/${s}.sh ]]; then cat "${GOLDENPATH_CACHE}/env.d/${s}.sh"; fi
    done
  } >"${GOLDENPATH_CACHE}/env.sh.tmp"
  mv "${GOLDENPATH_CACHE}/env.sh.tmp" "${GOLDENPATH_CACHE}/env.sh"
}
# env_migrate: take over the files of the earlier layout (env.sh of the build infrastructure only, one env.sh per
# component) as sections, once.
env_migrate() {
  local s dir=${GOLDENPATH_CACHE}/env.d
  [[ ! -d $dir ]] || return 0
  mkdir -p "$dir"
  if [[ -f ${GOLDENPATH_CACHE}/env.sh ]]; then cp "${GOLDENPATH_CACHE}/env.sh" "${dir}/build.sh"; fi
  for s in "${ENV_SECTIONS[@]:1}"; do
    if [[ -f ${GOLDENPATH_CACHE}/${s}/env.sh ]]; then cp "${GOLDENPATH_CACHE}/${s}/env.sh" "${dir}/${s}.sh"; fi
  done
  env_assemble
}
# load_env: source the sections the setup scripts wrote so far.
load_env() {
  env_migrate
  local f
  for f in "${GOLDENPATH_CACHE}"/env.d/*.sh; do
    # shellcheck source=/dev/null
    [[ ! -f $f ]] || source "$f"
  done
}

# --- the kind cluster -----------------------------------------------------------------------------------------------
# require_kind: load the settings hack/kind/setup.sh wrote, set KUBECTL (an array: kubectl with the cluster's
# kubeconfig) and check that the API server answers.
require_kind() {
  load_env
  [[ -n ${GOLDENPATH_KUBECONFIG:-} ]] || die "no kind cluster in ${GOLDENPATH_CACHE}/env.sh: run hack/setup.sh kind first"
  KUBECTL=("$GOLDENPATH_KUBECTL" --kubeconfig "$GOLDENPATH_KUBECONFIG")
  "${KUBECTL[@]}" get --raw /readyz >/dev/null 2>&1 || die "the kind cluster does not answer: run hack/setup.sh kind"
}
