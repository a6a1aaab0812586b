#!/usr/bin/env bash
# Builds a Kubernetes control plane from upstream sources through the Go module proxy and caches
# the binaries under ~/.cache/sluice/control-plane/<version>/ (a second run reuses them).
# k8s.io/kubernetes is required as a module; its staging modules are replaced by their published
# v0.X.Y versions, read from its own go.mod.
set -euo pipefail
K8S_VERSION=${K8S_VERSION:-v1.33.1}
STAGING_VERSION=v0.${K8S_VERSION#v1.}
CACHE=${SLUICE_CACHE:-$HOME/.cache/sluice}/control-plane/$K8S_VERSION
BINARIES=(kube-apiserver kube-controller-manager kube-scheduler)

if [ -n "${1:-}" ]; then BINARIES=("$@"); fi
missing=()
for b in "${BINARIES[@]}"; do [ -x "$CACHE/$b" ] || missing+=("$b"); done
if [ ${#missing[@]} -eq 0 ]; then
  echo "control plane $K8S_VERSION: cached in $CACHE"
  exit 0
fi
command -v go >/dev/null || { echo "Go is missing: install it (golang from your distribution or go.dev)" >&2; exit 1; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
go mod init sluice.local/control-plane >/dev/null 2>&1
gomod=$(go mod download -json "k8s.io/kubernetes@$K8S_VERSION" | sed -n 's/.*"GoMod": "\(.*\)".*/\1/p')
{
  echo "require k8s.io/kubernetes $K8S_VERSION"
  echo "replace ("
  sed -n 's#^\s*\(k8s.io/[a-z0-9-]*\) => ./staging/src/k8s.io/.*#\t\1 => \1 '"$STAGING_VERSION"'#p' "$gomod"
  echo ")"
} >> go.mod
cat > tools.go <<'GO'
//go:build tools

package tools

import (
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
	_ "k8s.io/kubernetes/cmd/kube-controller-manager"
	_ "k8s.io/kubernetes/cmd/kube-scheduler"
)
GO
go mod tidy >/dev/null 2>&1 || true
mkdir -p "$CACHE"
for b in "${missing[@]}"; do
  start=$(date +%s)
  echo "building $b $K8S_VERSION …"
  # Stamp the version the way Kubernetes' own build does, so clients see a real server version.
  minor=${K8S_VERSION#v1.}; minor=${minor%%.*}
  stamp="-X k8s.io/component-base/version.gitVersion=$K8S_VERSION -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=$minor -X k8s.io/component-base/version.gitTreeState=clean"
  CGO_ENABLED=0 go build -trimpath -ldflags="-s -w $stamp" -o "$CACHE/$b" "k8s.io/kubernetes/cmd/$b"
  echo "built $b in $(( $(date +%s) - start )) s"
done
echo "control plane $K8S_VERSION: built into $CACHE"
