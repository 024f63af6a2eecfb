#!/usr/bin/env bash
# hack/tools/setup.sh: the checkers some tests run next to goldenpath's own code, from Debian's packages:
# PyYAML for /usr/bin/python3 (the YAML emitter's round trip with a third parser, render's integration tests) and
# Chromium (the status page's DOM tests: GOLDENPATH_BROWSER_TESTS=1 go test ./goldenpath/statuspage/). Node.js and npm
# (the Backstage template check) come with the machine: Debian's Node.js is too old for Backstage's libraries.
#
#   bash hack/tools/setup.sh            # install what is missing
#   bash hack/tools/setup.sh --cached   # exit 0 when everything is installed, else 1
set -euo pipefail
# shellcheck source=hack/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
[[ ${1:-} != --cached ]] || cache_probe "test tools" bash -c '/usr/bin/python3 -c "import yaml" && test -x /usr/bin/chromium'
setup_lock
apt_install python3-yaml chromium
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  warn "node and npm are missing: the Backstage template check (go test -tags integration ./render/) needs Node.js 20 or newer"
fi
log "tools: $(/usr/bin/python3 -c 'import yaml; print("PyYAML", yaml.__version__)'), $(/usr/bin/chromium --version 2>/dev/null || echo 'no chromium')"
