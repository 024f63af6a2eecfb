#!/usr/bin/env bash
# build-k8s.sh SRC_DIR BIN_DIR: builds the Kubernetes node and control-plane binaries (kube-apiserver,
# kube-controller-manager, kube-scheduler, kube-proxy, kubelet, kubeadm, kubectl), etcd and a pause binary from Go
# modules, in a scratch module under SRC_DIR (never the project's go.mod), into BIN_DIR.
#
# k8s.io/kubernetes is not meant to be required as a module: its go.mod replaces its 31 staging modules with
# ./staging/... folders, which a module download does not have. The scratch module repeats each of those replaces
# with the published module of the same release (k8s.io/api => k8s.io/api v0.34.2, ...). etcd comes from
# go.etcd.io/etcd/server/v3 at the version Kubernetes itself requires.
# Settings: K8S_VERSION (default 1.34.2).
set -euo pipefail
SRC=$1 BIN=$2
K8S_VERSION=${K8S_VERSION:-1.34.2}
STAGING_VERSION=0.${K8S_VERSION#1.}
MINOR=$(cut -d. -f2 <<<"$K8S_VERSION")
export CGO_ENABLED=0 GOFLAGS=-mod=mod

mkdir -p "$SRC" "$BIN"
cd "$SRC"
modfile=$(go mod download -json "k8s.io/kubernetes@v${K8S_VERSION}" | sed -n 's/.*"GoMod": "\(.*\)",/\1/p')
[[ -f $modfile ]] || { echo "cannot download k8s.io/kubernetes@v${K8S_VERSION}" >&2; exit 1; }
etcd_version=$(awk '$1 == "go.etcd.io/etcd/server/v3" { print $2 }' "$modfile")
{
  echo "module goldenpath.local/k8s-build"
  echo
  echo "go 1.24"
  echo
  echo "require k8s.io/kubernetes v${K8S_VERSION}"
  echo
  echo "replace ("
  # every "k8s.io/x => ./staging/src/k8s.io/x" line becomes "k8s.io/x => k8s.io/x v0.<minor>.<patch>"
  awk -v v="v${STAGING_VERSION}" '$2 == "=>" && $3 ~ /^\.\/staging\// { printf "\t%s => %s %s\n", $1, $1, v }' "$modfile"
  echo ")"
} >go.mod
n=$(grep -c ' => k8s.io/' go.mod)
echo "scratch module: k8s.io/kubernetes v${K8S_VERSION} with ${n} staging replaces, etcd ${etcd_version}"

mkdir -p cmd/etcd cmd/pause
cat >tools.go <<'GO'
//go:build tools

package tools

import (
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
	_ "k8s.io/kubernetes/cmd/kube-controller-manager"
	_ "k8s.io/kubernetes/cmd/kube-proxy"
	_ "k8s.io/kubernetes/cmd/kube-scheduler"
	_ "k8s.io/kubernetes/cmd/kubeadm"
	_ "k8s.io/kubernetes/cmd/kubelet"
	_ "k8s.io/kubernetes/cmd/kubectl"
)
GO
cat >cmd/etcd/main.go <<'GO'
// Command etcd is etcd's server, built from go.etcd.io/etcd/server/v3.
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() { etcdmain.Main(os.Args) }
GO
cat >cmd/pause/main.go <<'GO'
// Command pause is the pod sandbox process: it sleeps until SIGINT or SIGTERM and reaps orphaned children.
package main

import (
	"os"
	"os/signal"
	"syscall"
)

func main() {
	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM, syscall.SIGCHLD)
	for s := range sigs {
		if s == syscall.SIGCHLD {
			for {
				var ws syscall.WaitStatus
				if pid, err := syscall.Wait4(-1, &ws, syscall.WNOHANG, nil); pid <= 0 || err != nil {
					break
				}
			}
			continue
		}
		os.Exit(0)
	}
}
GO
go get "go.etcd.io/etcd/server/v3@${etcd_version}" >/dev/null
go mod tidy

pkg=k8s.io/component-base/version
cgo=k8s.io/client-go/pkg/version
ldflags="-s -w"
for p in $pkg $cgo; do
  ldflags+=" -X ${p}.gitVersion=v${K8S_VERSION} -X ${p}.gitMajor=1 -X ${p}.gitMinor=${MINOR}"
  ldflags+=" -X ${p}.gitTreeState=clean -X ${p}.buildDate=1970-01-01T00:00:00Z"
done
go build -trimpath -ldflags "$ldflags" -o "$BIN/" \
  k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kube-controller-manager \
  k8s.io/kubernetes/cmd/kube-scheduler k8s.io/kubernetes/cmd/kube-proxy k8s.io/kubernetes/cmd/kubelet \
  k8s.io/kubernetes/cmd/kubeadm k8s.io/kubernetes/cmd/kubectl
go build -trimpath -ldflags "-s -w -X go.etcd.io/etcd/api/v3/version.GitSHA=${etcd_version}" -o "$BIN/" ./cmd/etcd ./cmd/pause
echo "$etcd_version" >"$BIN/etcd.version"
"$BIN/kubeadm" version -o short
