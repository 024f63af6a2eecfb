#!/usr/bin/env bash
# hack/git/setup.sh: a Git server for the in-cluster tests (kpack clones application sources from it, Argo CD reads the
# GitOps tree from it; the tests push commits to it). It is internal/gitserver (git http-backend behind net/http,
# fetch and push over plain HTTP, no authentication) serving the bare repositories NAME.git under
# $GOLDENPATH_CACHE/git/repos, on 127.0.0.1 and, when the kind network of hack/kind/setup.sh exists, on that
# network's gateway address, which is where pods reach the host. A running server with the same binary and
# addresses is reused. Writes the git section of $GOLDENPATH_CACHE/env.sh:
#
#   GOLDENPATH_GIT_ROOT           folder of the bare repositories (create one: git init --bare $ROOT/NAME.git)
#   GOLDENPATH_GIT_URL            http://127.0.0.1:PORT          (host side: git push $GOLDENPATH_GIT_URL/NAME.git)
#   GOLDENPATH_GIT_URL_CLUSTER    http://<kind gateway>:PORT     (pod side; empty without the kind network)
#
#   bash hack/setup.sh git && source /var/cache/goldenpath/env.sh
#   bash hack/git/setup.sh --cached     # exit 0 when the server binary is built from the current source, else 1
set -euo pipefail
# shellcheck source=hack/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"

GIT_PORT=${GIT_PORT:-9480}
KIND_NETWORK=${KIND_NETWORK:-goldenpath-kind}
GIT_DIR_=${GOLDENPATH_CACHE}/git
ROOT=${GIT_DIR_}/repos
BIN=${GIT_DIR_}/bin/gitserver
PIDFILE=${GIT_DIR_}/gitserver.pid
# The server binary, rebuilt when its source changes.
key=$(stamp_key gitserver "${GOLDENPATH_ROOT}/internal/gitserver/gitserver.go" "${GOLDENPATH_ROOT}/hack/git/gitserver/main.go" \
  "$("$GO" env GOVERSION)")
[[ ${1:-} != --cached ]] || cache_probe "git server binary" eval 'stamp_ok gitserver "$key" && [[ -x $BIN ]]'
setup_lock
mkdir -p "$ROOT" "$(dirname "$BIN")"
command -v git >/dev/null || apt_install git

if ! stamp_ok gitserver "$key" || [[ ! -x $BIN ]]; then
  (cd "$GOLDENPATH_ROOT" && GOFLAGS=-mod=mod logged gitserver-build "$GO" build -o "${BIN}.tmp" ./hack/git/gitserver)
  mv "${BIN}.tmp" "$BIN"
  stamp_write gitserver "$key"
fi

gateway=""
if [[ -x $DOCKER ]] && "$DOCKER" network inspect "$KIND_NETWORK" >/dev/null 2>&1; then
  gateway=$(network_gateway "$KIND_NETWORK")
fi
listen=("127.0.0.1:${GIT_PORT}")
[[ -n $gateway ]] && listen+=("${gateway}:${GIT_PORT}")
want="$(sha256sum "$BIN" | cut -c1-16) ${listen[*]}"

if [[ -f $PIDFILE ]] && kill -0 "$(cat "$PIDFILE")" 2>/dev/null && [[ $(cat "${GIT_DIR_}/gitserver.want" 2>/dev/null) == "$want" ]]; then
  log "git server already running (pid $(cat "$PIDFILE")): ${listen[*]}"
else
  if [[ -f $PIDFILE ]]; then kill "$(cat "$PIDFILE")" 2>/dev/null || true; sleep 0.5; fi
  ! port_in_use "$GIT_PORT" || die "127.0.0.1:${GIT_PORT} is taken by another process: set GIT_PORT"
  args=()
  for a in "${listen[@]}"; do args+=(-listen "$a"); done
  setsid "$BIN" -root "$ROOT" "${args[@]}" >>"${GOLDENPATH_CACHE}/logs/gitserver.log" 2>&1 </dev/null 9>&- &
  echo $! >"$PIDFILE"
  echo "$want" >"${GIT_DIR_}/gitserver.want"
  for a in "${listen[@]}"; do
    wait_for 60 "the git server on ${a}" curl -sS -o /dev/null "http://${a}/"
  done
  log "git server on ${listen[*]} serving ${ROOT} (pid $(cat "$PIDFILE"))"
fi

env_write git <<ENV
# git (hack/git/setup.sh): the Git server of the in-cluster tests.
export GOLDENPATH_GIT_ROOT=${ROOT}
export GOLDENPATH_GIT_URL=http://127.0.0.1:${GIT_PORT}
export GOLDENPATH_GIT_URL_CLUSTER=${gateway:+http://${gateway}:${GIT_PORT}}
ENV
[[ -n $gateway ]] || warn "no docker network ${KIND_NETWORK}: the git server is on 127.0.0.1 only (run hack/setup.sh kind, then this again)"
