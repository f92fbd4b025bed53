"""The EC2 instance the controller runs on, as far as it can ask: IMDSv2 and EC2 DescribeTags.

The AWS controller (and latticegw) discover REGION, AWS_ACCOUNT_ID, CLUSTER_VPC_ID and CLUSTER_NAME
from instance metadata when they are unset: an IMDSv2 token (PUT /latest/api/token), then
meta-data paths, then EC2 DescribeTags on the instance id for the `aws:eks:cluster-name` tag.
Serving both on the emulator's port (loopback) lets that path run for real in tests:

    imds.py   /latest/...: token PUT (TTL 1-21600 s, no X-Forwarded-For), token-gated GETs
    ec2.py    POST / Action=DescribeTags (EC2 query protocol, XML), filters on the instance's tags

`EmulatorConfig.instance` describes the instance (ids, MAC, VPC, tags); the account and region
default to the emulator's.
"""

from . import ec2, imds

__all__ = ["ec2", "imds"]
