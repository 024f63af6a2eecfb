#!/usr/bin/env bash
# hack/registry/setup.sh: run Debian's docker-registry (distribution 2.8) on 127.0.0.1 with its own config, storage
# under $GOLDENPATH_CACHE/registry. Idempotent: a registry that we started and that still answers is reused.
# Prints the address (e.g. 127.0.0.1:5111) on stdout; everything else goes to stderr.
#
#   REGISTRY_PORT=5111 bash hack/registry/setup.sh   # REGISTRY_PORT is optional: default 5111, else a free port
#   bash hack/registry/setup.sh --cached             # exit 0 when docker-registry is installed, else 1
set -euo pipefail
# shellcheck source=hack/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
[[ ${1:-} != --cached ]] || cache_probe "docker-registry" test -x /usr/bin/docker-registry
setup_lock

DIR=${GOLDENPATH_CACHE}/registry
CONFIG=${DIR}/config.yml
PIDFILE=${DIR}/registry.pid
mkdir -p "${DIR}/data"

# ours PORT: true when the process in our pid file runs with our config and is the one listening on PORT.
ours() {
  local port=$1 pid
  [[ -f $PIDFILE ]] || return 1
  pid=$(cat "$PIDFILE")
  kill -0 "$pid" 2>/dev/null || return 1
  tr '\0' ' ' <"/proc/${pid}/cmdline" | grep -qF -- "$CONFIG" || return 1
  ss -Hltnp "sport = :${port}" | grep -q "pid=${pid}," || return 1
  curl -fsS -o /dev/null --max-time 2 "http://127.0.0.1:${port}/v2/"
}

configured_port() {
  if [[ -f $CONFIG ]]; then sed -n 's/^  addr: 127\.0\.0\.1:\([0-9]*\)$/\1/p' "$CONFIG"; fi
}

choose_port() {
  if [[ -n ${REGISTRY_PORT:-} ]]; then
    echo "$REGISTRY_PORT"
    return
  fi
  # Prefer the port used last time (images pushed before keep their names), then the default, then any free one.
  local last
  last=$(configured_port)
  if [[ -n $last ]] && ! port_in_use "$last"; then echo "$last"; return; fi
  if ! port_in_use "$REGISTRY_PORT_DEFAULT"; then echo "$REGISTRY_PORT_DEFAULT"; return; fi
  free_port $((REGISTRY_PORT_DEFAULT + 1))
}

write_config() {
  cat >"$CONFIG" <<EOF
# Written by hack/registry/setup.sh: the goldenpath test registry (plain HTTP, loopback only, no auth).
version: 0.1
log:
  # warn and no access log: at info the registry spends a quarter of its CPU logging (measured by bench/rebase.sh).
  level: warn
  accesslog:
    disabled: true
  fields:
    service: goldenpath-registry
storage:
  filesystem:
    rootdirectory: ${DIR}/data
  delete:
    enabled: true
  cache:
    blobdescriptor: inmemory
http:
  addr: 127.0.0.1:$1
  secret: goldenpath-local-registry
  headers:
    X-Content-Type-Options: [nosniff]
EOF
}

# stop_ours: stop the registry in our pid file, if it runs with our config.
stop_ours() {
  local pid
  [[ -f $PIDFILE ]] || return 0
  pid=$(cat "$PIDFILE")
  if kill -0 "$pid" 2>/dev/null && tr '\0' ' ' <"/proc/${pid}/cmdline" | grep -qF -- "$CONFIG"; then
    log "stopping our registry (pid ${pid})"
    kill "$pid"
    wait_for 60 "registry pid ${pid} to exit" eval "! kill -0 ${pid}"
  fi
  rm -f "$PIDFILE"
}

start_registry() {
  local port
  port=$(configured_port)
  if [[ -n $port ]] && ours "$port" && [[ -z ${REGISTRY_PORT:-} || $REGISTRY_PORT == "$port" ]]; then
    log "registry already running on 127.0.0.1:${port} (pid $(cat "$PIDFILE"))"
  else
    if [[ -n ${REGISTRY_PORT:-} ]] && port_in_use "$REGISTRY_PORT"; then
      die "REGISTRY_PORT=${REGISTRY_PORT} is taken by another process: $(ss -Hltnp "sport = :${REGISTRY_PORT}")"
    fi
    stop_ours
    port=$(choose_port)
    write_config "$port"
    log "starting docker-registry on 127.0.0.1:${port} (log: ${GOLDENPATH_CACHE}/logs/registry.log)"
    GOGC=400 setsid /usr/bin/docker-registry serve "$CONFIG" >>"${GOLDENPATH_CACHE}/logs/registry.log" 2>&1 </dev/null 9>&- &
    echo $! >"$PIDFILE"
    wait_for 120 "the registry on 127.0.0.1:${port}" ours "$port"
  fi
  echo "127.0.0.1:${port}" >"${DIR}/addr"
}

timed "registry: packages" apt_install docker-registry curl iproute2
timed "registry: daemon" start_registry
cat "${DIR}/addr"
