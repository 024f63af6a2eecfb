# shellcheck shell=bash disable=SC2034 # used by the scripts that source lib.sh
# Every version the host setup builds or installs, in one place (hack/lib.sh sources it). Each can be overridden from
# the environment; the build caches are keyed by them. internal/e2e's TestVersionsFileMatchesTheModules checks the
# ones the Go modules also name (go.mod, dagger/dagger.json).

# Debian: the base of every image (debootstrap), and the Docker engine, registry, containerd of the kind node.
DEBIAN_SUITE=${DEBIAN_SUITE:-bookworm}

# Cloud Native Buildpacks (hack/setup-builder.sh): the lifecycle and pack, built from their Go modules.
LIFECYCLE_VERSION=${LIFECYCLE_VERSION:-0.21.0}
PACK_VERSION=${PACK_VERSION:-0.40.0}

# The kind cluster (hack/kind): the kind CLI, Kubernetes (k8s.io/kubernetes and its staging modules at 0.<minor>.<patch>),
# etcd (the go.etcd.io/etcd/server/v3 that Kubernetes requires; hack/kind/setup.sh checks it is this one) and the pause
# image kubeadm names. CoreDNS is not built.
KIND_VERSION=${KIND_VERSION:-0.33.0}
K8S_VERSION=${K8S_VERSION:-1.34.2}
ETCD_VERSION=${ETCD_VERSION:-v3.6.4}
PAUSE_VERSION=3.10.1

# In the cluster (hack/kpack, hack/argocd): kpack, Argo CD (it needs Go 1.27: GOTOOLCHAIN for its build only) and the
# kustomize its repo server runs (Argo CD 3.6.1 ships 5.8.3, whose dependencies the module proxy refuses).
KPACK_VERSION=${KPACK_VERSION:-0.17.1}
ARGOCD_VERSION=${ARGOCD_VERSION:-3.6.1}
ARGOCD_GOTOOLCHAIN=${ARGOCD_GOTOOLCHAIN:-go1.27.3}
KUSTOMIZE_VERSION=${KUSTOMIZE_VERSION:-5.8.2}

# promtool, Prometheus' rule tester, for the rendered alert rules (hack/controller/build-promtool.sh).
PROMETHEUS_VERSION=${PROMETHEUS_VERSION:-0.316.0}

# Dagger (hack/dagger): CLI, engine and Go SDK, one version everywhere (dagger/dagger.json's engineVersion too).
DAGGER_VERSION=${DAGGER_VERSION:-0.19.10}

# crane: go-containerregistry's CLI at the version of the project's go.mod (read there, not repeated here).
