#!/usr/bin/env bash
# incluster.sh: the in-cluster golden path, for real, in the offline kind cluster: kpack builds each sample app from
# its git repository with goldenpath's rendered objects, Argo CD syncs the GitOps tree goldenpath writes, and the apps
# answer; then a commit is measured from push to serving, and a patched run image from push to every app serving on
# it. Everything applied is what goldenpath renders, unchanged (objects are only selected by kind).
#   1. platform  goldenpath platform render --platform $GOLDENPATH_KPACK_PLATFORM: ClusterStore, ClusterStack,
#                ClusterLifecycle, ClusterBuilder, Namespaces, ServiceAccounts and (with Argo CD) the AppProject
#                applied as rendered; waits for the ClusterBuilder
#   2. sources   each sample app (examples/apps/<lang>, same layout) pushed to its own repository on the git server of
#                hack/setup-git.sh; a copy of its contract with spec.source.git.url pointing there, as pods reach it
#                (https through the TLS front of hack/setup-kpack.sh: contracts refuse http:// git URLs)
#   3. build     Argo CD: goldenpath render --out of the contracts (not pinned) committed to the platform's GitOps
#                repository and the rendered Applications applied; Argo CD creates the kpack Images, kpack builds.
#                (INCLUSTER_DEPLOY=kubectl: the kpack Image applied with kubectl.) Waits for Ready + latestImage
#   4. run       goldenpath promote (each folder pinned to its Image's latestImage) committed and pushed, Argo CD
#                asked to refresh (what a Git webhook does); the app answers GET / through the API server's service
#                proxy. (kubectl mode: goldenpath render --image APP=<latestImage>, Deployment and Service applied)
#   5. rebuild   a commit changing the app's answer; kpack polls git every 60 s, so it is nudged (INCLUSTER_NUDGE:
#                resolver = touch an annotation of the Image's SourceResolver [default], revision = set the Image's
#                spec.source.git.revision to the commit, none = wait for the poll); then promote as in 4: time from
#                the push until the new version answers
#   6. rebase    hack/patch-run-image.sh patches kpack's run image (goldenpath/kpack/run, pushed under the same tag);
#                goldenpath platform update-stacks points the ClusterStack at the new digest; kpack rebases every
#                Image (reason STACK); promote as in 4: time until every app serves from the patched run image
# Prints the timings and writes them to $GOLDENPATH_CACHE/incluster/timings.txt. At the end (Argo CD mode) the
# Applications are deleted, and Argo CD deletes what it deployed (INCLUSTER_KEEP=1 leaves everything running), and the
# original run image is put back (INCLUSTER_RESTORE=0 keeps the patched one). INCLUSTER_APPS="go nodejs python" picks
# the apps; INCLUSTER_STEPS (default "build run rebuild rebase") the steps after 1-2.
#
#   bash hack/setup.sh && bash hack/setup-kind.sh && bash hack/setup-git.sh && bash hack/setup-kpack.sh &&
#     bash hack/setup-argocd.sh && bash hack/incluster.sh
set -euo pipefail
# shellcheck source=hack/lib.sh source-path=SCRIPTDIR
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
DEPLOY=${INCLUSTER_DEPLOY:-argocd}
[[ $DEPLOY == argocd || $DEPLOY == kubectl ]] || die "INCLUSTER_DEPLOY=${DEPLOY}: argocd or kubectl"
envs=(env.sh kind/env.sh kpack/env.sh git/env.sh)
[[ $DEPLOY == kubectl ]] || envs+=(argocd/env.sh)
for f in "${envs[@]}"; do
  [[ -f ${GOLDENPATH_CACHE}/${f} ]] || die "no ${GOLDENPATH_CACHE}/${f}: run hack/setup.sh, setup-kind.sh, setup-git.sh, setup-kpack.sh, setup-argocd.sh"
  # shellcheck source=/dev/null
  source "${GOLDENPATH_CACHE}/${f}"
done
read -r -a APPS <<<"${INCLUSTER_APPS:-go nodejs python}"
read -r -a STEPS <<<"${INCLUSTER_STEPS:-build run rebuild rebase}"
NUDGE=${INCLUSTER_NUDGE:-resolver}
RESTORE=${INCLUSTER_RESTORE:-1}
TIMEOUT=${INCLUSTER_TIMEOUT:-600}
KEEP=${INCLUSTER_KEEP:-0}
WORK=${GOLDENPATH_CACHE}/incluster
KC=("$GOLDENPATH_KUBECTL" --kubeconfig "$GOLDENPATH_KUBECONFIG")
GO=$(command -v go || echo /usr/local/go/bin/go)
# Contracts take https:// git URLs only: pods clone through the TLS front of hack/setup-kpack.sh.
GIT_URL_CLUSTER=${GOLDENPATH_KPACK_GIT_URL_CLUSTER:?no git server for pods: run hack/setup-git.sh, then hack/setup-kpack.sh}
step() { [[ " ${STEPS[*]} " == *" $1 "* ]]; }

rm -rf "${WORK:?}"/{contracts,src,render,gitops} "${WORK}/timings.txt"
mkdir -p "${WORK}"/{contracts,src,render}
TIMINGS=${WORK}/timings.txt
figure() {
  printf '%-58s %s\n' "$1" "$2" | tee -a "$TIMINGS" >&2
}
now() { date +%s.%N; }

GP=${WORK}/goldenpath
(cd "$GOLDENPATH_ROOT" && GOWORK=off nice "$GO" build -o "$GP" ./cmd/goldenpath)
PLATFORM=${WORK}/platform.yaml
cp "$GOLDENPATH_KPACK_PLATFORM" "$PLATFORM"
NS=$(yq -r '.environments.dev.namespace' "$PLATFORM")
BUILD_NS=$(yq -r '.build.namespace // "goldenpath-system"' "$PLATFORM")
SECRET=$(yq -r '.build.registrySecret // "goldenpath-registry"' "$PLATFORM")
BUILDER=default

kapply() { "${KC[@]}" apply --server-side --force-conflicts --field-manager goldenpath-incluster -f "$@"; }

# --- 1. platform ------------------------------------------------------------------------------------------------
PLATFORM_KINDS='["ClusterStore","ClusterStack","ClusterLifecycle","ClusterBuilder","Namespace","ServiceAccount"]'
[[ $DEPLOY == kubectl ]] || PLATFORM_KINDS='["ClusterStore","ClusterStack","ClusterLifecycle","ClusterBuilder","Namespace","ServiceAccount","AppProject"]'
apply_platform() {
  local out=${WORK}/render/platform.yaml
  "$GP" platform render --platform "$PLATFORM" >"${out}.all"
  # shellcheck disable=SC2016 # a jq program
  yq -y --argjson kinds "$PLATFORM_KINDS" 'select(.kind as $k | $kinds | index($k))' "${out}.all" >"$out"
  kapply "$out" >&2
}
builder_ready() {
  [[ $("${KC[@]}" get clusterbuilder "$BUILDER" -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}') == True ]]
}
t=$(now)
apply_platform
# The service account names the registry Secret; credentials are never rendered: the platform provides them. This
# registry needs none, so the Secret holds a placeholder login.
for ns in "$BUILD_NS" "$NS"; do
  "${KC[@]}" -n "$ns" get secret "$SECRET" >/dev/null 2>&1 ||
    "${KC[@]}" -n "$ns" create secret docker-registry "$SECRET" --docker-server="$GOLDENPATH_REGISTRY_CLUSTER" \
      --docker-username=goldenpath --docker-password=unused >&2
done
for ((i = 0; i < TIMEOUT; i++)); do builder_ready && break; sleep 1; done
builder_ready || die "ClusterBuilder ${BUILDER} is not Ready: $("${KC[@]}" get clusterbuilder "$BUILDER" -o jsonpath='{.status.conditions}')"
figure "platform applied -> ClusterBuilder Ready" "$(elapsed "$t")s"

# --- 2. sources -------------------------------------------------------------------------------------------------
repo() { echo "kpack-sample-$1"; }
push_source() { # push_source LANG MESSAGE
  local dir=${WORK}/src/$1
  git -C "$dir" add -A
  git -C "$dir" -c user.name=goldenpath-incluster -c user.email=incluster@goldenpath.invalid commit -q -m "$2"
  git -C "$dir" push -q --force "${GOLDENPATH_GIT_URL}/$(repo "$1").git" HEAD:main
  git -C "$dir" rev-parse HEAD
}
declare -A APP CONTRACT
for lang in "${APPS[@]}"; do
  src=${GOLDENPATH_ROOT}/examples/apps/${lang}/goldenpath.yaml
  APP[$lang]=$(yq -r .application "$src")
  bare=${GOLDENPATH_GIT_ROOT}/$(repo "$lang").git
  [[ -d $bare ]] || git init -q --bare -b main "$bare"
  # kpack fetches the resolved commit by its SHA (go-git: "server does not support exact SHA1 refspec" unless the
  # server advertises allow-reachable-sha1-in-want, as GitHub and GitLab do).
  git -C "$bare" config uploadpack.allowReachableSHA1InWant true
  dir=${WORK}/src/${lang}
  mkdir -p "${dir}/examples/apps"
  git -C "$dir" init -q -b main
  cp -r "${GOLDENPATH_ROOT}/examples/apps/${lang}" "${dir}/examples/apps/${lang}"
  push_source "$lang" "sample ${lang} app" >/dev/null
  # Only the URL changes: same branch and subPath as the sample contract.
  CONTRACT[$lang]=${WORK}/contracts/${lang}.yaml
  sed -E "s|^(      url: ).*$|\1${GIT_URL_CLUSTER}/$(repo "$lang").git|" "$src" >"${CONTRACT[$lang]}"
  grep -q "url: ${GIT_URL_CLUSTER}/" "${CONTRACT[$lang]}" || die "no git url replaced in ${CONTRACT[$lang]}"
done

# --- 3. build ---------------------------------------------------------------------------------------------------
image_field() { "${KC[@]}" -n "$NS" get image.kpack.io "$1" -o jsonpath="$2" 2>/dev/null; }
image_ready() { [[ $(image_field "$1" '{.status.conditions[?(@.type=="Ready")].status}') == True ]]; }
# wait_image APP PRED...: wait until PRED (a command, given the app) holds, failing early when the Image's latest
# build failed. Prints nothing.
wait_image() {
  local app=$1 i b
  shift
  for ((i = 0; i < TIMEOUT * 2; i++)); do
    "$@" "$app" && return 0
    b=$(image_field "$app" '{.status.latestBuildRef}' || true) # the Image may not exist yet
    if [[ -n $b && $b != "${OLD_BUILD[$app]:-}" ]] && [[ $("${KC[@]}" -n "$NS" get build.kpack.io "$b" \
      -o jsonpath='{.status.conditions[?(@.type=="Succeeded")].status}' 2>/dev/null) == False ]]; then
      break
    fi
    sleep 0.5
  done
  "${KC[@]}" -n "$NS" get image.kpack.io,build.kpack.io,sourceresolver.kpack.io >&2 || true
  "${KC[@]}" -n "$NS" describe image.kpack.io "$app" | tail -n 20 >&2 || true
  b=$(image_field "$app" '{.status.latestBuildRef}')
  [[ -z $b ]] || "${KC[@]}" -n "$NS" logs "pod/${b}-build-pod" --all-containers --tail 30 >&2 || true
  die "Image ${NS}/${app} did not get there"
}
latest() { image_field "$1" '{.status.latestImage}'; }
# new_build APP [REVISION]: true when the Image's latest Build is not OLD_BUILD[APP], succeeded (for REVISION when given),
# and the Image is Ready with that Build's image as its latestImage. (The Image's Ready condition alone can still be
# the previous build's for a moment after a new Build is made.)
new_build() {
  local b fields
  b=$(image_field "$1" '{.status.latestBuildRef}')
  [[ -n $b && $b != "${OLD_BUILD[$1]:-}" ]] || return 1
  fields=$("${KC[@]}" -n "$NS" get build.kpack.io "$b" -o json 2>/dev/null | jq -r \
    '[(.status.conditions[]? | select(.type == "Succeeded") | .status), .spec.source.git.revision // "-", .status.latestImage // "-"] | join(" ")')
  read -r succeeded revision built <<<"$fields"
  [[ $succeeded == True ]] && [[ -z ${2:-} || $revision == "$2" ]] && image_ready "$1" && [[ $(latest "$1") == "$built" ]]
}
built_from() { new_build "$1" "${REV[$1]}"; }
build_seconds() { # build_seconds APP: the latest Build, creation to Succeeded, and each step's seconds
  local b
  b=$(image_field "$1" '{.status.latestBuildRef}')
  "${KC[@]}" -n "$NS" get build.kpack.io "$b" -o json | jq -r '
    def secs(a; b): (b | fromdateiso8601) - (a | fromdateiso8601);
    .metadata.creationTimestamp as $created
    | (.status.conditions[] | select(.type == "Succeeded") | .lastTransitionTime) as $done
    | [.status.stepsCompleted, [.status.stepStates[].terminated | secs(.startedAt; .finishedAt)]] | transpose
    | map("\(.[0]) \(.[1])") | join(", ") as $steps
    | "\(secs($created; $done))s [\($steps)]"' 2>/dev/null || echo "?"
}
declare -A REV OLD_BUILD
# --- GitOps repository (Argo CD mode) ---------------------------------------------------------------------------
# The platform's GitOps repository for dev, as Argo CD reaches it, is a repository of the git server: a fresh history
# is pushed to it each run (the first commit below), then promote commits go on top.
GITOPS=${WORK}/gitops
ARGO_APPS=()
if [[ $DEPLOY == argocd ]]; then
  gitops_url=$(yq -r '.environments.dev.gitops.repoURL' "$PLATFORM")
  [[ $gitops_url == "${GOLDENPATH_GIT_URL_CLUSTER}/"* ]] ||
    die "the platform's GitOps repository ${gitops_url} is not on the git server (${GOLDENPATH_GIT_URL_CLUSTER}): re-run hack/setup-kpack.sh"
  GITOPS_REPO=${gitops_url#"${GOLDENPATH_GIT_URL_CLUSTER}/"}
  [[ -d ${GOLDENPATH_GIT_ROOT}/${GITOPS_REPO} ]] || git init -q --bare --initial-branch=main "${GOLDENPATH_GIT_ROOT}/${GITOPS_REPO}"
  git init -q -b main "$GITOPS"
  git -C "$GITOPS" remote add origin "${GOLDENPATH_GIT_URL}/${GITOPS_REPO}"
  for lang in "${APPS[@]}"; do ARGO_APPS+=("${APP[$lang]}-dev"); done
fi
# gitops_push MESSAGE: commit the GitOps tree and push it; false when nothing changed.
gitops_push() {
  git -C "$GITOPS" add -A
  git -C "$GITOPS" diff --cached --quiet && return 1
  git -C "$GITOPS" -c user.name=goldenpath-incluster -c user.email=incluster@goldenpath.invalid commit -q -m "$1"
  git -C "$GITOPS" push -q --force origin HEAD:main
}
# refresh: ask Argo CD to compare with git now (what a Git webhook to argocd-server does; without it Argo CD polls
# every timeout.reconciliation, 5 s in hack/setup-argocd.sh).
refresh() {
  local a
  for a in "${ARGO_APPS[@]}"; do
    "${KC[@]}" -n "$GOLDENPATH_ARGOCD_NAMESPACE" annotate --overwrite application "$a" argocd.argoproj.io/refresh=normal >/dev/null
  done
}

if step build && [[ $DEPLOY == argocd ]]; then
  # A fresh start: what a previous run left (INCLUSTER_KEEP=1, the kubectl mode) goes first.
  for lang in "${APPS[@]}"; do
    "${KC[@]}" -n "$GOLDENPATH_ARGOCD_NAMESPACE" delete application "${APP[$lang]}-dev" --ignore-not-found --wait --timeout 180s >&2
    "${KC[@]}" -n "$NS" delete image.kpack.io,deployment,service,ingress -l "app.kubernetes.io/name=${APP[$lang]}" \
      --ignore-not-found --wait --timeout 180s >&2
  done
  for lang in "${APPS[@]}"; do
    app=${APP[$lang]}
    REV[$app]=$(git -C "${WORK}/src/${lang}" rev-parse HEAD)
    OLD_BUILD[$app]=$(image_field "$app" '{.status.latestBuildRef}' || true)
  done
  t=$(now) T_FIRST=$(now)
  "$GP" render --platform "$PLATFORM" --out "$GITOPS" "${WORK}/contracts" 2>/dev/null
  gitops_push "the sample apps, as their contracts say"
  for lang in "${APPS[@]}"; do
    kapply "${GITOPS}/argocd/dev/${APP[$lang]}.yaml" >&2
  done
  for lang in "${APPS[@]}"; do
    app=${APP[$lang]}
    wait_image "$app" built_from
    figure "first build ${app} (GitOps commit -> Image Ready)" "$(elapsed "$t")s; build $(build_seconds "$app")"
    log "${app}: $(latest "$app")"
  done
elif step build; then
  for lang in "${APPS[@]}"; do
    app=${APP[$lang]}
    "$GP" render --platform "$PLATFORM" "${CONTRACT[$lang]}" >"${WORK}/render/${app}.all"
    yq -y 'select(.kind == "Image" and (.apiVersion | startswith("kpack.io/")))' "${WORK}/render/${app}.all" >"${WORK}/render/${app}-image.yaml"
    [[ -s ${WORK}/render/${app}-image.yaml ]] || die "no kpack Image rendered for ${CONTRACT[$lang]}"
    REV[$app]=$(git -C "${WORK}/src/${lang}" rev-parse HEAD)
    # A first build: an Image left by an earlier run goes first (the registry cache image stays).
    "${KC[@]}" -n "$NS" delete image.kpack.io "$app" --ignore-not-found --wait >/dev/null
    OLD_BUILD[$app]=""
    t=$(now)
    kapply "${WORK}/render/${app}-image.yaml" >&2
    wait_image "$app" built_from
    figure "first build ${app} (apply -> Ready)" "$(elapsed "$t")s; build $(build_seconds "$app")"
    log "${app}: $(latest "$app")"
  done
fi

# --- 4. run -----------------------------------------------------------------------------------------------------
# runs_latest APP: every pod of the app's Deployment (not its kpack build pods) runs the Image's latestImage.
runs_latest() {
  local pods
  pods=$("${KC[@]}" -n "$NS" get pods -l "app.kubernetes.io/name=${1}" -o json |
    jq -r '[.items[] | select(.metadata.deletionTimestamp == null and .metadata.ownerReferences[0].kind == "ReplicaSet")
      | .spec.containers[0].image] | unique | join(" ")')
  [[ $pods == "$(latest "$1")" ]]
}
# deploy APP LANG: apply the runtime Deployment + Service pinned to the Image's latestImage; wait for the rollout.
deploy() {
  if [[ $DEPLOY == argocd ]]; then
    "$GP" promote --platform "$PLATFORM" --out "$GITOPS" --kubeconfig "$GOLDENPATH_KUBECONFIG" "${CONTRACT[$2]}" >&2
    gitops_push "promote ${1}: $(latest "$1")" || log "${1}: the GitOps tree is already on $(latest "$1")"
    refresh
    return 0
  fi
  local app=$1 lang=$2 out=${WORK}/render/${1}-run.yaml
  "$GP" render --platform "$PLATFORM" --image "${app}=$(latest "$app")" "${CONTRACT[$lang]}" |
    yq -y 'select(.kind == "Deployment" or .kind == "Service")' >"$out"
  kapply "$out" >/dev/null
  "${KC[@]}" -n "$NS" rollout status "deployment/${app}" --timeout "${TIMEOUT}s" >/dev/null
}
answer() { "${KC[@]}" get --raw "/api/v1/namespaces/${NS}/services/${1}:http/proxy/" 2>/dev/null; }
# wait_answer APP TEXT: poll GET / until the answer contains TEXT.
wait_answer() {
  local i
  for ((i = 0; i < 120; i++)); do
    [[ $(answer "$1") == *"$2"* ]] && return 0
    sleep 0.5
  done
  die "${1} does not answer '${2}' (got: $(answer "$1"))"
}
if step run; then
  for lang in "${APPS[@]}"; do
    app=${APP[$lang]}
    t=$(now)
    deploy "$app" "$lang"
    for ((i = 0; i < TIMEOUT * 2; i++)); do runs_latest "$app" && break; sleep 0.5; done
    runs_latest "$app" || die "${app} does not run $(latest "$app")"
    wait_answer "$app" "hello from goldenpath ${lang} app"
    figure "deploy ${app} (promote/apply -> pinned, answers HTTP)" "$(elapsed "$t")s"
    [[ $DEPLOY == kubectl ]] || figure "first deploy ${app} (first GitOps commit -> pinned, answers HTTP)" "$(elapsed "$T_FIRST")s"
  done
fi

# --- 5. rebuild after a commit ----------------------------------------------------------------------------------
nudge() { # nudge APP LANG
  case $NUDGE in
  resolver)
    "${KC[@]}" -n "$NS" annotate --overwrite sourceresolver.kpack.io "${1}-source" "goldenpath.io/nudge=$(date +%s%N)" >/dev/null
    ;;
  revision)
    "${KC[@]}" -n "$NS" patch image.kpack.io "$1" --type merge -p "{\"spec\":{\"source\":{\"git\":{\"revision\":\"${REV[$1]}\"}}}}" >/dev/null
    ;;
  none) ;;
  *) die "INCLUSTER_NUDGE=${NUDGE}: resolver, revision or none" ;;
  esac
}
if step rebuild; then
  for lang in "${APPS[@]}"; do
    app=${APP[$lang]}
    text="hello from goldenpath ${lang} app (commit $(date +%s))"
    dir=${WORK}/src/${lang}/examples/apps/${lang}
    grep -rl "hello from goldenpath ${lang} app" "$dir" | xargs sed -i "s|hello from goldenpath ${lang} app|${text}|"
    OLD_BUILD[$app]=$(image_field "$app" '{.status.latestBuildRef}')
    t=$(now)
    REV[$app]=$(push_source "$lang" "change the answer")
    nudge "$app" "$lang"
    wait_image "$app" built_from
    built=$(elapsed "$t")
    created=$("${KC[@]}" -n "$NS" get build.kpack.io "$(image_field "$app" '{.status.latestBuildRef}')" \
      -o jsonpath='{.metadata.creationTimestamp}')
    figure "rebuild ${app} (push -> Build made, nudge ${NUDGE})" \
      "$(awk -v s="$t" -v c="$(date -d "$created" +%s)" 'BEGIN { d = c - s; if (d < 1) print "<1"; else printf "%.0f", d }')s (API timestamps: 1 s resolution)"
    figure "rebuild ${app} (push -> Ready, nudge ${NUDGE})" "${built}s; build $(build_seconds "$app")"
    if step run; then
      deploy "$app" "$lang"
      wait_answer "$app" "$text"
      figure "rebuild ${app} (push -> new version answers HTTP)" "$(elapsed "$t")s"
    fi
    # the rendered Image again, as the contract says (a revision nudge pinned it to the commit); with Argo CD, its
    # self-heal puts the Image of the GitOps tree back by itself
    [[ $NUDGE != revision || $DEPLOY == argocd ]] || kapply "${WORK}/render/${app}-image.yaml" >/dev/null
  done
fi

# --- 6. rebase onto a patched run image -------------------------------------------------------------------------
# updater_up: the goldenpath CLI in an image (FROM scratch), pushed, and run as examples/platform/stack-updater.yaml
# with the platform file in a ConfigMap; waits for the rollout and the first round.
updater_up() {
  local ctx ref
  ctx=$(mktemp -d)
  (cd "$GOLDENPATH_ROOT" && CGO_ENABLED=0 GOWORK=off nice "$GO" build -trimpath -o "${ctx}/goldenpath" ./cmd/goldenpath)
  printf 'FROM scratch\nCOPY goldenpath /goldenpath\nUSER 65532\n' >"${ctx}/Dockerfile"
  DOCKER_BUILDKIT=1 logged incluster-updater-image "$DOCKER" build -t "${GOLDENPATH_REGISTRY}/goldenpath/goldenpath:incluster" "$ctx"
  rm -rf "$ctx"
  logged incluster-updater-push "$DOCKER" push "${GOLDENPATH_REGISTRY}/goldenpath/goldenpath:incluster"
  ref=$("$DOCKER" image inspect -f '{{index .RepoDigests 0}}' "${GOLDENPATH_REGISTRY}/goldenpath/goldenpath:incluster")
  "${KC[@]}" -n "$BUILD_NS" create configmap goldenpath-platform --from-file=platform.yaml="$PLATFORM" --dry-run=client -o yaml |
    kapply - >&2
  sed -e "s|@IMAGE@|${ref}|" -e "s|@ARGS@|, \"--watch\", \"1s\", \"--insecure-registry\", \"${GOLDENPATH_REGISTRY_CLUSTER}\"|" \
    "${GOLDENPATH_ROOT}/examples/platform/stack-updater.yaml" | kapply - >&2
  "${KC[@]}" -n "$BUILD_NS" rollout restart deployment/goldenpath-stack-updater >/dev/null # a new platform ConfigMap
  "${KC[@]}" -n "$BUILD_NS" rollout status deployment/goldenpath-stack-updater --timeout "${TIMEOUT}s" >&2
  stack_on "" # the first round pinned the current digests
}
# stack_on DIGEST: wait until the ClusterStack's run image is pinned to DIGEST (any digest when empty).
stack_on() {
  local i cur
  for ((i = 0; i < 120; i++)); do
    cur=$("${KC[@]}" get clusterstack "$BUILDER" -o jsonpath='{.spec.runImage.image}')
    [[ $cur == *@"${1:-sha256:}"* ]] && return 0
    sleep 0.25
  done
  "${KC[@]}" -n "$BUILD_NS" logs deployment/goldenpath-stack-updater --tail 20 >&2 || true
  die "the ClusterStack's run image is ${cur}, not pinned to ${1:-a digest}"
}
if step rebase; then
  host_run=${GOLDENPATH_KPACK_RUN_IMAGE_HOST}
  for lang in "${APPS[@]}"; do OLD_BUILD[${APP[$lang]}]=$(image_field "${APP[$lang]}" '{.status.latestBuildRef}'); done
  # kpack does not watch run images: goldenpath's stack updater runs in the cluster as the Deployment of
  # examples/platform/stack-updater.yaml (checking every second here) and moves the ClusterStack to the new digest.
  # Its first round pins the ClusterStack to the current digests; then the patch is pushed.
  updater_up
  for lang in "${APPS[@]}"; do OLD_BUILD[${APP[$lang]}]=$(image_field "${APP[$lang]}" '{.status.latestBuildRef}'); done
  t=$(now)
  PATCH="incluster-$(date +%s)"
  digest=$(PATCH_ID="$PATCH" bash "${GOLDENPATH_ROOT}/hack/patch-run-image.sh" "$host_run" | tail -n1)
  [[ $digest == sha256:* ]] || die "hack/patch-run-image.sh printed no digest: ${digest}"
  patched=$(elapsed "$t")
  stack_on "$digest"
  t2=$(now)
  figure "update-stacks Deployment (patch pushed -> ClusterStack on it)" "$(elapsed "$t")s"
  "${KC[@]}" -n "$BUILD_NS" logs deployment/goldenpath-stack-updater >&2
  rebased() { # the latest build is new, done, and for the new stack
    new_build "$1" && [[ $(image_field "$1" '{.status.latestBuildReason}') == *STACK* ]]
  }
  for lang in "${APPS[@]}"; do
    wait_image "${APP[$lang]}" rebased
    figure "rebase ${APP[$lang]} (ClusterStack updated -> Ready)" "$(elapsed "$t2")s"
  done
  figure "rebase all (patch pushed -> every Image rebased)" "$(elapsed "$t")s (patch+push ${patched}s)"
  for lang in "${APPS[@]}"; do
    app=${APP[$lang]}
    if step run; then deploy "$app" "$lang"; fi
    log "${app}: $(latest "$app") reason $(image_field "$app" '{.status.latestBuildReason}')"
  done
  # patched APP: every pod of the app's Deployment (not its kpack build pods) runs the rebased image, which holds
  # the patch.
  patched() {
    runs_latest "$1" && [[ $("${KC[@]}" -n "$NS" exec "deployment/${1}" -- cat /etc/goldenpath-patch 2>/dev/null) == "$PATCH" ]]
  }
  if step run; then
    for lang in "${APPS[@]}"; do
      app=${APP[$lang]}
      for ((i = 0; i < TIMEOUT * 2; i++)); do patched "$app" && break; sleep 0.5; done
      patched "$app" || die "${app} does not run on the patched run image (/etc/goldenpath-patch: '$("${KC[@]}" -n "$NS" exec "deployment/${app}" -- cat /etc/goldenpath-patch 2>&1)')"
      wait_answer "$app" "hello from goldenpath ${lang} app"
    done
    figure "rebase all (patch pushed -> every app serving on it)" "$(elapsed "$t")s"
  fi
  if [[ $RESTORE == 1 ]]; then
    restored=$(bash "${GOLDENPATH_ROOT}/hack/patch-run-image.sh" --restore "$host_run" | tail -n1)
    stack_on "$restored" # the updater moves the ClusterStack back
  fi
fi
if [[ $KEEP != 1 ]]; then
  "${KC[@]}" -n "$BUILD_NS" delete deployment goldenpath-stack-updater --ignore-not-found >&2
fi
if [[ $DEPLOY == argocd && $KEEP != 1 ]]; then
  # Argo CD's finalizer on each Application deletes what it deployed (kpack Images included).
  for a in "${ARGO_APPS[@]}"; do
    "${KC[@]}" -n "$GOLDENPATH_ARGOCD_NAMESPACE" delete application "$a" --ignore-not-found --wait --timeout 180s >&2
  done
fi
log "in-cluster golden path: OK; timings in ${TIMINGS}:"
cat "$TIMINGS" >&2
