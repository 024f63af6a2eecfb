# shellcheck shell=bash
# buildpack.sh: helpers shared by the goldenpath buildpacks. hack/setup-builder.sh copies this file into each
# buildpack's bin/ when it stages the builder; a buildpack sources it with
#   source "$(dirname "${BASH_SOURCE[0]}")/buildpack.sh"
# It reads the platform's build network (contract.Egress) the way every build path passes it:
#   GOLDENPATH_MIRROR_{GO,NPM,MAVEN,GEM,PYTHON}               mirror URLs (platform env)
#   GOLDENPATH_MIRROR_<X>_CREDENTIALS                         name of the binding with username and password
#   $CNB_PLATFORM_DIR/bindings/<name>/{type,...}              bindings (Kubernetes service binding layout)

GP_BUILDPACK=${GP_BUILDPACK:-goldenpath}
GP_PLATFORM=${CNB_PLATFORM_DIR:-/platform}

# gp_log MSG...: a progress line under the buildpack's header.
gp_log() { printf '     %s\n' "$*"; }

# gp_fail PHASE MSG...: a failure that names the buildpack and the phase; the tool's own error was printed above.
gp_fail() {
  local phase=$1
  shift
  printf '%s: %s failed: %s\n' "$GP_BUILDPACK" "$phase" "$*" >&2
  exit 1
}

# gp_hash FILE...: sha256 over the files that exist (missing ones count as their name), plus any literal "k=v".
gp_hash() {
  local f
  for f in "$@"; do
    if [[ -f $f ]]; then printf 'file %s %s\n' "${f##*/}" "$(sha256sum <"$f" | cut -d' ' -f1)"; else printf 'lit %s\n' "$f"; fi
  done | sha256sum | cut -d' ' -f1
}

# gp_layer_key LAYER: the key stored in <layer>.toml's [metadata] by gp_layer_toml, or nothing (the layer's files must
# have been restored too). GOLDENPATH_BP_DEBUG=1 (platform env) prints the restored toml.
gp_layer_key() {
  local toml=${CNB_LAYERS_DIR:?}/$1.toml
  [[ -f $toml && -d ${CNB_LAYERS_DIR}/$1 ]] || return 0
  [[ -n ${GOLDENPATH_BP_DEBUG:-} ]] && cat "$toml" >&2
  sed -n 's/^  key = "\(.*\)"$/\1/p' "$toml" | head -n1
}

# gp_launch_layer_key LAYER: the key of a launch-only layer of the previous image: the lifecycle restores its
# <layer>.toml but not its files; writing the toml again with launch = true and no directory reuses the layer.
gp_launch_layer_key() {
  local toml=${CNB_LAYERS_DIR:?}/$1.toml
  [[ -f $toml ]] || return 0
  sed -n 's/^  key = "\(.*\)"$/\1/p' "$toml" | head -n1
}

# gp_layer_toml LAYER KEY TYPES...: write <layer>.toml with the types (launch, build, cache) set and the key.
gp_layer_toml() {
  local layer=$1 key=$2 t
  shift 2
  {
    echo "[types]"
    for t in "$@"; do echo "  ${t} = true"; done
    echo "[metadata]"
    echo "  key = \"${key}\""
  } >"${CNB_LAYERS_DIR:?}/${layer}.toml"
}

# gp_binding_value NAME KEY: a value of binding NAME (a file in its directory), or fail naming what is missing.
gp_binding_value() {
  local dir=${GP_PLATFORM}/bindings/$1
  [[ $1 =~ ^[a-z0-9][a-z0-9.-]*$ ]] || gp_fail setup "binding name '$1' is not a Kubernetes name"
  [[ -f ${dir}/$2 ]] || gp_fail setup "binding '$1' has no '$2' (expected ${dir}/$2: the Secret the platform names must hold username and password)"
  cat "${dir}/$2"
}

# gp_mirror_credentials X: "user<TAB>password" for mirror X (GO, NPM, ...) when the platform names a credentials
# binding, else nothing.
gp_mirror_credentials() {
  local var=GOLDENPATH_MIRROR_$1_CREDENTIALS
  [[ -n ${!var:-} ]] || return 0
  printf '%s\t%s\n' "$(gp_binding_value "${!var}" username)" "$(gp_binding_value "${!var}" password)"
}

# gp_bindings_of_type TYPE: the directories of the bindings whose type is TYPE (the Kubernetes layout's "type"
# file), one per line, sorted.
gp_bindings_of_type() {
  local d
  [[ -d ${GP_PLATFORM}/bindings ]] || return 0
  for d in "${GP_PLATFORM}"/bindings/*/; do
    d=${d%/}
    [[ -f ${d}/type && $(tr -d '[:space:]' <"${d}/type") == "$1" ]] && echo "$d"
  done | LC_ALL=C sort
}

# gp_sbom OUT NAME: a CycloneDX 1.4 SBOM at OUT from tab-separated lines on stdin:
#   TYPE NAME VERSION PURL [ROLE]
# (TYPE is library or application; ROLE, when given, becomes a goldenpath:role property). Sorted, so stable.
gp_sbom() {
  python3 -c "$_GP_SBOM_PY" "$1" "$2"
}
_GP_SBOM_PY='
import json, sys
out, name = sys.argv[1], sys.argv[2]
comps, seen = [], set()
for line in sorted(sys.stdin.read().splitlines()):
    f = line.split("\t")
    if len(f) < 4 or not f[1] or (f[1], f[2]) in seen:
        continue
    seen.add((f[1], f[2]))
    c = {"type": f[0], "name": f[1], "version": f[2], "purl": f[3]}
    if len(f) > 4 and f[4]:
        c["properties"] = [{"name": "goldenpath:role", "value": f[4]}]
    comps.append(c)
doc = {"bomFormat": "CycloneDX", "specVersion": "1.4", "version": 1,
       "metadata": {"component": {"type": "application", "name": name}}, "components": comps}
with open(out, "w") as fh:
    json.dump(doc, fh, indent=1, sort_keys=True)
    fh.write("\n")
'

# gp_deb_version PKG: the installed version of a Debian package, or "unknown".
gp_deb_version() { dpkg-query -W -f='${Version}' "$1" 2>/dev/null || echo unknown; }

# gp_deb_purl PKG: the package URL of an installed Debian package.
gp_deb_purl() { printf 'pkg:deb/debian/%s@%s?arch=amd64&distro=debian-12' "$1" "$(gp_deb_version "$1")"; }

# gp_url_with_credentials URL X: URL with mirror X's credentials as user info (for tools that take them only
# there, such as pip). The result is never logged.
gp_url_with_credentials() {
  local url=$1 creds user pass
  creds=$(gp_mirror_credentials "$2")
  if [[ -z $creds ]]; then
    echo "$url"
    return 0
  fi
  IFS=$'\t' read -r user pass <<<"$creds"
  python3 -c 'import sys, urllib.parse as u
p = u.urlsplit(sys.argv[1]); q = u.quote
print(u.urlunsplit((p.scheme, q(sys.argv[2], safe="") + ":" + q(sys.argv[3], safe="") + "@" + p.netloc, p.path, p.query, p.fragment)))' \
    "$url" "$user" "$pass"
}
