#!/usr/bin/env bash
# Builds the pinned Helm 3 CLI from its Go module, once per version, into the cache that
# `make test` uses; a warm cache returns at once. Prints HELM=<path>.
#
#   $LATTICEGW_CACHE/helm-$HELM_VERSION/helm      (LATTICEGW_CACHE defaults to ~/.cache/latticegw)
#
# Helm installs with `go install` (its go.mod has no replace directives), so no release tarball
# and no other download channel is needed: only the Go module proxy the kube-apiserver build uses.
# Cold cost (empty module and build caches): ~300 CPU-seconds and ~1.2 GB of caches; measured 11 min
# wall at nice 10 on a 2-core machine busy with other builds, i.e. a few minutes on an idle one.
set -euo pipefail
HELM_VERSION="${HELM_VERSION:-v3.21.4}"
cache="${LATTICEGW_CACHE:-$HOME/.cache/latticegw}"
dir="$cache/helm-$HELM_VERSION"
# One build at a time: make, tests and several checkouts share this cache, and two builds into one
# .tmp directory delete each other's output. A second caller waits, then finds the cache warm.
mkdir -p "$cache"
exec 9>"$cache/.helm.lock"
flock 9

if [[ ! -x "$dir/helm" ]]; then
  command -v go >/dev/null || { echo "build_helm.sh: the Go toolchain is required to build helm" >&2; exit 1; }
  echo "build_helm.sh: building helm $HELM_VERSION (first run: a few minutes)" >&2
  start=$(date +%s)
  rm -rf "$dir.tmp" && mkdir -p "$dir.tmp"
  # Stamp the versions the way Helm's Makefile does: its own, and the Kubernetes version that
  # `helm template` and `helm lint` assume (from the client-go it links: v0.M.m -> 1.m), which is
  # otherwise a stale built-in default (v1.20).
  gomod="$(go mod download -json "helm.sh/helm/v3@$HELM_VERSION" | python3 -c 'import json,sys; print(json.load(sys.stdin)["GoMod"])')"
  k8s_minor="$(awk '$1 == "k8s.io/client-go" {split($2, v, "."); print v[2]}' "$gomod")"
  ldflags="-s -w -X helm.sh/helm/v3/internal/version.version=$HELM_VERSION"
  ldflags+=" -X helm.sh/helm/v3/internal/version.gitTreeState=clean"
  for pkg in helm.sh/helm/v3/pkg/chartutil helm.sh/helm/v3/pkg/lint/rules; do
    ldflags+=" -X $pkg.k8sVersionMajor=1 -X $pkg.k8sVersionMinor=$k8s_minor"
  done
  (cd "$dir.tmp" && GOBIN="$dir.tmp" GOFLAGS=-mod=mod CGO_ENABLED=0 \
      go install -trimpath -ldflags "$ldflags" "helm.sh/helm/v3/cmd/helm@$HELM_VERSION")
  rm -rf "$dir" && mv "$dir.tmp" "$dir"
  echo "build_helm.sh: built in $(( $(date +%s) - start ))s" >&2
fi
echo "HELM=$dir/helm"
