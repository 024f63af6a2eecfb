#!/usr/bin/env bash
# smoke.sh: Argo CD (hack/setup-argocd.sh) syncs a GitOps tree goldenpath rendered, from the git server of
# hack/setup-git.sh, into the kind cluster, and the app answers; then a commit changes the app and the time until the
# change is live is measured.
#   1. image      examples/apps/go built with "goldenpath build --publish" (digest-pinned; or SMOKE_IMAGE=<ref@sha256:...>)
#   2. platform   hack/argocd/platform.yaml.in: environment dev in namespace argosmoke-dev, its GitOps repository the
#                 git server's <cluster URL>/argocd-smoke.git, destination the cluster Argo CD runs in
#   3. commit     "goldenpath render --out" of a copy of examples/apps/go/goldenpath.yaml (runtime.env SMOKE_REVISION
#                 added) into a clone of that repository, committed and pushed
#   4. apply      the AppProject of "goldenpath platform render" and the rendered Application, unchanged
#   5. wait       Application Synced at the pushed commit, Deployment rolled out, the app answering HTTP through the API
#                 server's service proxy
#   6. change     SMOKE_REVISION+1 rendered, committed, pushed: time until Argo CD synced it and until the new pod
#                 answers (Argo CD polls Git every timeout.reconciliation = 5s), SMOKE_ROUNDS (3) times; then as
#                 many times with a refresh request (the annotation a Git webhook or CI would set) after the push
# At the end the Application is deleted (its finalizer makes Argo CD delete what it deployed) and its namespace;
# SMOKE_KEEP=1 leaves them running. Prints the figures.
#
#   bash hack/setup.sh && bash hack/setup-kind.sh && bash hack/setup-git.sh && bash hack/setup-argocd.sh &&
#     bash hack/argocd/smoke.sh
set -euo pipefail
# shellcheck source=hack/lib.sh source-path=SCRIPTDIR
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
for f in env.sh kind/env.sh git/env.sh argocd/env.sh; do
  [[ -f ${GOLDENPATH_CACHE}/${f} ]] || die "missing ${GOLDENPATH_CACHE}/${f}: run the setup scripts first (see the header)"
  # shellcheck source=/dev/null
  source "${GOLDENPATH_CACHE}/${f}"
done
[[ -n ${GOLDENPATH_GIT_URL_CLUSTER:-} ]] || die "the git server has no address pods can reach (GOLDENPATH_GIT_URL_CLUSTER is empty)"
KUBECTL=("$GOLDENPATH_KUBECTL" --kubeconfig "$GOLDENPATH_KUBECONFIG")
REPO=${SMOKE_REPO:-argocd-smoke}
WORK=${GOLDENPATH_CACHE}/argocd/smoke
ARGO_NS=$GOLDENPATH_ARGOCD_NAMESPACE
ENV=dev APP=sample-go NS=argosmoke-dev
TIMEOUT=${SMOKE_TIMEOUT:-300}
GO=$(command -v go || echo /usr/local/go/bin/go)
mkdir -p "$WORK"
cd "$GOLDENPATH_ROOT"

# --- 1. image ---------------------------------------------------------------------------------------------------
GP=${WORK}/goldenpath
timed "smoke: goldenpath CLI" "$GO" build -o "$GP" ./cmd/goldenpath
IMAGE=${SMOKE_IMAGE:-}
if [[ -z $IMAGE ]]; then
  build_image() {
    IMAGE=$("$GP" build --platform examples/platform/local.yaml -f examples/apps/go/goldenpath.yaml --source . \
      --publish "${GOLDENPATH_REGISTRY}/apps" -o text 2>"${GOLDENPATH_CACHE}/logs/argocd-smoke-build.log" | tail -n1) || {
      tail -n 30 "${GOLDENPATH_CACHE}/logs/argocd-smoke-build.log" >&2
      die "goldenpath build failed"
    }
  }
  timed "smoke: build ${APP}" build_image
fi
[[ $IMAGE == *@sha256:* ]] || die "not a digest-pinned image: '${IMAGE}'"
log "image ${IMAGE}"

# --- 2. platform ------------------------------------------------------------------------------------------------
PLATFORM=${WORK}/platform.yaml
sed -e "s|@REGISTRY@|${GOLDENPATH_KIND_REGISTRY_GATEWAY}|g" -e "s|@GITOPS_URL@|${GOLDENPATH_GIT_URL_CLUSTER}/${REPO}.git|g" \
  hack/argocd/platform.yaml.in >"$PLATFORM"
rm -rf "${WORK}/platform-tree"
logged argocd-smoke-render "$GP" platform render --platform "$PLATFORM" --out "${WORK}/platform-tree"

# --- 3. GitOps repository ---------------------------------------------------------------------------------------
if [[ ! -d ${GOLDENPATH_GIT_ROOT}/${REPO}.git ]]; then
  git init -q --bare --initial-branch=main "${GOLDENPATH_GIT_ROOT}/${REPO}.git"
fi
rm -rf "${WORK}/gitops"
git clone -q "${GOLDENPATH_GIT_URL}/${REPO}.git" "${WORK}/gitops" 2>/dev/null
git -C "${WORK}/gitops" checkout -q -B main
git -C "${WORK}/gitops" config user.name "goldenpath smoke"
git -C "${WORK}/gitops" config user.email smoke@goldenpath.invalid
revision=$(cat "${WORK}/gitops/.smoke-revision" 2>/dev/null || echo 0)

# commit_revision N: renders the app with SMOKE_REVISION=N into the clone, commits and pushes; sets COMMIT.
commit_revision() {
  local n=$1 contract=${WORK}/goldenpath.yaml
  # the example contract plus runtime.env.SMOKE_REVISION (the line after "  runtime:")
  awk -v n="$n" '{ print } /^  runtime:$/ { printf "    env:\n      SMOKE_REVISION: \"%s\"\n", n }' \
    examples/apps/go/goldenpath.yaml >"$contract"
  grep -q SMOKE_REVISION "$contract" || die "could not add runtime.env to the contract"
  rm -rf "${WORK}/gitops/${ENV}" "${WORK}/gitops/argocd"
  logged argocd-smoke-render "$GP" render --platform "$PLATFORM" --out "${WORK}/gitops" --image "${APP}=${IMAGE}" "$contract"
  echo "$n" >"${WORK}/gitops/.smoke-revision"
  git -C "${WORK}/gitops" add -A
  git -C "${WORK}/gitops" commit -q -m "sample-go: SMOKE_REVISION=${n}" --allow-empty
  git -C "${WORK}/gitops" push -q origin main 2>/dev/null
  COMMIT=$(git -C "${WORK}/gitops" rev-parse HEAD)
}

# --- waiting ----------------------------------------------------------------------------------------------------
app_field() { "${KUBECTL[@]}" -n "$ARGO_NS" get application "${APP}-${ENV}" -o "jsonpath=$1" 2>/dev/null || true; }
# synced COMMIT: the Application is Synced at COMMIT and its last sync operation at COMMIT succeeded.
synced() {
  [[ $(app_field '{.status.sync.status} {.status.sync.revision} {.status.operationState.phase} {.status.operationState.syncResult.revision}') == "Synced $1 Succeeded $1" ]]
}
# live N: the Deployment runs SMOKE_REVISION=N, fully rolled out (no pod of another revision left), and answers.
live() {
  local d
  d=$("${KUBECTL[@]}" -n "$NS" get deployment "$APP" -o json 2>/dev/null) || return 1
  jq -e --arg n "$1" '
    (.spec.template.spec.containers[0].env | map(select(.name == "SMOKE_REVISION"))[0].value) == $n
    and .status.observedGeneration == .metadata.generation
    and (.status.updatedReplicas // 0) == .spec.replicas and (.status.availableReplicas // 0) == .spec.replicas
    and (.status.replicas // 0) == .spec.replicas' <<<"$d" >/dev/null || return 1
  [[ $("${KUBECTL[@]}" get --raw "/api/v1/namespaces/${NS}/services/${APP}:http/proxy/" 2>/dev/null) == "hello from goldenpath go app" ]]
}
# wait_until SECONDS WHAT CMD...: polls CMD every 0.5 s; on timeout shows the Application's state and fails.
wait_until() {
  local secs=$1 what=$2 deadline
  shift 2
  deadline=$(($(date +%s) + secs))
  until "$@"; do
    if (($(date +%s) > deadline)); then
      "${KUBECTL[@]}" -n "$ARGO_NS" get application "${APP}-${ENV}" -o yaml | sed -n '/^status:/,$p' | head -60 >&2 || true
      "${KUBECTL[@]}" -n "$NS" get deploy,pods -o wide >&2 || true
      die "timed out after ${secs}s waiting for ${what}"
    fi
    sleep 0.5
  done
}

# --- 4./5. first sync -------------------------------------------------------------------------------------------
revision=$((revision + 1))
commit_revision "$revision"
# A buildpack app's folder holds its kpack Image: without kpack's CRDs Argo CD refuses the whole sync ("failed to
# discover server resources for group version kpack.io/v1alpha2").
if [[ -f ${WORK}/gitops/${ENV}/${APP}/image.yaml ]] && ! "${KUBECTL[@]}" get crd images.kpack.io >/dev/null 2>&1; then
  die "the app's folder holds a kpack Image, and kpack's CRDs are not installed: run hack/setup-kpack.sh first"
fi
log "pushed ${COMMIT:0:12} (SMOKE_REVISION=${revision}) to ${GOLDENPATH_GIT_URL}/${REPO}.git"
# The Application's name (<application>-<environment>) is the same for every platform: never take over another's.
other=$(app_field '{.spec.source.repoURL}')
if [[ -n $other && $other != "${GOLDENPATH_GIT_URL_CLUSTER}/${REPO}.git" ]]; then
  die "Application ${ARGO_NS}/${APP}-${ENV} exists and syncs ${other}: another test owns it"
fi
# (a previous run's namespace may still be going away)
if [[ $("${KUBECTL[@]}" get namespace "$NS" -o 'jsonpath={.status.phase}' 2>/dev/null) == Terminating ]]; then
  "${KUBECTL[@]}" wait --for=delete "namespace/${NS}" --timeout=120s >&2
fi
"${KUBECTL[@]}" apply -f "${WORK}/platform-tree/platform/argocd/appproject-${ENV}.yaml" >&2
"${KUBECTL[@]}" apply -f "${WORK}/gitops/argocd/${ENV}/${APP}.yaml" >&2
start=$(date +%s.%N)
wait_until "$TIMEOUT" "Argo CD to sync ${COMMIT:0:12}" synced "$COMMIT"
first_synced=$(elapsed "$start")
wait_until "$TIMEOUT" "${APP} to answer with SMOKE_REVISION=${revision}" live "$revision"
first_live=$(elapsed "$start")
log "first sync: Synced after ${first_synced}s, answering after ${first_live}s"
log "${APP} answers: $("${KUBECTL[@]}" get --raw "/api/v1/namespaces/${NS}/services/${APP}:http/proxy/")"

# --- 6. changes -------------------------------------------------------------------------------------------------
# change HOW: one new revision, committed and pushed; HOW=poll waits for Argo CD's own polling, HOW=refresh sets the
# refresh annotation right after the push. Sets CHANGE_SYNCED and CHANGE_LIVE (seconds from the push).
change() {
  revision=$((revision + 1))
  commit_revision "$revision"
  local t0
  t0=$(date +%s.%N)
  log "pushed ${COMMIT:0:12} (SMOKE_REVISION=${revision}); waiting (${1})"
  if [[ $1 == refresh ]]; then
    "${KUBECTL[@]}" -n "$ARGO_NS" annotate application "${APP}-${ENV}" argocd.argoproj.io/refresh=normal --overwrite >/dev/null
  fi
  wait_until "$TIMEOUT" "Argo CD to sync ${COMMIT:0:12}" synced "$COMMIT"
  CHANGE_SYNCED=$(elapsed "$t0")
  wait_until "$TIMEOUT" "${APP} to answer with SMOKE_REVISION=${revision}" live "$revision"
  CHANGE_LIVE=$(elapsed "$t0")
  log "change (${1}): Synced after ${CHANGE_SYNCED}s, new pod answering after ${CHANGE_LIVE}s"
}
# Argo CD's polling makes the latency vary (waiting for the next comparison): SMOKE_ROUNDS changes each.
ROUNDS=${SMOKE_ROUNDS:-3}
poll_live=() refresh_live=()
for ((i = 0; i < ROUNDS; i++)); do
  change poll
  poll_live+=("${CHANGE_SYNCED}/${CHANGE_LIVE}")
done
for ((i = 0; i < ROUNDS; i++)); do
  change refresh
  refresh_live+=("${CHANGE_SYNCED}/${CHANGE_LIVE}")
done

# Argo CD's health of the Application: Progressing while the Ingress has no address (the kind cluster runs no ingress
# controller), which does not hold back syncing.
health=$(app_field '{.status.health.status}')

if [[ ${SMOKE_KEEP:-} != 1 ]]; then
  # the Application's finalizer makes Argo CD delete what it deployed before the Application goes
  "${KUBECTL[@]}" -n "$ARGO_NS" delete application "${APP}-${ENV}" --wait=true --timeout=120s >&2
  ! "${KUBECTL[@]}" -n "$NS" get deployment "$APP" >/dev/null 2>&1 ||
    die "the Application is gone but its Deployment ${NS}/${APP} is still there"
  log "Application deleted; Argo CD deleted its resources"
  "${KUBECTL[@]}" delete namespace "$NS" --wait=false >&2 || true
fi

cat <<EOF
argocd smoke: OK (Argo CD v${GOLDENPATH_ARGOCD_VERSION}, timeout.reconciliation ${GOLDENPATH_ARGOCD_RECONCILIATION})
  image                          ${IMAGE}
  GitOps repository              ${GOLDENPATH_GIT_URL_CLUSTER}/${REPO}.git (pods), ${GOLDENPATH_GIT_URL}/${REPO}.git (host)
  first sync: Synced / answering ${first_synced}s / ${first_live}s after applying the Application
  commit -> Synced/answering, s  Argo CD polling: ${poll_live[*]}
                                 refresh requested after the push: ${refresh_live[*]}
  Application health             ${health} (Progressing = the Ingress has no address: no ingress controller in kind)
EOF
