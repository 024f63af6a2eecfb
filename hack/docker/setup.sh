#!/usr/bin/env bash
# hack/docker/setup.sh: install Debian's Docker engine (20.10) and start dockerd in the background (no systemd), with
# hack/docker/goldenpath-runc as its default runtime. Idempotent: a dockerd that already runs is checked, not restarted.
#
#   bash hack/docker/setup.sh            # (hack/setup.sh docker)
#   bash hack/docker/setup.sh --cached   # exit 0 when the engine is installed and runs with the wrapper, else 1
#
# Log: $GOLDENPATH_CACHE/logs/dockerd.log. Always talk to it with /usr/bin/docker (see lib.sh).
set -euo pipefail
# shellcheck source=hack/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
if [[ ${1:-} == --cached ]]; then
  cache_probe "Docker engine with ${RUNC_WRAPPER_NAME}" eval '[[ $("$DOCKER" info -f "{{.DefaultRuntime}}" 2>/dev/null) == "$RUNC_WRAPPER_NAME" ]]'
fi
setup_lock

WRAPPER=${GOLDENPATH_CACHE}/bin/${RUNC_WRAPPER_NAME}
PROBE_IMAGE=goldenpath/probe:busybox
FOREIGN=""

install_packages() {
  # docker.io brings containerd and runc; debootstrap is for hack/setup-builder.sh; busybox-static for the probe image.
  apt_install docker.io debootstrap busybox-static jq curl iptables iproute2 ca-certificates
  [[ -x $DOCKER ]] || die "$DOCKER missing after installing docker.io"
}

install_wrapper() {
  mkdir -p "$(dirname "$WRAPPER")"
  if ! cmp -s "${GOLDENPATH_ROOT}/hack/docker/goldenpath-runc" "$WRAPPER" 2>/dev/null; then
    install -m 0755 "${GOLDENPATH_ROOT}/hack/docker/goldenpath-runc" "$WRAPPER"
  fi
}

# socket_pid: the pid of the process listening on our Docker socket.
socket_pid() { ss -Hxlp src "$DOCKER_SOCK" | sed -n 's/.*pid=\([0-9]*\).*/\1/p' | head -n1; }

start_dockerd() {
  if docker_ok; then
    local runtime
    runtime=$("$DOCKER" info -f '{{.DefaultRuntime}}')
    if [[ $runtime == "$RUNC_WRAPPER_NAME" ]]; then
      log "dockerd already running with default runtime ${RUNC_WRAPPER_NAME} (pid $(socket_pid))"
    else
      FOREIGN="a dockerd WITHOUT the ${RUNC_WRAPPER_NAME} runtime answers on ${DOCKER_HOST} (pid $(socket_pid),"
      FOREIGN+=" default runtime '${runtime}'); this script did not start it. Stop it and re-run this script."
      warn "$FOREIGN"
    fi
    return 0
  fi
  if [[ -n $(socket_pid) ]]; then
    die "pid $(socket_pid) listens on ${DOCKER_HOST} but does not answer 'docker info': stop it and re-run"
  fi
  # A pid file left by a dockerd that was killed makes the next one refuse to start.
  local pidfile=/var/run/docker.pid
  if [[ -f $pidfile ]] && ! kill -0 "$(cat "$pidfile")" 2>/dev/null; then rm -f "$pidfile"; fi

  log "starting dockerd (log: ${GOLDENPATH_CACHE}/logs/dockerd.log)"
  # setsid: own session, so it outlives this script; 9>&-: do not inherit the setup lock.
  setsid dockerd \
    --host "$DOCKER_HOST" \
    --add-runtime "${RUNC_WRAPPER_NAME}=${WRAPPER}" \
    --default-runtime "$RUNC_WRAPPER_NAME" \
    >>"${GOLDENPATH_CACHE}/logs/dockerd.log" 2>&1 </dev/null 9>&- &
  echo $! >"${GOLDENPATH_CACHE}/dockerd.pid"
  local i
  for ((i = 0; i < 900; i++)); do
    docker_ok && break
    kill -0 "$(cat "${GOLDENPATH_CACHE}/dockerd.pid")" 2>/dev/null || {
      tail -n 20 "${GOLDENPATH_CACHE}/logs/dockerd.log" >&2
      die "dockerd exited during start-up (log above)"
    }
    sleep 0.2
  done
  docker_ok || die "dockerd did not answer within 180s; see ${GOLDENPATH_CACHE}/logs/dockerd.log"
  log "dockerd up: $("$DOCKER" version -f 'server {{.Server.Version}}, API {{.Server.APIVersion}}')"
}

# A tiny local image (static busybox) so that the runtime can be checked without any registry. Checked once per
# running dockerd (stamp keyed by its pid and the wrapper).
verify_privileged() {
  local key
  key=$(stamp_key "$(socket_pid)" "$WRAPPER" "$("$DOCKER" info -f '{{.DefaultRuntime}}')")
  if stamp_ok privileged "$key"; then
    log "docker run --privileged: verified earlier for this dockerd"
    return 0
  fi
  if [[ -z $(image_id "$PROBE_IMAGE") ]]; then
    local dir
    dir=$(mktemp -d)
    mkdir -p "$dir/bin"
    cp /bin/busybox "$dir/bin/busybox"
    ln -s busybox "$dir/bin/sh"
    tar -C "$dir" -c . | "$DOCKER" import - "$PROBE_IMAGE" >/dev/null
    rm -rf "$dir"
  fi
  local out
  if ! out=$("$DOCKER" run --rm --privileged --network host "$PROBE_IMAGE" /bin/busybox echo privileged-ok 2>&1); then
    die "'docker run --privileged' failed: ${out}${FOREIGN:+ -- ${FOREIGN}}"
  fi
  [[ $out == privileged-ok ]] || die "unexpected output from the probe container: ${out}"
  stamp_write privileged "$key"
  log "docker run --privileged works"
}

timed "docker: packages" install_packages
install_wrapper
timed "docker: daemon" start_dockerd
timed "docker: verify --privileged" verify_privileged
