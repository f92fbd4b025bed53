"""Contract tests: access logs, auth/resource policies, tagging, and wire-level behaviour."""

from __future__ import annotations

import aiohttp
import pytest

from .helpers import raises, service_with_listener

LOGS = "arn:aws:logs:us-west-2:123456789012:log-group:lattice"
BUCKET = "arn:aws:s3:::lattice-logs"
SIGNED = {
    "Authorization": "AWS4-HMAC-SHA256 Credential=test/20260101/us-west-2/vpc-lattice/aws4_request, "
                     "SignedHeaders=host;x-amz-date, Signature=" + "0" * 64,
}


async def test_access_log_subscriptions(lattice):
    sn = await lattice.create_service_network(name="logged")
    als = await lattice.create_access_log_subscription(resourceIdentifier=sn["arn"], destinationArn=LOGS)
    assert als["ResponseMetadata"]["HTTPStatusCode"] == 201 and len(als["id"]) == 21
    assert als["resourceId"] == sn["id"] and als["resourceArn"] == sn["arn"]
    async with raises("ConflictException"):
        await lattice.create_access_log_subscription(resourceIdentifier=sn["id"], destinationArn=LOGS + "-2")
    s3 = await lattice.create_access_log_subscription(resourceIdentifier=sn["id"], destinationArn=BUCKET)
    listed = await lattice.list_access_log_subscriptions(resourceIdentifier=sn["id"])
    assert [i["id"] for i in listed["items"]] == [als["id"], s3["id"]]
    async with raises("ConflictException"):  # destination type cannot change
        await lattice.update_access_log_subscription(accessLogSubscriptionIdentifier=als["id"], destinationArn=BUCKET)
    upd = await lattice.update_access_log_subscription(accessLogSubscriptionIdentifier=als["id"],
                                                       destinationArn=LOGS + "-new")
    assert upd["destinationArn"] == LOGS + "-new"
    got = await lattice.get_access_log_subscription(accessLogSubscriptionIdentifier=als["arn"])
    assert got["createdAt"] <= got["lastUpdatedAt"]
    out = await lattice.delete_access_log_subscription(accessLogSubscriptionIdentifier=als["id"])
    assert out["ResponseMetadata"]["HTTPStatusCode"] == 204
    async with raises("ResourceNotFoundException") as err:
        await lattice.create_access_log_subscription(resourceIdentifier="svc-0aaaaaaaaaaaaaaaa", destinationArn=LOGS)
    assert err["resourceType"] == "SERVICE"
    # Deleting the network takes its subscriptions with it.
    await lattice.delete_service_network(serviceNetworkIdentifier=sn["id"])
    async with raises("ResourceNotFoundException"):
        await lattice.get_access_log_subscription(accessLogSubscriptionIdentifier=s3["id"])


async def test_auth_policy_state_follows_auth_type(lattice):
    svc = await lattice.create_service(name="guarded")
    policy = '{"Version":"2012-10-17","Statement":[]}'
    put = await lattice.put_auth_policy(resourceIdentifier=svc["id"], policy=policy)
    assert put["state"] == "Inactive"
    await lattice.update_service(serviceIdentifier=svc["id"], authType="AWS_IAM")
    got = await lattice.get_auth_policy(resourceIdentifier=svc["arn"])
    assert got["state"] == "Active" and got["policy"] == policy
    async with raises("ValidationException"):
        await lattice.put_auth_policy(resourceIdentifier=svc["id"], policy="{not json")
    # Multi-line JSON (as the AWS controller sends an IAMAuthPolicy): accepted, stored and answered
    # minified, key order kept (the model's "must not contain newlines" is not what Lattice does).
    pretty = '{\n  "Version": "2012-10-17",\n  "Statement": [\n    {"Effect": "Allow", "Action": "*"}\n  ]\n}'
    put = await lattice.put_auth_policy(resourceIdentifier=svc["id"], policy=pretty)
    minified = '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*"}]}'
    assert put["policy"] == minified
    assert (await lattice.get_auth_policy(resourceIdentifier=svc["id"]))["policy"] == minified
    async with raises("ValidationException"):  # 10 KB quota
        await lattice.put_auth_policy(resourceIdentifier=svc["id"], policy='{"a":"' + "x" * 11000 + '"}')
    out = await lattice.delete_auth_policy(resourceIdentifier=svc["id"])
    assert out["ResponseMetadata"]["HTTPStatusCode"] == 204
    await lattice.delete_auth_policy(resourceIdentifier=svc["id"])  # idempotent
    async with raises("ResourceNotFoundException") as err:
        await lattice.get_auth_policy(resourceIdentifier=svc["id"])
    assert err["resourceType"] == "AUTH_POLICY"


async def test_resource_policy(lattice):
    sn = await lattice.create_service_network(name="shared-net")
    await lattice.put_resource_policy(resourceArn=sn["arn"], policy='{"Statement":[]}')
    assert (await lattice.get_resource_policy(resourceArn=sn["arn"]))["policy"] == '{"Statement":[]}'
    await lattice.delete_resource_policy(resourceArn=sn["arn"])
    async with raises("ResourceNotFoundException"):
        await lattice.get_resource_policy(resourceArn=sn["arn"])


async def test_tagging_every_kind(lattice):
    svc, group, listener = await service_with_listener(lattice)
    rules = (await lattice.list_rules(serviceIdentifier=svc["id"], listenerIdentifier=listener["id"]))["items"]
    for arn in (svc["arn"], group["arn"], listener["arn"], rules[0]["arn"]):
        await lattice.tag_resource(resourceArn=arn, tags={"a": "1", "b": "2"})
        await lattice.untag_resource(resourceArn=arn, tagKeys=["a", "absent"])
        assert (await lattice.list_tags_for_resource(resourceArn=arn))["tags"] == {"b": "2"}
    async with raises("ValidationException"):
        await lattice.tag_resource(resourceArn=svc["arn"], tags={"aws:reserved": "x"})
    async with raises("ValidationException"):  # merged total over 200
        await lattice.tag_resource(resourceArn=svc["arn"], tags={f"k{i}": "v" for i in range(200)})
    missing = svc["arn"].replace(svc["id"], "svc-0aaaaaaaaaaaaaaaa")
    async with raises("ResourceNotFoundException"):
        await lattice.list_tags_for_resource(resourceArn=missing)
    wrong_parent = listener["arn"].replace(svc["id"], "svc-0aaaaaaaaaaaaaaaa")
    async with raises("ResourceNotFoundException"):
        await lattice.tag_resource(resourceArn=wrong_parent, tags={"x": "y"})


async def test_create_applies_tags(lattice):
    sn = await lattice.create_service_network(name="tagged", tags={"owner": "me"})
    assert (await lattice.list_tags_for_resource(resourceArn=sn["arn"]))["tags"] == {"owner": "me"}


async def test_missing_authorization_is_rejected(emulator, ctl):
    async with aiohttp.ClientSession() as http:
        async with http.get(emulator.url + "/services") as resp:
            assert resp.status == 403
            assert resp.headers["x-amzn-ErrorType"] == "MissingAuthenticationTokenException"
            assert (await resp.json())["message"] == "Missing Authentication Token"
        async with http.get(emulator.url + "/services", headers={"Authorization": "Basic abc"}) as resp:
            assert resp.status == 400
            assert resp.headers["x-amzn-ErrorType"] == "IncompleteSignatureException"
        async with http.get(emulator.url + "/services", headers=SIGNED) as resp:
            assert resp.status == 200 and (await resp.json()) == {"items": []}
            assert resp.headers["x-amzn-RequestId"]


@pytest.mark.parametrize("method,path", [
    ("GET", "/nothing-here"),
    ("PUT", "/services"),
    ("GET", "/resourceconfigurations"),          # in the model, out of scope
    ("POST", "/resourcegateways"),
    ("GET", "/servicenetworkvpcendpointassociations"),
])
async def test_unknown_and_out_of_scope_routes_answer_404(emulator, ctl, method, path):
    async with aiohttp.ClientSession() as http:
        async with http.request(method, emulator.url + path, headers=SIGNED, data=b"{}") as resp:
            assert resp.status == 404
            assert resp.headers["x-amzn-ErrorType"] == "ValidationException"
            assert (await resp.json())["reason"] == "unknownOperation"


async def test_malformed_json_is_cannot_parse(emulator, ctl):
    async with aiohttp.ClientSession() as http:
        async with http.post(emulator.url + "/services", headers=SIGNED, data=b"{nope") as resp:
            assert resp.status == 400 and (await resp.json())["reason"] == "cannotParse"


async def test_percent_encoded_arn_in_path(lattice):
    # botocore sends the ARN as one %-encoded segment; the raw-path router must keep it whole.
    svc = await lattice.create_service(name="encoded")
    got = await lattice.get_service(serviceIdentifier=svc["arn"])
    assert got["id"] == svc["id"]
    await lattice.tag_resource(resourceArn=svc["arn"], tags={"k": "v"})
    assert (await lattice.list_tags_for_resource(resourceArn=svc["arn"]))["tags"] == {"k": "v"}


async def test_accounts_and_regions_are_partitioned(emulator, ctl):
    import aioboto3

    emulator.config.accounts["other-key"] = "210987654321"
    try:
        session = aioboto3.Session()
        async with (
            session.client("vpc-lattice", endpoint_url=emulator.url, region_name="eu-west-1",
                           aws_access_key_id="test", aws_secret_access_key="test") as eu,
            session.client("vpc-lattice", endpoint_url=emulator.url, region_name="us-west-2",
                           aws_access_key_id="other-key", aws_secret_access_key="test") as other,
        ):
            svc = await eu.create_service(name="regional")
            assert ":eu-west-1:" in svc["arn"] and ".eu-west-1.on.aws" in svc["dnsEntry"]["domainName"]
            assert (await other.list_services())["items"] == []
            mine = await other.create_service(name="regional")  # names are per account and region
            assert ":210987654321:" in mine["arn"]
    finally:
        del emulator.config.accounts["other-key"]
    state = await ctl.state()
    assert {(p["account"], p["region"]) for p in state["partitions"]} == {
        ("123456789012", "eu-west-1"), ("210987654321", "us-west-2")}


async def test_oversized_body_is_a_validation_error(emulator, ctl):
    async with aiohttp.ClientSession() as http:
        body = b'{"name": "' + b"x" * (5 * 1024 * 1024) + b'"}'
        async with http.post(emulator.url + "/services", headers=SIGNED, data=body) as resp:
            assert resp.status == 400 and resp.headers["x-amzn-ErrorType"] == "ValidationException"
        async with http.get(emulator.url + "/services", headers=SIGNED) as resp:
            assert resp.status == 200
