#!/usr/bin/env python3
"""Writes deploy/iam-policy.json: the least-privilege IAM policy for the AWS calls latticegw makes.

    python deploy/tools/gen_iam_policy.py           # rewrite deploy/iam-policy.json
    python deploy/tools/gen_iam_policy.py --check   # exit 1 if the committed file is out of date

The actions are derived from the code, not written by hand: every AWS operation name that appears
as a string literal in `lattice/` (outside the emulator) - `client.call("CreateService", ...)`,
`client.paginate("ListTargets", ...)`, `client.acm("ListCertificates")`, the operation names plan.py
puts on its operations - is matched against botocore's service models for VPC Lattice, ACM, the
Resource Groups Tagging API and EC2, and becomes `<prefix>:<Operation>`. Some Lattice operations
also need permissions on other services when they run (AWS documents them under "Amazon VPC
Lattice API permissions"); DEPENDENCIES adds those only for operations the code calls.
tests/unit/deploy/test_iam_policy.py fails when the committed policy and the code disagree.
"""

from __future__ import annotations

import ast
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
POLICY = ROOT / "deploy" / "iam-policy.json"
SCAN = ROOT / "lattice"
SKIP = ("emulator",)

# botocore service name -> IAM action prefix
SERVICES = {"vpc-lattice": "vpc-lattice", "acm": "acm", "resourcegroupstaggingapi": "tag", "ec2": "ec2"}

# https://docs.aws.amazon.com/vpc-lattice/latest/ug/additional-api-permissions.html (IP targets only;
# latticegw never registers instances, ALBs or Lambda functions).
DEPENDENCIES: dict[str, tuple[str, ...]] = {
    "CreateServiceNetworkVpcAssociation": ("ec2:DescribeVpcs", "ec2:DescribeSecurityGroups"),
    "UpdateServiceNetworkVpcAssociation": ("ec2:DescribeSecurityGroups",),
    "CreateTargetGroup": ("ec2:DescribeVpcs",),
    "RegisterTargets": ("ec2:DescribeVpcs", "ec2:DescribeSubnets"),
    "CreateAccessLogSubscription": (
        "logs:CreateLogDelivery", "logs:GetLogDelivery", "logs:DescribeLogGroups", "logs:PutResourcePolicy",
        "logs:DescribeResourcePolicies", "s3:GetBucketPolicy", "s3:PutBucketPolicy", "firehose:TagDeliveryStream",
    ),
    "UpdateAccessLogSubscription": (
        "logs:UpdateLogDelivery", "logs:GetLogDelivery", "logs:DescribeLogGroups", "logs:PutResourcePolicy",
        "logs:DescribeResourcePolicies", "s3:GetBucketPolicy", "s3:PutBucketPolicy", "firehose:TagDeliveryStream",
    ),
    "DeleteAccessLogSubscription": ("logs:DeleteLogDelivery", "logs:GetLogDelivery", "logs:ListLogDeliveries"),
}

# The first Lattice resource (and the first log delivery) in an account creates a service-linked role.
SERVICE_LINKED_ROLES = {
    "vpc-lattice.amazonaws.com": (
        "AWSServiceRoleForVpcLattice", ("CreateServiceNetwork", "CreateService", "CreateTargetGroup"),
    ),
    "delivery.logs.amazonaws.com": ("AWSServiceRoleForLogDelivery", ("CreateAccessLogSubscription",)),
}


def operations() -> dict[str, set[str]]:
    """{botocore service: operation names the code references}."""
    import botocore.session

    session = botocore.session.get_session()
    known = {svc: set(session.get_service_model(svc).operation_names) for svc in SERVICES}
    literals: set[str] = set()
    for path in sorted(SCAN.rglob("*.py")):
        if any(part in SKIP for part in path.relative_to(SCAN).parts):
            continue
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                literals.add(node.value)
    found = {svc: literals & ops for svc, ops in known.items()}
    # An operation name several services share (TagResource...) belongs to Lattice unless the code
    # references it through that service's client; our only other clients are ACM (ListCertificates,
    # DescribeCertificate...), EC2 (Describe*) and the Tagging API (GetResources...).
    shared = found["vpc-lattice"]
    for svc in ("acm", "ec2", "resourcegroupstaggingapi"):
        found[svc] -= shared
    return found


def actions() -> dict[str, list[str]]:
    ops = operations()
    lattice = ops["vpc-lattice"]
    read = sorted(f"vpc-lattice:{o}" for o in lattice if o.startswith(("Get", "List")))
    write = sorted(f"vpc-lattice:{o}" for o in lattice if not o.startswith(("Get", "List")))
    other = sorted(f"{SERVICES[svc]}:{o}" for svc in ("acm", "ec2", "resourcegroupstaggingapi") for o in ops[svc])
    deps = sorted({a for o in lattice for a in DEPENDENCIES.get(o, ())} - set(other))
    return {"read": read, "write": write, "other": other, "dependencies": deps}


def policy() -> dict:
    acts = actions()
    statements = []
    if acts["read"]:
        statements.append({"Sid": "LatticeRead", "Effect": "Allow", "Action": acts["read"], "Resource": "*"})
    if acts["write"]:
        statements.append({"Sid": "LatticeWrite", "Effect": "Allow", "Action": acts["write"], "Resource": "*"})
    if acts["other"]:
        statements.append({"Sid": "Discovery", "Effect": "Allow", "Action": acts["other"], "Resource": "*"})
    if acts["dependencies"]:
        statements.append(
            {"Sid": "LatticeDependencies", "Effect": "Allow", "Action": acts["dependencies"], "Resource": "*"}
        )
    lattice_ops = {a.split(":", 1)[1] for a in acts["write"]}
    for service, (role, triggers) in SERVICE_LINKED_ROLES.items():
        if lattice_ops & set(triggers):
            statements.append({
                "Sid": "ServiceLinkedRole" + role.removeprefix("AWSServiceRoleFor"),
                "Effect": "Allow",
                "Action": "iam:CreateServiceLinkedRole",
                "Resource": f"arn:aws:iam::*:role/aws-service-role/{service}/{role}",
                "Condition": {"StringLike": {"iam:AWSServiceName": service}},
            })
    return {"Version": "2012-10-17", "Statement": statements}


def render() -> str:
    return json.dumps(policy(), indent=2) + "\n"


def main(argv: list[str]) -> int:
    text = render()
    if "--check" in argv:
        if not POLICY.exists() or POLICY.read_text() != text:
            print(f"{POLICY} is out of date: run python deploy/tools/gen_iam_policy.py")
            return 1
        return 0
    POLICY.write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
