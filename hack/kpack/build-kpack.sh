#!/usr/bin/env bash
# build-kpack.sh SRC_DIR OUT_DIR VERSION: compile kpack's six components (controller, webhook, build-init,
# build-waiter, completion, rebase) from the github.com/pivotal/kpack module at VERSION, in a scratch module under
# SRC_DIR (never the project's go.mod), as static binaries in OUT_DIR. Called by hack/setup-kpack.sh (~10 min cold).
set -euo pipefail
src=$1 out=$2 version=$3
GO=$(command -v go || echo /usr/local/go/bin/go)
export GOWORK=off GOFLAGS=-mod=mod CGO_ENABLED=0
cmds=(controller webhook build-init build-waiter completion rebase)

mkdir -p "$src" "$out"
cd "$src"
kpack_dir=$("$GO" mod download -json "github.com/pivotal/kpack@v${version}" | jq -er '.Dir // error(.Error)')
# kpack's own go.mod replaces docker/docker; replace directives of a dependency are ignored, so repeat them here.
{
  echo "module goldenpath.local/kpack-build"
  echo
  echo "go $(awk '$1 == "go" { print $2; exit }' "${kpack_dir}/go.mod")"
  echo
  echo "require github.com/pivotal/kpack v${version}"
  echo
  grep -E '^replace ' "${kpack_dir}/go.mod" || true
} >go.mod
{
  echo '//go:build tools'
  echo
  echo '// Package tools pins the kpack commands this module builds (go mod tidy keeps their dependencies).'
  echo 'package tools'
  echo
  echo 'import ('
  for c in "${cmds[@]}"; do echo "	_ \"github.com/pivotal/kpack/cmd/${c}\""; done
  echo ')'
} >tools.go
rm -f go.sum
"$GO" mod tidy
echo "go.mod:" && head -n 12 go.mod

pkgs=()
for c in "${cmds[@]}"; do pkgs+=("github.com/pivotal/kpack/cmd/${c}"); done
nice -n 10 "$GO" build -trimpath -ldflags "-s -w -X github.com/pivotal/kpack/cmd.Version=${version}" -o "${out}/" "${pkgs[@]}"
for c in "${cmds[@]}"; do [[ -x ${out}/${c} ]] || { echo "missing ${out}/${c}" >&2; exit 1; }; done
ls -l "$out"
