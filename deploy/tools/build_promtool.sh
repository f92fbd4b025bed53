#!/usr/bin/env bash
# Builds the pinned promtool from its Go module, once per version, into the cache `make test`
# uses (like helm and kube-apiserver); a warm cache returns at once. Prints PROMTOOL=<path>.
#
#   $LATTICEGW_CACHE/promtool-$PROMETHEUS_VERSION/promtool
#
# tests/unit/deploy/test_observability.py checks the chart's PrometheusRule with `promtool check
# rules` and unit-tests each alert with `promtool test rules`.
set -euo pipefail
PROMETHEUS_VERSION="${PROMETHEUS_VERSION:-v0.316.0}"
cache="${LATTICEGW_CACHE:-$HOME/.cache/latticegw}"
dir="$cache/promtool-$PROMETHEUS_VERSION"
# One build at a time: make, tests and several checkouts share this cache, and two builds into one
# .tmp directory delete each other's output. A second caller waits, then finds the cache warm.
mkdir -p "$cache"
exec 9>"$cache/.promtool.lock"
flock 9

if [[ ! -x "$dir/promtool" ]]; then
  command -v go >/dev/null || { echo "build_promtool.sh: the Go toolchain is required to build promtool" >&2; exit 1; }
  echo "build_promtool.sh: building promtool $PROMETHEUS_VERSION (first run: a few minutes)" >&2
  start=$(date +%s)
  rm -rf "$dir.tmp" && mkdir -p "$dir.tmp"
  (cd "$dir.tmp" && GOBIN="$dir.tmp" GOFLAGS=-mod=mod CGO_ENABLED=0 \
      go install -trimpath -ldflags "-s -w" "github.com/prometheus/prometheus/cmd/promtool@$PROMETHEUS_VERSION")
  rm -rf "$dir" && mv "$dir.tmp" "$dir"
  echo "build_promtool.sh: built in $(( $(date +%s) - start ))s" >&2
fi
echo "PROMTOOL=$dir/promtool"
