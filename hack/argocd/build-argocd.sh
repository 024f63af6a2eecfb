#!/usr/bin/env bash
# build-argocd.sh SRC_DIR BIN_DIR: builds Argo CD's application controller and repo server, and kustomize, from Go
# modules, in a scratch module under SRC_DIR (never the project's go.mod), into BIN_DIR:
#   BIN_DIR/argocd      one binary that dispatches on its name like Argo CD's own cmd/main.go, limited to
#                       argocd-application-controller, argocd-repo-server and argocd-git-ask-pass (the API server,
#                       its UI embed, dex, notifications, the ApplicationSet and commit servers are left out)
#   BIN_DIR/kustomize   sigs.k8s.io/kustomize/kustomize/v5, which the repo server execs for kustomize apps
#
# The scratch module requires github.com/argoproj/argo-cd/v3 and repeats its go.mod's replace block, except the
# "=> ./gitops-engine" line: the nested gitops-engine module is not in argo-cd's module zip, and the proxy serves it
# as github.com/argoproj/argo-cd/gitops-engine/v3 at the same version (tagged at release time).
# Settings: ARGOCD_VERSION (default 3.6.1), KUSTOMIZE_VERSION (default 5.8.2; Argo CD 3.6.1 ships 5.8.3, whose
# k8s.io/kube-openapi v0.0.0-20261001230523-97fa35140926 the proxy refuses: 403). Argo CD 3.6 needs Go 1.27 (GOTOOLCHAIN).
set -euo pipefail
SRC=$1 BIN=$2
ARGOCD_VERSION=${ARGOCD_VERSION:-3.6.1}
KUSTOMIZE_VERSION=${KUSTOMIZE_VERSION:-5.8.2}
export CGO_ENABLED=0 GOFLAGS=-mod=mod
GO=${GO:-go}

mkdir -p "$SRC" "$BIN"
cd "$SRC"
modfile=$("$GO" mod download -json "github.com/argoproj/argo-cd/v3@v${ARGOCD_VERSION}" | sed -n 's/.*"GoMod": "\(.*\)",/\1/p')
[[ -f $modfile ]] || { echo "cannot download github.com/argoproj/argo-cd/v3@v${ARGOCD_VERSION}" >&2; exit 1; }
go_directive=$(awk '$1 == "go" { print $2; exit }' "$modfile")
{
  echo "module goldenpath.local/argocd-build"
  echo
  echo "go ${go_directive}"
  echo
  echo "require github.com/argoproj/argo-cd/v3 v${ARGOCD_VERSION}"
  echo
  # argo-cd's replace directives (block and single-line forms), minus those pointing at local folders
  awk '
    /^replace \($/ { inblock = 1; print; next }
    inblock && /^\)$/ { inblock = 0; print; next }
    inblock { if ($0 !~ /=> \.\.?\//) print; next }
    /^replace / && $0 !~ /=> \.\.?\// { print }
  ' "$modfile"
} >go.mod
if grep -q 'github.com/argoproj/argo-cd/gitops-engine/v3' "$modfile"; then
  # the version argo-cd requires is a release tag of the nested module: require it explicitly
  ge=$(awk '$1 == "github.com/argoproj/argo-cd/gitops-engine/v3" && $2 ~ /^v/ { print $2; exit }' "$modfile")
  printf '\nrequire github.com/argoproj/argo-cd/gitops-engine/v3 %s\n' "$ge" >>go.mod
fi
echo "scratch module: argo-cd v${ARGOCD_VERSION} (go ${go_directive}), $(grep -c ' => ' go.mod) replaces"

mkdir -p cmd/argocd
cat >cmd/argocd/main.go <<'GO'
// Command argocd is Argo CD's multi-call binary reduced to the components goldenpath deploys: like Argo CD's own
// cmd/main.go it picks the component from its file name (or ARGOCD_BINARY_NAME).
package main

import (
	"fmt"
	"os"
	"path/filepath"
	_ "unsafe" // go:linkname

	"github.com/spf13/cobra"
	"k8s.io/klog/v2"

	appcontroller "github.com/argoproj/argo-cd/v3/cmd/argocd-application-controller/commands"
	gitaskpass "github.com/argoproj/argo-cd/v3/cmd/argocd-git-ask-pass/commands"
	reposerver "github.com/argoproj/argo-cd/v3/cmd/argocd-repo-server/commands"
	"github.com/argoproj/argo-cd/v3/common"
	"github.com/argoproj/argo-cd/v3/util/grpc"
	"github.com/argoproj/argo-cd/v3/util/log"
)

//go:linkname enableSRVLookups google.golang.org/grpc/internal/resolver/dns.EnableSRVLookups
var enableSRVLookups bool

func grpcSRVLookupsOn() bool { return enableSRVLookups }

func init() {
	klog.SetLogger(log.NewLogrusLogger(log.NewWithCurrentConfig()))
}

func main() {
	// Argo CD's cmd/main.go calls grpc.DisableSRVLookups() here, which turns off the SRV lookups that
	// google.golang.org/grpc/balancer/grpclb switches on when linked (and panics when they are not on). Only Argo CD's
	// CLI and API server link grpclb: in this binary the lookups are off already, as the check shows.
	if grpcSRVLookupsOn() {
		grpc.DisableSRVLookups()
	}
	name := filepath.Base(os.Args[0])
	if v := os.Getenv("ARGOCD_BINARY_NAME"); v != "" {
		name = v
	}
	var command *cobra.Command
	switch name {
	case common.CommandApplicationController:
		command = appcontroller.NewCommand()
	case common.CommandRepoServer:
		command = reposerver.NewCommand()
	case common.CommandGitAskPass:
		command = gitaskpass.NewCommand()
	default:
		fmt.Fprintf(os.Stderr, "%s: unknown component (this build has %s, %s, %s)\n", name,
			common.CommandApplicationController, common.CommandRepoServer, common.CommandGitAskPass)
		os.Exit(2)
	}
	if err := command.Execute(); err != nil {
		os.Exit(1)
	}
}
GO
"$GO" mod tidy
pkg=github.com/argoproj/argo-cd/v3/common
kubectl_version=$("$GO" list -m -f '{{.Version}}' k8s.io/kubectl)
"$GO" build -trimpath -o "${BIN}/argocd" -ldflags "-s -w -X ${pkg}.version=${ARGOCD_VERSION} \
  -X ${pkg}.gitTag=v${ARGOCD_VERSION} -X ${pkg}.gitTreeState=clean -X ${pkg}.kubectlVersion=${kubectl_version} \
  -X ${pkg}.buildDate=$(date -u +%Y-%m-%dT%H:%M:%SZ)" ./cmd/argocd
echo "built ${BIN}/argocd"

# kustomize: built from its own module (its go.mod, its replaces), as "go install" does.
(cd / && GOBIN=$BIN "$GO" install -trimpath -ldflags "-s -w \
  -X sigs.k8s.io/kustomize/api/provenance.version=kustomize/v${KUSTOMIZE_VERSION}" \
  "sigs.k8s.io/kustomize/kustomize/v5@v${KUSTOMIZE_VERSION}")
"${BIN}/kustomize" version
