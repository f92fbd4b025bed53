#!/usr/bin/env bash
# Builds the official Gateway API conformance suite (the Go module
# sigs.k8s.io/gateway-api/conformance at GATEWAY_API_VERSION, the version of the CRDs the
# tests install) into a test binary, once per version. Idempotent: a warm cache returns at once.
#
# Output (LATTICEGW_CACHE defaults to ~/.cache/latticegw):
#   $LATTICEGW_CACHE/gateway-api-conformance-$GATEWAY_API_VERSION/conformance.test
# and on stdout SUITE=<that binary> and SUITE_SRC=<the module's sources> (read by
# tests/conformance/catalog.py to tell traffic tests from status tests).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
# shellcheck disable=SC1091
source "$here/../kube/versions.env"
cache="${LATTICEGW_CACHE:-$HOME/.cache/latticegw}"
out_dir="$cache/gateway-api-conformance-$GATEWAY_API_VERSION"
# One build at a time: make, tests and several checkouts share this cache, and two builds into one
# .tmp directory delete each other's output. A second caller waits, then finds the cache warm.
mkdir -p "$cache"
exec 9>"$cache/.conformance.lock"
flock 9
module="sigs.k8s.io/gateway-api/conformance"

command -v go >/dev/null || { echo "conformance/build.sh: the Go toolchain is required to build the suite" >&2; exit 1; }
# The wrapper module pins the suite; it must be the version of the CRDs under test.
if ! grep -q "^require $module $GATEWAY_API_VERSION\$" "$here/suite/go.mod"; then
  echo "conformance/build.sh: tests/conformance/suite/go.mod does not pin $module $GATEWAY_API_VERSION;" \
       "run: cd tests/conformance/suite && go mod edit -require=$module@$GATEWAY_API_VERSION" \
       "-replace=sigs.k8s.io/gateway-api=sigs.k8s.io/gateway-api@$GATEWAY_API_VERSION && go mod tidy" >&2
  exit 1
fi

if [[ ! -x "$out_dir/conformance.test" ]]; then
  echo "conformance/build.sh: building the Gateway API $GATEWAY_API_VERSION conformance suite (first run: a few minutes)" >&2
  start=$(date +%s)
  mkdir -p "$out_dir"
  (cd "$here/suite" && go test -c -o "$out_dir/conformance.test.tmp" .)
  mv "$out_dir/conformance.test.tmp" "$out_dir/conformance.test"
  echo "conformance/build.sh: built in $(( $(date +%s) - start ))s" >&2
fi
src="$(cd "$here/suite" && go mod download -json "$module@$GATEWAY_API_VERSION" \
      | python3 -c 'import json,sys; print(json.load(sys.stdin)["Dir"])')"
echo "SUITE=$out_dir/conformance.test"
echo "SUITE_SRC=$src"
