"""Service networks: look up (Gateways) or create/adopt (ServiceNetwork CRs, the default SN), and the
pieces we own on them: the VPC association, the auth policy and access log subscriptions.

Small and imperative on purpose: one SN has at most a handful of parts, and every decision below
reads from the inventory first, so a converged SN costs no AWS call after its first hydration.
Ownership rules: an SN is ours when its ManagedBy tag says so; a `managed` SN without any ManagedBy
is adopted by tagging it (as the reference does for ServiceNetwork CRs); an SN managed by someone
else is a conflict and is never changed. On a looked-up SN (managed=False) we touch only our own
association/subscriptions (by tag) and the auth policy when the model carries one.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from lattice.apply import OpError, client_token
from lattice.client import CallTally, record_calls
from lattice.errors import Conflict, LatticeError, NotFound, RetryLater
from lattice.observed import AccessLogRec, ServiceNetworkRec, VpcAssociationRec
from lattice.plan import PlanConflict
from translate.model import AUTH_IAM, AUTH_NONE, ServiceNetwork, destination_type
from translate.tags import MANAGED_BY

if TYPE_CHECKING:
    from lattice.sync import LatticeSync


@dataclass(slots=True)
class NetworkResult(CallTally):
    name: str
    id: str | None = None
    arn: str | None = None
    found: bool = False
    in_progress: list[str] = field(default_factory=list)
    conflicts: list[PlanConflict] = field(default_factory=list)
    errors: list[OpError] = field(default_factory=list)
    calls: Counter[str] = field(default_factory=Counter)
    retry_after: float | None = None
    operations: list[str] = field(default_factory=list)

    @property
    def converged(self) -> bool:
        return self.found and not (self.in_progress or self.errors or self.conflicts)

    @property
    def requeue_after(self) -> float | None:
        if self.retry_after is not None:
            return self.retry_after
        return 2.0 if self.in_progress else None


class _Net:
    def __init__(self, sync: "LatticeSync", sn: ServiceNetwork, result: NetworkResult) -> None:
        self.sync = sync
        self.inv = sync.inventory
        self.c = sync.client
        self.sn = sn
        self.r = result

    def ours(self, tags: dict[str, str] | None) -> bool:
        return (tags or {}).get(MANAGED_BY) == self.inv.managed_by

    async def write(self, api: str, **params: Any) -> dict[str, Any] | None:
        try:
            out = await self.c.call(api, **params)
        except NotFound:
            if api.startswith("Delete"):
                return {}
            raise
        except Conflict as exc:
            self.r.in_progress.append(f"{api}: {exc.message}")
            return None
        self.r.operations.append(api)
        return out

    async def find(self) -> ServiceNetworkRec | None:
        rec = self.inv.service_network(self.sn.name)
        if rec is None and time.monotonic() - self.sync._sn_refreshed_at > 1:
            self.sync._sn_refreshed_at = time.monotonic()
            await self.inv.refresh_service_networks()
            rec = self.inv.service_network(self.sn.name)
        return rec

    async def ensure(self) -> None:
        sn, inv = self.sn, self.inv
        rec = await self.find()
        if rec is None:
            if not sn.managed:
                self.r.errors.append(OpError(("sn", sn.name), "", "NotFound",
                                             f"service network {sn.name} not found"))
                return
            params = {"name": sn.name, "authType": AUTH_NONE, "tags": dict(sn.tags)}
            got = await self.write("CreateServiceNetwork", clientToken=client_token(
                "CreateServiceNetwork", ("sn", sn.name), sn.fingerprint, params), **params)
            if got is None:
                return
            rec = ServiceNetworkRec(id=got["id"], arn=got["arn"], name=sn.name, auth_type=got.get("authType"),
                                    tags=dict(sn.tags), vpc_associations=None)
            inv.put_service_network(rec)
        with_auth = sn.managed or sn.auth_policy is not None
        if not rec.hydrated:
            await inv.hydrate_service_network(rec, self.sync.vpc_id or self._vpc(), with_auth=with_auth)
        elif with_auth and rec.auth_type is None:
            await inv.load_service_network_auth(rec)
        self.r.found, self.r.id, self.r.arn = True, rec.id, rec.arn
        if sn.managed:
            owner = (rec.tags or {}).get(MANAGED_BY)
            if owner is not None and owner != inv.managed_by:
                self.r.conflicts.append(PlanConflict("service_network", sn.name, owner,
                                                     f"service network {sn.name} is managed by {owner}"))
                return
            add = {k: v for k, v in sn.tags.items() if (rec.tags or {}).get(k) != v}
            if add and await self.write("TagResource", resourceArn=rec.arn, tags=add) is not None:
                rec.tags = {**(rec.tags or {}), **add}
        await self.auth(rec)
        await self.vpc_association(rec)
        await self.access_logs(rec)

    def _vpc(self) -> str | None:
        va = self.sn.vpc_association
        return va.vpc_identifier if va else None

    async def auth(self, rec: ServiceNetworkRec) -> None:
        sn = self.sn
        if sn.auth_policy is not None:
            if rec.auth_policy != sn.auth_policy.policy:
                if await self.write("PutAuthPolicy", resourceIdentifier=rec.id, policy=sn.auth_policy.policy) is None:
                    return
                rec.auth_policy = sn.auth_policy.policy
            if rec.auth_type != AUTH_IAM and sn.auth_type == AUTH_IAM:
                if await self.write("UpdateServiceNetwork", serviceNetworkIdentifier=rec.id, authType=AUTH_IAM):
                    rec.auth_type = AUTH_IAM
        elif sn.managed and rec.auth_type not in (None, sn.auth_type):
            if await self.write("UpdateServiceNetwork", serviceNetworkIdentifier=rec.id, authType=sn.auth_type):
                rec.auth_type = sn.auth_type
            if rec.auth_policy is not None and await self.write("DeleteAuthPolicy", resourceIdentifier=rec.id):
                rec.auth_policy = None

    async def drop_auth(self) -> None:
        """The network's auth policy is no longer wanted (see remove_service_network_auth)."""
        rec = await self.find()
        if rec is None:
            return
        self.r.found, self.r.id, self.r.arn = True, rec.id, rec.arn
        if rec.auth_type is None:
            await self.inv.load_service_network_auth(rec)
        await self.remove_auth(rec)

    async def remove_auth(self, rec: ServiceNetworkRec) -> None:
        if rec.auth_type == AUTH_IAM and await self.write(
                "UpdateServiceNetwork", serviceNetworkIdentifier=rec.id, authType=AUTH_NONE) is not None:
            rec.auth_type = AUTH_NONE
        if rec.auth_policy is not None and await self.write("DeleteAuthPolicy", resourceIdentifier=rec.id) is not None:
            rec.auth_policy = None

    async def vpc_association(self, rec: ServiceNetworkRec) -> None:
        want = self.sn.vpc_association
        vas = rec.vpc_associations if rec.vpc_associations is not None else {}
        rec.vpc_associations = vas
        mine = vas.get(rec.id)
        if want is None:
            if mine is not None and self.ours(mine.tags) and mine.status not in ("DELETE_IN_PROGRESS",):
                if await self.write("DeleteServiceNetworkVpcAssociation",
                                    serviceNetworkVpcAssociationIdentifier=mine.id) is not None:
                    vas.pop(rec.id, None)
            return
        other = next((v for sn_id, v in vas.items() if sn_id != rec.id and v.vpc_id == want.vpc_identifier
                      and v.status not in ("DELETE_IN_PROGRESS", "CREATE_FAILED")), None)
        if mine is None and other is not None:
            self.r.conflicts.append(PlanConflict(
                "vpc_association", self.sn.name, (other.tags or {}).get(MANAGED_BY),
                f"VPC {want.vpc_identifier} is already associated with service network {other.service_network_id}"))
            return
        if mine is None:
            params: dict[str, Any] = {"serviceNetworkIdentifier": rec.id, "vpcIdentifier": want.vpc_identifier,
                                      "tags": dict(want.tags)}
            if want.security_group_ids:
                params["securityGroupIds"] = list(want.security_group_ids)
            got = await self.write("CreateServiceNetworkVpcAssociation", clientToken=client_token(
                "CreateServiceNetworkVpcAssociation", ("snva", self.sn.name), self.sn.fingerprint, params), **params)
            if got is not None:
                vas[rec.id] = VpcAssociationRec(id=got["id"], arn=got["arn"], service_network_id=rec.id,
                                                vpc_id=want.vpc_identifier, status=got.get("status", ""),
                                                security_group_ids=tuple(want.security_group_ids),
                                                tags=dict(want.tags))
                if vas[rec.id].status != "ACTIVE":
                    self.r.in_progress.append(f"VPC association of {self.sn.name} is {vas[rec.id].status}")
            return
        if mine.status.endswith("IN_PROGRESS"):
            try:
                got = await self.c.call("GetServiceNetworkVpcAssociation",
                                        serviceNetworkVpcAssociationIdentifier=mine.id)
                mine.status = got.get("status", mine.status)
                mine.security_group_ids = tuple(got.get("securityGroupIds") or ())
            except NotFound:
                vas.pop(rec.id, None)
                self.r.in_progress.append(f"VPC association of {self.sn.name} disappeared; recreating")
                return
            if mine.status.endswith("IN_PROGRESS"):
                self.r.in_progress.append(f"VPC association of {self.sn.name} is {mine.status}")
                return
        if not self.ours(mine.tags):
            return  # someone else's association already connects the VPC: fine, never changed
        if want.security_group_ids and tuple(sorted(want.security_group_ids)) != tuple(
                sorted(mine.security_group_ids)):
            if await self.write("UpdateServiceNetworkVpcAssociation", serviceNetworkVpcAssociationIdentifier=mine.id,
                                securityGroupIds=list(want.security_group_ids)) is not None:
                mine.security_group_ids = tuple(want.security_group_ids)

    async def access_logs(self, rec: ServiceNetworkRec, remove_all: bool = False) -> None:
        observed = rec.access_logs if rec.access_logs is not None else {}
        rec.access_logs = observed
        ours = {a.id: a for a in observed.values() if self.ours(a.tags)}
        wanted = () if remove_all else self.sn.access_log_subscriptions
        used: set[str] = set()
        for als in wanted:
            match = next((a for a in ours.values() if a.id not in used
                          and destination_type(a.destination_arn) == als.destination_type), None)
            if match is None:
                params = {"resourceIdentifier": rec.id, "destinationArn": als.destination_arn,
                          "tags": dict(als.tags)}
                got = await self.write("CreateAccessLogSubscription", clientToken=client_token(
                    "CreateAccessLogSubscription", ("als", f"{self.sn.name}/{als.destination_type}"), "", params),
                    **params)
                if got is not None:
                    observed[got["id"]] = AccessLogRec(id=got["id"], arn=got["arn"], resource_id=rec.id,
                                                       destination_arn=als.destination_arn, tags=dict(als.tags))
                    used.add(got["id"])
                continue
            used.add(match.id)
            if match.destination_arn != als.destination_arn:
                if await self.write("UpdateAccessLogSubscription", accessLogSubscriptionIdentifier=match.id,
                                    destinationArn=als.destination_arn) is not None:
                    match.destination_arn = als.destination_arn
        for a in ours.values():
            if a.id not in used and await self.write(
                    "DeleteAccessLogSubscription", accessLogSubscriptionIdentifier=a.id) is not None:
                observed.pop(a.id, None)

    async def delete(self) -> None:
        sn, inv = self.sn, self.inv
        rec = await self.find()
        if rec is None:
            self.r.found = False
            return
        if not rec.hydrated or rec.auth_type is None:
            await inv.hydrate_service_network(rec, self.sync.vpc_id or self._vpc(), with_auth=True)
        self.r.id, self.r.arn = rec.id, rec.arn
        owned_sn = sn.managed and self.ours(rec.tags)
        await self.access_logs(rec, remove_all=True)
        mine = (rec.vpc_associations or {}).get(rec.id)
        if mine is not None and self.ours(mine.tags):
            if await self.write("DeleteServiceNetworkVpcAssociation",
                                serviceNetworkVpcAssociationIdentifier=mine.id) is not None:
                (rec.vpc_associations or {}).pop(rec.id, None)
                self.r.in_progress.append(f"VPC association of {sn.name} is being deleted")
        if sn.auth_policy is not None and not owned_sn:
            await self.remove_auth(rec)
        if owned_sn and not self.r.in_progress:
            if await self.write("DeleteServiceNetwork", serviceNetworkIdentifier=rec.id) is not None:
                inv.drop_service_network(sn.name)


async def _run(sync: "LatticeSync", sn: ServiceNetwork,
               step: Callable[[_Net], Awaitable[None]]) -> NetworkResult:
    """One `_Net` step on `sn`, with its calls counted and Lattice's answers turned into the result."""
    result = NetworkResult(sn.name)
    with record_calls() as calls:
        try:
            await step(_Net(sync, sn, result))
        except RetryLater as exc:
            result.retry_after = exc.retry_after
            result.in_progress.append(f"{exc.operation}: {exc.code}")
        except LatticeError as exc:
            result.errors.append(OpError(("sn", sn.name), exc.operation, exc.code, exc.message))
    result.calls = calls
    return result


async def remove_service_network_auth(sync: "LatticeSync", sn: ServiceNetwork) -> NetworkResult:
    """An IAMAuthPolicy on `sn` went away: authType NONE first, then delete the policy. Needed for
    looked-up networks (Gateways), where a model without a policy means "not ours to touch"."""
    return await _run(sync, sn, _Net.drop_auth)


async def ensure_service_network(sync: "LatticeSync", sn: ServiceNetwork) -> NetworkResult:
    return await _run(sync, sn, _Net.ensure)


async def delete_service_network(sync: "LatticeSync", sn: ServiceNetwork) -> NetworkResult:
    """Remove what we own on/of `sn`. A looked-up SN stays; an owned one is deleted when nothing is
    associated with it any more (else in_progress: requeue)."""
    return await _run(sync, sn, _Net.delete)
