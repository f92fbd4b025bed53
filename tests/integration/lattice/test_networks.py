"""Service networks: lookup, create/adopt, conflicts; SNVA, auth policy, access logs; service auth/ALS."""

from __future__ import annotations

import asyncio
from dataclasses import replace

from lattice.config import BucketSpec
from lattice.errors import NotFound
from lattice.networks import SN_LOOKUP_INTERVAL
from tests.integration.lattice.conftest import (
    MANAGED_BY,
    ManualClock,
    converge,
    example_objects,
    translate_objects,
)
from tests.integration.lattice.helpers import route
from translate.frozen import freeze
from translate.model import AccessLogSubscription, AuthPolicy, ServiceNetwork, Source, VpcAssociation
from translate.tags import MANAGED_BY as MB

OWN = freeze({MB: MANAGED_BY})
CR = Source("ServiceNetwork", "", "team-net")
VPC = "vpc-00000000000000000"
POLICY = '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"}]}'
LOGS = "arn:aws:logs:us-west-2:123456789012:log-group:my-logs"
S3 = "arn:aws:s3:::my-bucket"


def managed_sn(**kw) -> ServiceNetwork:
    base = dict(name="team-net", sources=(CR,), managed=True, tags=OWN, fingerprint="fp1")
    base.update(kw)
    return ServiceNetwork(**base)


async def test_lookup_only_network_not_found_then_found(make_sync, ctl):
    clock = ManualClock()
    sync = await make_sync(sync={"clock": clock})
    gw = ServiceNetwork(name="my-hotel", sources=(Source("Gateway", "default", "my-hotel"),), managed=False)
    res = await sync.ensure_service_network(gw)
    assert not res.found and res.errors and res.writes == 0
    await sync.client.call("CreateServiceNetwork", name="my-hotel")
    clock.advance(SN_LOOKUP_INTERVAL + 0.1)  # a lookup lists networks again at most this often
    res = await sync.ensure_service_network(gw)
    assert res.found and res.converged and res.writes == 0 and res.id.startswith("sn-")
    await ctl.reset_calls()
    res = await sync.ensure_service_network(gw)
    assert res.converged and (await ctl.calls())["total"] == 0
    # deleting a looked-up network's Gateway never deletes the network
    res = await sync.delete_service_network(gw)
    assert res.writes == 0
    assert [s["name"] for s in (await ctl.partition())["serviceNetworks"]] == ["my-hotel"]


async def test_managed_network_with_vpc_association_auth_and_access_logs(make_sync, ctl):
    sync = await make_sync()
    sn = managed_sn(
        auth_type="AWS_IAM", auth_policy=AuthPolicy(Source("IAMAuthPolicy", "ns", "p"), POLICY),
        vpc_association=VpcAssociation(Source("VpcAssociationPolicy", "ns", "v"), VPC, ("sg-00000001",), OWN),
        access_log_subscriptions=(AccessLogSubscription(Source("AccessLogPolicy", "ns", "a"), LOGS, "logs", OWN),))
    for _ in range(10):
        res = await sync.ensure_service_network(sn)
        if res.converged:
            break
    assert res.converged, res
    part = await ctl.partition()
    (net,) = part["serviceNetworks"]
    assert net["name"] == "team-net" and net["authType"] == "AWS_IAM" and net["tags"][MB] == MANAGED_BY
    (va,) = part["serviceNetworkVpcAssociations"]
    assert va["vpcId"] == VPC and va["securityGroupIds"] == ["sg-00000001"]
    (als,) = part["accessLogSubscriptions"]
    assert als["destinationArn"] == LOGS
    assert part["authPolicies"]
    await ctl.reset_calls()
    assert (await sync.ensure_service_network(sn)).converged
    assert (await ctl.calls())["total"] == 0  # converged: free
    # change: new security group, log destination moves to S3, auth removed
    sn2 = replace(sn, auth_type="NONE", auth_policy=None,
                  vpc_association=replace(sn.vpc_association, security_group_ids=("sg-00000002",)),
                  access_log_subscriptions=(AccessLogSubscription(Source("AccessLogPolicy", "ns", "a"), S3, "s3", OWN),))
    for _ in range(10):
        res = await sync.ensure_service_network(sn2)
        if res.converged:
            break
    part = await ctl.partition()
    assert part["serviceNetworks"][0]["authType"] == "NONE"
    assert part["serviceNetworkVpcAssociations"][0]["securityGroupIds"] == ["sg-00000002"]
    assert [a["destinationArn"] for a in part["accessLogSubscriptions"]] == [S3]
    # delete: association and subscriptions first, then the network
    for _ in range(10):
        res = await sync.delete_service_network(sn2)
        if res.converged or not res.in_progress:
            break
    for _ in range(5):
        res = await sync.delete_service_network(sn2)
    part = await ctl.partition()
    assert part.get("serviceNetworks", []) == [] and part.get("serviceNetworkVpcAssociations", []) == []


async def test_managed_network_of_another_owner_is_a_conflict(make_sync, ctl):
    sync = await make_sync()
    await sync.client.call("CreateServiceNetwork", name="team-net", tags={MB: "someone/else/vpc-2"})
    fresh = await make_sync()
    res = await fresh.ensure_service_network(managed_sn())
    assert res.conflicts and res.writes == 0
    res = await fresh.delete_service_network(managed_sn())
    assert res.writes == 0
    assert len((await ctl.partition())["serviceNetworks"]) == 1


async def test_untagged_managed_network_is_used_but_never_adopted_or_deleted(make_sync, ctl):
    """Someone's network without an owner tag, same name as a ServiceNetwork object: used, but not
    tagged (adopting it made it ours, and deleting the object then deleted their network)."""
    sync = await make_sync()
    await sync.client.call("CreateServiceNetwork", name="team-net")
    fresh = await make_sync()
    res = await fresh.ensure_service_network(managed_sn())
    assert res.converged and not res.owned and res.calls["TagResource"] == 0
    assert MB not in (await ctl.partition())["serviceNetworks"][0]["tags"]
    res = await fresh.delete_service_network(managed_sn())
    assert "DeleteServiceNetwork" not in res.calls
    assert [n["name"] for n in (await ctl.partition())["serviceNetworks"]] == ["team-net"]
    # tagged with our ManagedBy by its owner (the explicit hand-over): ours from then on
    (net,) = (await ctl.partition())["serviceNetworks"]
    await sync.client.call("TagResource", resourceArn=net["arn"], tags={MB: MANAGED_BY})
    handed = await make_sync()
    assert (await handed.ensure_service_network(managed_sn())).owned
    await handed.delete_service_network(managed_sn())
    assert (await ctl.partition())["serviceNetworks"] == []


async def test_vpc_already_associated_elsewhere_is_a_conflict(make_sync, ctl):
    sync = await make_sync()
    other = await sync.client.call("CreateServiceNetwork", name="other-net")
    await sync.client.call("CreateServiceNetworkVpcAssociation", serviceNetworkIdentifier=other["id"],
                           vpcIdentifier=VPC)
    fresh = await make_sync()
    sn = managed_sn(vpc_association=VpcAssociation(Source("Config", "", "DEFAULT_SERVICE_NETWORK"), VPC, (), OWN))
    res = await fresh.ensure_service_network(sn)
    assert [c.kind for c in res.conflicts] == ["vpc_association"]


async def test_service_auth_policy_and_access_logs(make_sync, ctl):
    sync = await make_sync()
    await sync.client.call("CreateServiceNetwork", name="my-hotel")
    await sync.inventory.refresh_service_networks()
    t = translate_objects(example_objects("my-hotel"))
    src = route("default", "rates")
    (svc,) = t.services_of(src)
    svc = replace(svc, auth_type="AWS_IAM", auth_policy=AuthPolicy(Source("IAMAuthPolicy", "default", "p"), POLICY),
                  access_log_subscriptions=(AccessLogSubscription(Source("AccessLogPolicy", "default", "a"), LOGS,
                                                                  "logs", OWN),))
    t2 = replace(t, services=(svc,), target_groups=t.target_groups_of(src), service_networks=())
    await converge(sync, t2)
    part = await ctl.partition()
    (s,) = part["services"]
    assert s["authType"] == "AWS_IAM"
    got = await sync.client.call("GetAuthPolicy", resourceIdentifier=s["id"])
    assert got["policy"] == POLICY and got["state"] == "Active"
    assert [a["destinationArn"] for a in part["accessLogSubscriptions"]] == [LOGS]
    # restart: hydration reads the policy and the subscription; nothing to write
    fresh = await make_sync()
    res = await fresh.apply_source(src, (svc,), t.target_groups_of(src))
    assert res.converged and res.writes == 0
    # remove both
    plain = t.services_of(src)[0]
    await converge(fresh, replace(t2, services=(plain,)))
    part = await ctl.partition()
    assert part["services"][0]["authType"] == "NONE" and part["accessLogSubscriptions"] == []
    try:
        await sync.client.call("GetAuthPolicy", resourceIdentifier=s["id"])
        raise AssertionError("auth policy still there")
    except NotFound:
        pass


async def test_certificate_discovery_for_custom_domain(make_sync, ctl, lattice_emulator):
    """ACM discovery against the emulator's ACM: a real certificate for the custom domain is found
    and set on the service (no ARN given anywhere)."""
    import aioboto3

    from lattice.certificates import CertificateFinder
    from tests.tlsmaterial import certificate

    crt, key = certificate(("rates.example.com",))
    async with aioboto3.Session().client("acm", **lattice_emulator.client_kwargs()) as acm:
        cert = (await acm.import_certificate(Certificate=crt.encode(), PrivateKey=key.encode()))["CertificateArn"]
    sync = await make_sync(acm_endpoint_url=lattice_emulator.url)
    await sync.client.close()
    sync.client.with_acm = True
    await sync.client.open()
    sync.certificates = CertificateFinder(sync.client)
    t = translate_objects(example_objects("my-hotel"))
    src = route("default", "rates")
    (svc,) = t.services_of(src)
    https = replace(svc.listeners[0], protocol="HTTPS", port=443, name="rates-default-443-https")
    svc = replace(svc, custom_domain_name="rates.example.com", listeners=(https,), associations=())
    await converge(sync, replace(t, services=(svc,), target_groups=t.target_groups_of(src), service_networks=()))
    (s,) = (await ctl.partition())["services"]
    assert s["certificateArn"] == cert and s["customDomainName"] == "rates.example.com"
    assert sync.client.calls["ListCertificates"] == 1


async def test_managed_network_delete_waits_for_associations(make_sync, ctl):
    sync = await make_sync()
    assert (await sync.ensure_service_network(managed_sn())).converged
    svc = await sync.client.call("CreateService", name="someone-elses")
    net = (await ctl.partition())["serviceNetworks"][0]
    await sync.client.call("CreateServiceNetworkServiceAssociation", serviceIdentifier=svc["id"],
                           serviceNetworkIdentifier=net["id"])
    res = await sync.delete_service_network(managed_sn())
    assert res.in_progress and res.requeue_after is not None  # Lattice refuses while associated
    assert len((await ctl.partition())["serviceNetworks"]) == 1
    (snsa,) = (await ctl.partition())["serviceNetworkServiceAssociations"]
    await sync.client.call("DeleteServiceNetworkServiceAssociation",
                           serviceNetworkServiceAssociationIdentifier=snsa["id"])
    for _ in range(5):
        res = await sync.delete_service_network(managed_sn())
        if res.converged or not res.in_progress:
            break
    assert (await ctl.partition()).get("serviceNetworks", []) == []


async def test_inventory_load_pages_through_large_accounts(make_sync, ctl):
    fast = {"read": BucketSpec(1000, 1000), "write": BucketSpec(1000, 1000), "tag": BucketSpec(1000, 1000)}
    sync = await make_sync(buckets=fast)
    await asyncio.gather(*(sync.client.call("CreateService", name=f"bulk-{i:03d}") for i in range(130)))
    await ctl.reset_calls()
    fresh = await make_sync(buckets=fast)
    calls = (await ctl.calls())["calls"]
    assert len(fresh.inventory.services) == 130
    assert calls["ListServices"] == 2 and calls["ListTagsForResource"] == 130


async def test_auth_policy_on_a_looked_up_network_and_its_removal(make_sync, ctl):
    sync = await make_sync()
    await sync.client.call("CreateServiceNetwork", name="my-hotel")
    fresh = await make_sync()
    gw = ServiceNetwork(name="my-hotel", sources=(Source("Gateway", "default", "my-hotel"),), managed=False,
                        auth_type="AWS_IAM", auth_policy=AuthPolicy(Source("IAMAuthPolicy", "default", "p"), POLICY))
    assert (await fresh.ensure_service_network(gw)).converged
    assert (await ctl.partition())["serviceNetworks"][0]["authType"] == "AWS_IAM"
    # without a policy in the model, a looked-up network's auth is left alone ...
    plain = replace(gw, auth_type="NONE", auth_policy=None)
    res = await fresh.ensure_service_network(plain)
    assert res.writes == 0 and (await ctl.partition())["serviceNetworks"][0]["authType"] == "AWS_IAM"
    # ... until the reconciler of the removed IAMAuthPolicy says so
    res = await fresh.remove_service_network_auth(gw)
    assert res.calls["UpdateServiceNetwork"] == 1 and res.calls["DeleteAuthPolicy"] == 1
    assert (await ctl.partition())["serviceNetworks"][0]["authType"] == "NONE"
    assert (await fresh.remove_service_network_auth(gw)).writes == 0
