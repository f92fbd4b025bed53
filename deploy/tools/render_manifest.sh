#!/usr/bin/env bash
# Renders deploy/latticegw.yaml: the chart with its default values, for `kubectl apply` users
# (namespace latticegw-system, release name latticegw). tests/unit/deploy/test_manifest.py checks
# that the committed file is what this script writes. An argument writes elsewhere.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
out="${1:-$root/deploy/latticegw.yaml}"
helm="$(bash "$root/deploy/tools/build_helm.sh" | sed -n 's/^HELM=//p')"
{
  echo "# latticegw: rendered from deploy/chart/latticegw with its default values by deploy/tools/render_manifest.sh."
  echo "# Do not edit. Set at least REGION, AWS_ACCOUNT_ID, CLUSTER_VPC_ID and CLUSTER_NAME in the Deployment"
  echo "# (or use the chart), then: kubectl apply --server-side -f deploy/latticegw.yaml"
  echo "---"
  echo "apiVersion: v1"
  echo "kind: Namespace"
  echo "metadata:"
  echo "  name: latticegw-system"
  "$helm" template latticegw "$root/deploy/chart/latticegw" --namespace latticegw-system --include-crds \
    | grep -v '^# Source: '
} > "$out"
