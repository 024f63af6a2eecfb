#!/usr/bin/env bash
# build-promtool.sh: Prometheus' rule tester (promtool) from the github.com/prometheus/prometheus module, in a scratch
# module under the cache (never the project's go.mod), cached by version. Prints the binary's path.
#   bash hack/controller/build-promtool.sh            # -> $GOLDENPATH_CACHE/promtool/v<version>/promtool
# render's TestAlertRulesWithPromtool (tag promtool) runs `promtool test rules` with it on the rendered rules.
set -euo pipefail
# shellcheck source=hack/versions.sh
source "$(dirname "${BASH_SOURCE[0]}")/../versions.sh"
CACHE=${GOLDENPATH_CACHE:-/var/cache/goldenpath}
DIR=${CACHE}/promtool/v${PROMETHEUS_VERSION}
BIN=${DIR}/promtool
GO=$(command -v go || echo /usr/local/go/bin/go)
if [[ -x $BIN ]] && [[ $(cat "${DIR}/go.version" 2>/dev/null) == "$("$GO" env GOVERSION)" ]]; then
  echo "$BIN"
  exit 0
fi
mkdir -p "${DIR}/src"
cd "${DIR}/src"
export GOWORK=off GOFLAGS=-mod=mod
cat >go.mod <<MOD
module goldenpath.invalid/promtool

go 1.25
MOD
cat >tools.go <<'GO'
//go:build tools

package tools

import _ "github.com/prometheus/prometheus/cmd/promtool"
GO
"$GO" get "github.com/prometheus/prometheus@v${PROMETHEUS_VERSION}" >&2
"$GO" mod tidy >&2
CGO_ENABLED=0 "$GO" build -trimpath -o "${BIN}.tmp" github.com/prometheus/prometheus/cmd/promtool >&2
mv "${BIN}.tmp" "$BIN"
"$GO" env GOVERSION >"${DIR}/go.version"
echo "$BIN"
