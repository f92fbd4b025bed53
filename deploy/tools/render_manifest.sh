#!/usr/bin/env bash
# Renders deploy/latticegw.yaml: the chart with its default values (and SET-ME for the required AWS
# identity), for `kubectl apply` users
# (namespace latticegw-system, release name latticegw). tests/unit/deploy/test_manifest.py checks
# that the committed file is what this script writes. An argument writes elsewhere.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
out="${1:-$root/deploy/latticegw.yaml}"
helm="$(bash "$root/deploy/tools/build_helm.sh" | sed -n 's/^HELM=//p')"
{
  echo "# latticegw: rendered from deploy/chart/latticegw with its default values by deploy/tools/render_manifest.sh."
  echo "# Do not edit here: copy it, replace every SET-ME (REGION, AWS_ACCOUNT_ID, CLUSTER_VPC_ID, CLUSTER_NAME in the"
  echo "# Deployment; the controller refuses to start with them; empty ones are discovered from instance metadata)"
  echo "# and the image, then: kubectl apply --server-side -f <copy>"
  echo "---"
  echo "apiVersion: v1"
  echo "kind: Namespace"
  echo "metadata:"
  echo "  name: latticegw-system"
  "$helm" template latticegw "$root/deploy/chart/latticegw" --namespace latticegw-system --include-crds \
      --skip-schema-validation --set aws.region=SET-ME --set aws.accountId=SET-ME \
      --set aws.clusterVpcId=SET-ME --set aws.clusterName=SET-ME \
    | grep -v '^# Source: '
} > "$out"
