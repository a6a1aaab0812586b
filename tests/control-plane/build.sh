#!/usr/bin/env bash
# Builds a Kubernetes control plane and its companions from upstream sources through the Go
# module proxy, and caches the binaries under ~/.cache/sluice/ (a second run reuses them):
#   control-plane/<k8s>/kube-apiserver, kube-controller-manager, kube-scheduler  (k8s.io/kubernetes)
#   control-plane/<k8s>/kubectl, only when asked for: the benchmarks' reference  (k8s.io/kubernetes)
#   etcd/<etcd>/etcd                                                            (go.etcd.io/etcd/server/v3)
#   kwok/<kwok>/kwok                                                            (sigs.k8s.io/kwok)
#   helm/<helm>/helm                                                            (helm.sh/helm/v3)
#   actionlint/<actionlint>/actionlint                                          (github.com/rhysd/actionlint)
# k8s.io/kubernetes is required as a module; its staging modules are replaced by their published
# v0.X.Y versions, read from its own go.mod. Each component is built in a module of its own, so
# each gets exactly the dependency versions its upstream go.mod asks for.
#
# Usage: build.sh [component…]   (components: kube-apiserver kube-controller-manager
#                                  kube-scheduler etcd kwok helm actionlint; default: all;
#                                  also kubectl, for the benchmarks)
# Prints where each binary is, and how long each build took. Exits non-zero naming the
# component that could not be built.
set -euo pipefail
# Pinned versions (override through the environment to try another).
K8S_VERSION=${K8S_VERSION:-v1.33.1}
# etcd 3.6 is supported by Kubernetes 1.33 (its etcd client is 3.5, which speaks to 3.6 servers).
ETCD_VERSION=${ETCD_VERSION:-v3.6.16}
KWOK_VERSION=${KWOK_VERSION:-v0.8.0}
HELM_VERSION=${HELM_VERSION:-v3.22.0}
ACTIONLINT_VERSION=${ACTIONLINT_VERSION:-v1.7.12}

ROOT_CACHE=${SLUICE_CACHE:-$HOME/.cache/sluice}
ALL=(kube-apiserver kube-controller-manager kube-scheduler etcd kwok helm actionlint)

# Where a component's binary lives.
binary_path() {
  case "$1" in
    kube-apiserver|kube-controller-manager|kube-scheduler|kubectl) echo "$ROOT_CACHE/control-plane/$K8S_VERSION/$1" ;;
    etcd) echo "$ROOT_CACHE/etcd/$ETCD_VERSION/etcd" ;;
    kwok) echo "$ROOT_CACHE/kwok/$KWOK_VERSION/kwok" ;;
    helm) echo "$ROOT_CACHE/helm/$HELM_VERSION/helm" ;;
    actionlint) echo "$ROOT_CACHE/actionlint/$ACTIONLINT_VERSION/actionlint" ;;
    *) echo "unknown component: $1 (known: ${ALL[*]})" >&2; return 1 ;;
  esac
}

if [ "${1:-}" = "--path" ]; then binary_path "$2"; exit; fi
WANTED=("${ALL[@]}")
if [ $# -gt 0 ]; then WANTED=("$@"); fi
missing=()
for c in "${WANTED[@]}"; do
  p=$(binary_path "$c")
  if [ -x "$p" ] && { [ "$c" != kwok ] || [ -s "${p%/*}/stages.yaml" ]; }; then echo "$c: cached $p"; else missing+=("$c"); fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

# kwok v0.8.0, etcd v3.6.16 and helm v3.22.0 declare `go 1.26.0`.
GO_TOOLCHAIN=${GO_TOOLCHAIN_VERSION:-go1.26.8}
go_recent() {
  command -v go >/dev/null || return 1
  local v
  v=$(go env GOVERSION 2>/dev/null) || return 1
  v=${v#go}
  [ "$(printf '%s\n' 1.26 "${v%%[-+ ]*}" | sort -V | head -n1)" = 1.26 ]
}
# Go itself: the machine's, else Debian's golang-go (too old to build these, but enough to fetch
# the pinned toolchain, which is a module on the Go module proxy: golang.org/toolchain).
ensure_go() {
  if ! command -v go >/dev/null && [ -x /usr/local/go/bin/go ]; then PATH=/usr/local/go/bin:$PATH; fi
  local cached="$ROOT_CACHE/go/$GO_TOOLCHAIN"
  if [ -x "$cached/bin/go" ] && ! go_recent; then PATH=$cached/bin:$PATH; fi
  if go_recent && [ -z "${SLUICE_FETCH_GO:-}" ]; then return 0; fi
  if ! command -v go >/dev/null; then
    echo "Go is missing: installing Debian's golang-go to fetch Go $GO_TOOLCHAIN"
    bash "$(dirname "${BASH_SOURCE[0]}")/../scripts/apt-install.sh" golang-go ca-certificates \
      || { echo "FAILED: cannot build ${missing[*]}: Go is missing and golang-go could not be installed" >&2; exit 1; }
  fi
  echo "Go $(go env GOVERSION) is older than 1.26: fetching $GO_TOOLCHAIN from the Go module proxy"
  local tmp dir
  tmp=$(mktemp -d)
  dir=$(cd "$tmp" && go mod init sluice.local/toolchain >/dev/null 2>&1 \
    && GOFLAGS=-mod=mod GOTOOLCHAIN=local go mod download -json "golang.org/toolchain@v0.0.1-$GO_TOOLCHAIN.linux-$(go env GOARCH)" \
    | sed -n 's/.*"Dir": "\(.*\)".*/\1/p')
  rm -rf "$tmp"
  if [ -z "$dir" ] || [ ! -f "$dir/bin/go" ]; then
    echo "FAILED: cannot build ${missing[*]}: Go $GO_TOOLCHAIN could not be fetched from the Go module proxy" >&2
    exit 1
  fi
  # Module files are stored read-only and without exec bits: copy, then mark the programs.
  rm -rf "$cached" && mkdir -p "${cached%/*}"
  cp -r "$dir" "$cached.partial" && chmod -R u+w "$cached.partial"
  chmod +x "$cached.partial"/bin/* "$cached.partial"/pkg/tool/*/*
  mv "$cached.partial" "$cached"
  PATH=$cached/bin:$PATH
  go_recent || { echo "FAILED: cannot build ${missing[*]}: the fetched Go does not run" >&2; exit 1; }
}
ensure_go
export GOTOOLCHAIN=local
echo "using $(go version)"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failed=()

# Builds the listed packages of one module, in a fresh module that requires it.
# $1 module, $2 version, $3 out dir, $4 ldflags, then pairs of (binary name, package).
build_in_module() {
  local module=$1 version=$2 out=$3 ldflags=$4
  shift 4
  local dir
  dir=$(mktemp -d "$work/mod.XXXX")
  (
    cd "$dir"
    go mod init sluice.local/build >/dev/null 2>&1
    go mod edit -require="$module@$version"
    if [ -n "${REPLACES:-}" ]; then printf '%s\n' "$REPLACES" >> go.mod; fi
    {
      echo '//go:build tools'
      echo
      echo 'package tools'
      echo
      echo 'import ('
      local i
      for ((i = 2; i <= $#; i += 2)); do echo "	_ \"${!i}\""; done
      echo ')'
    } > tools.go
    go mod tidy >/dev/null
    mkdir -p "$out"
    while [ $# -gt 0 ]; do
      local name=$1 pkg=$2
      shift 2
      local start=$SECONDS
      echo "building $name ($module $version) …"
      if CGO_ENABLED=0 go build -trimpath -ldflags="-s -w $ldflags" -o "$out/$name.partial" "$pkg"; then
        mv "$out/$name.partial" "$out/$name"
        echo "built $name in $((SECONDS - start)) s → $out/$name"
      else
        echo "FAILED: $name ($module $version) did not build" >&2
        return 1
      fi
    done
  )
}

want() { local c; for c in "${missing[@]}"; do [ "$c" = "$1" ] && return 0; done; return 1; }

# --- kube-apiserver, kube-controller-manager, kube-scheduler -------------------------------------
kube=()
for b in kube-apiserver kube-controller-manager kube-scheduler kubectl; do
  if want "$b"; then kube+=("$b" "k8s.io/kubernetes/cmd/$b"); fi
done
if [ ${#kube[@]} -gt 0 ]; then
  staging=v0.${K8S_VERSION#v1.}
  gomod=$(go mod download -json "k8s.io/kubernetes@$K8S_VERSION" | sed -n 's/.*"GoMod": "\(.*\)".*/\1/p')
  k8s_replaces=$(
    echo "replace ("
    sed -n 's#^\s*\(k8s.io/[a-z0-9-]*\) => ./staging/src/k8s.io/.*#\t\1 => \1 '"$staging"'#p' "$gomod"
    echo ")"
  )
  minor=${K8S_VERSION#v1.}; minor=${minor%%.*}
  # Stamp the version the way Kubernetes' own build does, so clients see a real server version.
  stamp="-X k8s.io/component-base/version.gitVersion=$K8S_VERSION -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=$minor -X k8s.io/component-base/version.gitTreeState=clean"
  # Only this module gets the replacements (kwok and helm need their own, newer k8s.io modules).
  REPLACES=$k8s_replaces build_in_module k8s.io/kubernetes "$K8S_VERSION" "$ROOT_CACHE/control-plane/$K8S_VERSION" "$stamp" "${kube[@]}" \
    || failed+=("kubernetes $K8S_VERSION (${kube[*]})")
fi

# --- etcd: the server module's main package ------------------------------------------------------
if want etcd; then
  build_in_module go.etcd.io/etcd/server/v3 "$ETCD_VERSION" "$ROOT_CACHE/etcd/$ETCD_VERSION" "" \
    etcd go.etcd.io/etcd/server/v3 || failed+=("etcd $ETCD_VERSION")
fi

# --- kwok: the controller that plays kubelet for fake nodes --------------------------------------
if want kwok; then
  # Its fast node and pod stages (from the same module version): nodes become Ready and keep
  # a heartbeat; pods are scheduled, Running and Ready at once, and go away when deleted.
  src=$(go mod download -json "sigs.k8s.io/kwok@$KWOK_VERSION" | sed -n 's/.*"Dir": "\(.*\)".*/\1/p')
  mkdir -p "$ROOT_CACHE/kwok/$KWOK_VERSION"
  for f in node/fast/node-initialize node/heartbeat/node-heartbeat pod/fast/pod-ready pod/fast/pod-complete pod/fast/pod-delete; do
    echo "---"
    cat "$src/kustomize/stage/$f.yaml"
  done > "$ROOT_CACHE/kwok/$KWOK_VERSION/stages.yaml"
  build_in_module sigs.k8s.io/kwok "$KWOK_VERSION" "$ROOT_CACHE/kwok/$KWOK_VERSION" \
    "-X sigs.k8s.io/kwok/pkg/consts.Version=${KWOK_VERSION#v}" \
    kwok sigs.k8s.io/kwok/cmd/kwok || failed+=("kwok $KWOK_VERSION")
fi

# --- helm ----------------------------------------------------------------------------------------
if want helm; then
  build_in_module helm.sh/helm/v3 "$HELM_VERSION" "$ROOT_CACHE/helm/$HELM_VERSION" \
    "-X helm.sh/helm/v3/internal/version.version=$HELM_VERSION -X helm.sh/helm/v3/internal/version.gitTreeState=clean" \
    helm helm.sh/helm/v3/cmd/helm || failed+=("helm $HELM_VERSION")
fi

# --- actionlint: checks the shipped GitHub Actions workflow ---------------------------------------
if want actionlint; then
  build_in_module github.com/rhysd/actionlint "$ACTIONLINT_VERSION" "$ROOT_CACHE/actionlint/$ACTIONLINT_VERSION" \
    "-X github.com/rhysd/actionlint.version=$ACTIONLINT_VERSION" \
    actionlint github.com/rhysd/actionlint/cmd/actionlint || failed+=("actionlint $ACTIONLINT_VERSION")
fi

if [ ${#failed[@]} -gt 0 ]; then
  for f in "${failed[@]}"; do echo "FAILED to build: $f" >&2; done
  exit 1
fi
