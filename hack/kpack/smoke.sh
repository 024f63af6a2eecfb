#!/usr/bin/env bash
# smoke.sh: kpack builds the sample apps in the kind cluster from goldenpath's own rendered objects, applied unchanged.
#   1. platform  goldenpath platform render --platform $GOLDENPATH_KPACK_PLATFORM; the ClusterStore, ClusterStack,
#                ClusterLifecycle, ClusterBuilder, Namespaces and ServiceAccounts applied as rendered (the AppProjects
#                and the PrometheusRule need Argo CD and the Prometheus operator: left out); waits for the builder
#   2. sources   each sample app (examples/apps/<lang>, same layout) pushed to its own repository on the git server of
#                hack/setup-git.sh; a copy of its contract with spec.source.git.url pointing there, as pods reach it
#                (https through the TLS front of hack/setup-kpack.sh: contracts refuse http:// git URLs)
#   3. build     goldenpath render of the copy; its kpack Image applied as rendered; waits for Ready + latestImage
#   4. run       goldenpath render --image APP=<latestImage>: Deployment and Service applied; the app answers GET /
#                through the API server's service proxy
#   5. rebuild   a commit changing the app's answer; kpack polls git every 60 s, so it is nudged (SMOKE_NUDGE:
#                resolver = touch an annotation of the Image's SourceResolver [default], revision = set the Image's
#                spec.source.git.revision to the commit, none = wait for the poll); time until the new image serves
#   6. rebase    hack/patch-run-image.sh patches kpack's run image (goldenpath/kpack/run, pushed under the same tag);
#                the platform re-rendered with the run image pinned to the new digest and its ClusterStack re-applied;
#                time until every Image's latestImage runs on the patched run image (kpack rebases, reason STACK)
# Prints the timings and writes them to $GOLDENPATH_CACHE/kpack/smoke/timings.txt. Needs hack/setup.sh,
# setup-kind.sh, setup-git.sh and setup-kpack.sh. SMOKE_APPS="go nodejs python" picks the apps; SMOKE_STEPS (default
# "build run rebuild rebase") the steps after 1-2; SMOKE_RESTORE=1 (default) puts the original run image back at the end.
#
#   bash hack/kpack/smoke.sh
set -euo pipefail
# shellcheck source=hack/lib.sh source-path=SCRIPTDIR/..
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
for f in env.sh kind/env.sh kpack/env.sh git/env.sh; do
  [[ -f ${GOLDENPATH_CACHE}/${f} ]] || die "no ${GOLDENPATH_CACHE}/${f}: run hack/setup.sh, setup-kind.sh, setup-git.sh, setup-kpack.sh"
  # shellcheck source=/dev/null
  source "${GOLDENPATH_CACHE}/${f}"
done
read -r -a APPS <<<"${SMOKE_APPS:-go nodejs python}"
read -r -a STEPS <<<"${SMOKE_STEPS:-build run rebuild rebase}"
NUDGE=${SMOKE_NUDGE:-resolver}
RESTORE=${SMOKE_RESTORE:-1}
TIMEOUT=${SMOKE_TIMEOUT:-600}
WORK=${GOLDENPATH_CACHE}/kpack/smoke
KC=("$GOLDENPATH_KUBECTL" --kubeconfig "$GOLDENPATH_KUBECONFIG")
GO=$(command -v go || echo /usr/local/go/bin/go)
# Contracts take https:// git URLs only: pods clone through the TLS front of hack/setup-kpack.sh.
GIT_URL_CLUSTER=${GOLDENPATH_KPACK_GIT_URL_CLUSTER:?no git server for pods: run hack/setup-git.sh, then hack/setup-kpack.sh}
step() { [[ " ${STEPS[*]} " == *" $1 "* ]]; }

rm -rf "${WORK:?}"/{contracts,src,render} "${WORK}/timings.txt"
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

kapply() { "${KC[@]}" apply --server-side --force-conflicts --field-manager goldenpath-smoke -f "$@"; }

# --- 1. platform ------------------------------------------------------------------------------------------------
PLATFORM_KINDS='["ClusterStore","ClusterStack","ClusterLifecycle","ClusterBuilder","Namespace","ServiceAccount"]'
apply_platform() {
  local out=${WORK}/render/platform-$1.yaml
  "$GP" platform render --platform "$2" >"${out}.all"
  # shellcheck disable=SC2016 # a jq program
  yq -y --argjson kinds "$PLATFORM_KINDS" 'select(.kind as $k | $kinds | index($k))' "${out}.all" >"$out"
  kapply "$out" >&2
}
builder_ready() {
  [[ $("${KC[@]}" get clusterbuilder "$BUILDER" -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}') == True ]]
}
t=$(now)
apply_platform initial "$PLATFORM"
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
  git -C "$dir" -c user.name=goldenpath-smoke -c user.email=smoke@goldenpath.invalid commit -q -m "$2"
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
    b=$(image_field "$app" '{.status.latestBuildRef}')
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
if step build; then
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
# deploy APP LANG: apply the runtime Deployment + Service pinned to the Image's latestImage; wait for the rollout.
deploy() {
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
    wait_answer "$app" "hello from goldenpath ${lang} app"
    figure "deploy ${app} (apply -> answers HTTP)" "$(elapsed "$t")s"
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
  *) die "SMOKE_NUDGE=${NUDGE}: resolver, revision or none" ;;
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
    # the rendered Image again, as the contract says (a revision nudge pinned it to the commit)
    [[ $NUDGE != revision ]] || kapply "${WORK}/render/${app}-image.yaml" >/dev/null
  done
fi

# --- 6. rebase onto a patched run image -------------------------------------------------------------------------
if step rebase; then
  host_run=${GOLDENPATH_KPACK_RUN_IMAGE_HOST}
  for lang in "${APPS[@]}"; do OLD_BUILD[${APP[$lang]}]=$(image_field "${APP[$lang]}" '{.status.latestBuildRef}'); done
  t=$(now)
  digest=$(PATCH_ID="kpack-smoke-$(date +%s)" bash "${GOLDENPATH_ROOT}/hack/patch-run-image.sh" "$host_run" | tail -n1)
  [[ $digest == sha256:* ]] || die "hack/patch-run-image.sh printed no digest: ${digest}"
  patched=$(elapsed "$t")
  pinned=${WORK}/platform-pinned.yaml
  run_repo=${GOLDENPATH_KPACK_RUN_IMAGE%:*}
  # shellcheck disable=SC2016 # a jq program
  yq -y --arg ref "${run_repo}@${digest}" '.builders.default.stack.runImage = $ref' "$PLATFORM" >"$pinned"
  t2=$(now)
  apply_platform pinned "$pinned"
  rebased() { # the latest build is new, done, and for the new stack
    new_build "$1" && [[ $(image_field "$1" '{.status.latestBuildReason}') == *STACK* ]]
  }
  for lang in "${APPS[@]}"; do
    wait_image "${APP[$lang]}" rebased
    figure "rebase ${APP[$lang]} (ClusterStack applied -> Ready)" "$(elapsed "$t2")s"
  done
  figure "rebase all (patch pushed -> every Image rebased)" "$(elapsed "$t")s (patch+push ${patched}s)"
  for lang in "${APPS[@]}"; do
    app=${APP[$lang]}
    if step run; then deploy "$app" "$lang"; fi
    log "${app}: $(latest "$app") reason $(image_field "$app" '{.status.latestBuildReason}')"
  done
  if step run; then
    for lang in "${APPS[@]}"; do
      app=${APP[$lang]}
      got=$("${KC[@]}" -n "$NS" exec "deployment/${app}" -- cat /etc/goldenpath-patch 2>/dev/null || true)
      [[ $got == kpack-smoke-* ]] || die "${app} does not run on the patched run image (/etc/goldenpath-patch: '${got}')"
    done
    figure "rebase all (patch pushed -> every app serving on it)" "$(elapsed "$t")s"
  fi
  if [[ $RESTORE == 1 ]]; then
    bash "${GOLDENPATH_ROOT}/hack/patch-run-image.sh" --restore "$host_run" >/dev/null
    apply_platform restored "$PLATFORM" >/dev/null 2>&1
  fi
fi
log "kpack smoke: OK; timings in ${TIMINGS}:"
cat "$TIMINGS" >&2
