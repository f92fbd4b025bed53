"""Annotations the controller writes on objects as output (not user input).

They are results, like status: a change to them can never change the desired model, so
the event handlers ignore them and our own writes do not wake the object again.
"""

from controller.progress import ANNOTATION as PROGRESS
from translate.gateway import DOMAIN_ANNOTATION
from translate.model import ROUTE_KINDS

# Written on routes, as the AWS controller does. The DNS name is also the Gateway's address
# (translate reads it for that), so a change of it wakes the route's Gateways, not the route.
LATTICE_DOMAIN = DOMAIN_ANNOTATION
LATTICE_SERVICE_ARN = "application-networking.k8s.aws/lattice-service-arn"

# Written on a Gateway: the service networks (comma-separated names) whose auth policy and
# authType AWS_IAM came from an IAMAuthPolicy on it. Gateways only look their networks up, so
# without this record a model without a policy could not tell "ours, remove it" from "someone
# else's, leave it"; with it, deleting the IAMAuthPolicy undoes what it did.
AUTH_POLICY_APPLIED = "latticegw.io/auth-policy-applied"

OUTPUT_ANNOTATIONS = frozenset({PROGRESS, LATTICE_DOMAIN, LATTICE_SERVICE_ARN, AUTH_POLICY_APPLIED})

# The kinds we write output annotations on (a metadata patch each: RBAC must allow it).
ANNOTATED_KINDS = frozenset({"Gateway", *ROUTE_KINDS, "ServiceExport"})
