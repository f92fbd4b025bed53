#!/usr/bin/env bash
# Builds kube-apiserver and etcd from Go modules and copies the official Gateway API
# CRDs into the cache, once per pinned version. Idempotent: a warm cache returns at once.
#
# Output layout (LATTICEGW_CACHE defaults to ~/.cache/latticegw):
#   $LATTICEGW_CACHE/kube-$KUBERNETES_VERSION/{kube-apiserver,etcd}
#   $LATTICEGW_CACHE/gateway-api-$GATEWAY_API_VERSION/{standard,experimental}/*.yaml
#   $LATTICEGW_CACHE/external-dns-$EXTERNAL_DNS_VERSION/dnsendpoints.externaldns.k8s.io.yaml
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
# shellcheck disable=SC1091
source "$here/versions.env"
cache="${LATTICEGW_CACHE:-$HOME/.cache/latticegw}"
kube_dir="$cache/kube-$KUBERNETES_VERSION"
crd_dir="$cache/gateway-api-$GATEWAY_API_VERSION"
edns_dir="$cache/external-dns-$EXTERNAL_DNS_VERSION"
# One build at a time: make, tests and several checkouts share this cache, and two builds into one
# .tmp directory delete each other's output. A second caller waits, then finds the cache warm.
mkdir -p "$cache"
exec 9>"$cache/.kube.lock"
flock 9

command -v go >/dev/null || { echo "build.sh: the Go toolchain is required to build kube-apiserver" >&2; exit 1; }

if [[ ! -x "$kube_dir/kube-apiserver" || ! -x "$kube_dir/etcd" ]]; then
  echo "build.sh: building kube-apiserver $KUBERNETES_VERSION and etcd $ETCD_VERSION (first run: several minutes)" >&2
  mkdir -p "$kube_dir.tmp"
  start=$(date +%s)
  # Stamp the version the way Kubernetes' own build does, so /version tells the truth.
  minor="${KUBERNETES_VERSION#v1.}"; minor="${minor%%.*}"
  ldflags="-X k8s.io/component-base/version.gitVersion=$KUBERNETES_VERSION"
  ldflags+=" -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=$minor"
  ldflags+=" -X k8s.io/component-base/version.gitTreeState=clean"
  (cd "$here" && go build -trimpath -ldflags "$ldflags" -o "$kube_dir.tmp/kube-apiserver" ./cmd/kube-apiserver \
              && go build -trimpath -o "$kube_dir.tmp/etcd" ./cmd/etcd)
  rm -rf "$kube_dir" && mv "$kube_dir.tmp" "$kube_dir"
  echo "build.sh: built in $(( $(date +%s) - start ))s" >&2
fi

if [[ ! -d "$crd_dir/standard" ]]; then
  src="$(cd "$here" && go mod download -json "sigs.k8s.io/gateway-api@$GATEWAY_API_VERSION" \
        | python3 -c 'import json,sys; print(json.load(sys.stdin)["Dir"])')"
  mkdir -p "$crd_dir.tmp"
  for channel in standard experimental; do
    mkdir -p "$crd_dir.tmp/$channel"
    # Only the CustomResourceDefinitions; the kustomization and the
    # ValidatingAdmissionPolicy files are not CRDs.
    for f in "$src/config/crd/$channel"/*.yaml; do
      grep -q '^kind: CustomResourceDefinition' "$f" && cp "$f" "$crd_dir.tmp/$channel/"
    done
  done
  chmod -R u+w "$crd_dir.tmp"
  rm -rf "$crd_dir" && mv "$crd_dir.tmp" "$crd_dir"
fi
if [[ ! -f "$edns_dir/dnsendpoints.externaldns.k8s.io.yaml" ]]; then
  src="$(cd "$here" && go mod download -json "sigs.k8s.io/external-dns@$EXTERNAL_DNS_VERSION" \
        | python3 -c 'import json,sys; print(json.load(sys.stdin)["Dir"])')"
  mkdir -p "$edns_dir"
  cp "$src/config/crd/standard/dnsendpoints.externaldns.k8s.io.yaml" "$edns_dir/.tmp.yaml"
  chmod u+w "$edns_dir/.tmp.yaml" && mv "$edns_dir/.tmp.yaml" "$edns_dir/dnsendpoints.externaldns.k8s.io.yaml"
fi
echo "KUBE_DIR=$kube_dir"
echo "CRD_DIR=$crd_dir"
echo "DNSENDPOINT_CRD=$edns_dir/dnsendpoints.externaldns.k8s.io.yaml"
