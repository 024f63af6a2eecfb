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

LIFECYCLE_VERSION=${LIFECYCLE_VERSION:-0.21.0}
PACK_VERSION=${PACK_VERSION:-0.40.0}
DEBIAN_SUITE=${DEBIAN_SUITE:-bookworm}
DEBIAN_MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
DEBIAN_SECURITY_MIRROR=${DEBIAN_SECURITY_MIRROR:-http://deb.debian.org/debian-security}
# REGISTRY_PORT: when set by the caller it is required; otherwise 5111, or the next free port after it.
REGISTRY_PORT_DEFAULT=5111

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
require_docker() { docker_ok || die "docker daemon not reachable at ${DOCKER_HOST}: run hack/setup-docker.sh first"; }
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
port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
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

# registry_addr: the address of the running goldenpath registry (written by setup-registry.sh).
registry_addr() {
  [[ -f ${GOLDENPATH_CACHE}/registry/addr ]] || die "no registry address: run hack/setup-registry.sh first"
  cat "${GOLDENPATH_CACHE}/registry/addr"
}

# --- the kind cluster -----------------------------------------------------------------------------------------------
# require_kind: source the settings hack/setup-kind.sh wrote, set KUBECTL (an array: kubectl with the cluster's
# kubeconfig) and check that the API server answers.
require_kind() {
  [[ -f ${GOLDENPATH_CACHE}/kind/env.sh ]] || die "no ${GOLDENPATH_CACHE}/kind/env.sh: run hack/setup-kind.sh first"
  # shellcheck source=/dev/null
  source "${GOLDENPATH_CACHE}/kind/env.sh"
  KUBECTL=("$GOLDENPATH_KUBECTL" --kubeconfig "$GOLDENPATH_KUBECONFIG")
  "${KUBECTL[@]}" get --raw /readyz >/dev/null 2>&1 || die "the kind cluster does not answer: run hack/setup-kind.sh"
}
