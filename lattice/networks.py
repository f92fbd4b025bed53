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
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from lattice.apply import OpError, client_token
from lattice.client import CallTally, LatticeClient, record_calls
from lattice.errors import LatticeError, RetryLater, Verdict, verdict
from lattice.inventory import Inventory
from lattice.observed import ServiceNetworkRec
from lattice.plan import Key, Operation, PlanConflict
from translate.frozen import freeze
from translate.model import AUTH_IAM, AUTH_NONE, ServiceNetwork, destination_type
from translate.tags import MANAGED_BY

# A lookup (Gateway, ServiceNetwork object) of a network we do not know lists networks at most this often.
SN_LOOKUP_INTERVAL = 1.0
# A route waiting for a service network lists service networks at most this often (process-wide);
# the Gateway reconcile's lookup records one it finds in the same inventory.
SN_RELIST_INTERVAL = 15.0


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
    owned: bool = False  # a managed network carrying our ManagedBy (created by us, or handed over by tag)
    # a dry run (`plan_*`): the writes the step would make, in order (phase 0), none made
    planned: list[Operation] = field(default_factory=list)

    @property
    def converged(self) -> bool:
        return self.found and not (self.in_progress or self.errors or self.conflicts)

    @property
    def requeue_after(self) -> float | None:
        if self.retry_after is not None:
            return self.retry_after
        return 2.0 if self.in_progress else None


class ServiceNetworks:
    """The service-network side of one LatticeSync: its steps, and the clocks that keep a lookup of
    an unknown network from listing the account on every reconcile."""

    def __init__(self, client: LatticeClient, inventory: Inventory, *, vpc_id: str | None,
                 lookup_interval: float = SN_LOOKUP_INTERVAL, relist_interval: float = SN_RELIST_INTERVAL,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.client = client
        self.inventory = inventory
        self.vpc_id = vpc_id
        self.lookup_interval = lookup_interval
        self.relist_interval = relist_interval
        self.clock = clock
        self._looked_up_at = 0.0  # last ListServiceNetworks of a lookup (ensure / delete / remove_auth)
        self._route_listed_at = float("-inf")  # last one made because a route named an unknown network

    async def ensure(self, sn: ServiceNetwork, *, dry_run: bool = False) -> NetworkResult:
        """`dry_run`: read as the step does, write nothing; `planned` lists the writes it would make."""
        return await self._run(sn, _Net.ensure, dry_run)

    async def delete(self, sn: ServiceNetwork, *, dry_run: bool = False) -> NetworkResult:
        """Remove what we own on/of `sn`. A looked-up SN stays; an owned one is deleted when nothing
        is associated with it any more (else in_progress: requeue)."""
        return await self._run(sn, _Net.delete, dry_run)

    async def remove_auth(self, sn: ServiceNetwork, *, dry_run: bool = False) -> NetworkResult:
        """An IAMAuthPolicy on `sn` went away: authType NONE first, then delete the policy. Needed for
        looked-up networks (Gateways), where a model without a policy means "not ours to touch"."""
        return await self._run(sn, _Net.drop_auth, dry_run)

    async def look_for(self, names: Iterable[str]) -> None:
        """A route names networks we do not know: made by someone else since anyone last listed?
        Lists at most every `relist_interval` (a lookup's listing counts too, and it keeps its own
        clock so a route's listing never delays it)."""
        if all(self.inventory.service_network(n) is not None for n in names):
            return
        now = self.clock()
        if now - max(self._looked_up_at, self._route_listed_at) > self.relist_interval:
            self._route_listed_at = now
            await self.inventory.refresh_service_networks()

    async def find(self, name: str) -> ServiceNetworkRec | None:
        rec = self.inventory.service_network(name)
        if rec is None and self.clock() - self._looked_up_at > self.lookup_interval:
            self._looked_up_at = self.clock()
            await self.inventory.refresh_service_networks()
            rec = self.inventory.service_network(name)
        return rec

    async def _run(self, sn: ServiceNetwork, step: Callable[[_Net], Awaitable[None]],
                   dry_run: bool = False) -> NetworkResult:
        """One `_Net` step on `sn`, with its calls counted and Lattice's answers turned into the result."""
        result = NetworkResult(sn.name)
        with record_calls() as calls:
            try:
                await step(_Net(self, sn, result, dry_run))
            except RetryLater as exc:
                result.retry_after = exc.retry_after
                result.in_progress.append(f"{exc.operation}: {exc.code}")
            except LatticeError as exc:
                result.errors.append(OpError(("sn", sn.name), exc.operation, exc.code, exc.message))
        result.calls = calls
        return result


class _Net:
    """One step on one service network. Reads come from the inventory; every write goes through
    `write`, which applies the shared error policy (`errors.verdict`) and has the inventory record
    what Lattice answered. In a dry run `write` only notes the write (`NetworkResult.planned`): a
    create then counts as "not done yet" (what depends on it is not planned), anything else as done."""

    def __init__(self, owner: ServiceNetworks, sn: ServiceNetwork, result: NetworkResult,
                 dry_run: bool = False) -> None:
        self.dry_run = dry_run
        self.owner = owner
        self.inv = owner.inventory
        self.c = owner.client
        self.sn = sn
        self.r = result

    def ours(self, tags: dict[str, str] | None) -> bool:
        return (tags or {}).get(MANAGED_BY) == self.inv.managed_by

    async def write(self, kind: str, api: str, **params: Any) -> dict[str, Any] | None:
        """Call `api`; None when it did not happen (in progress). Raises what the step cannot handle."""
        key: Key = (kind, self.sn.name)
        if self.dry_run:
            shown = {k: v for k, v in params.items() if k != "clientToken"}
            self.r.planned.append(Operation(0, api, key, freeze(shown), reason=kind))
            return None if api.startswith("Create") else {}
        try:
            out = await self.c.call(api, **params)
        except LatticeError as exc:
            v = verdict(api, exc)
            if v is Verdict.DONE:
                self.inv.record(api, key, params, {})
                return {}
            if v is Verdict.IN_PROGRESS:
                self.r.in_progress.append(f"{api}: {exc.message}")
                return None
            raise
        self.inv.record(api, key, params, out)
        self.r.operations.append(api)
        return out

    async def find(self) -> ServiceNetworkRec | None:
        return await self.owner.find(self.sn.name)

    async def ensure(self) -> None:
        sn, inv = self.sn, self.inv
        rec = await self.find()
        if rec is None:
            if not sn.managed:
                self.r.errors.append(OpError(("sn", sn.name), "", "NotFound",
                                             f"service network {sn.name} not found"))
                return
            params = {"name": sn.name, "authType": AUTH_NONE, "tags": dict(sn.tags)}
            if await self.write("sn", "CreateServiceNetwork", clientToken=client_token(
                    "CreateServiceNetwork", ("sn", sn.name), sn.fingerprint, params), **params) is None:
                if self.dry_run:
                    self._planned_parts()
                return
            rec = inv.service_network(sn.name)
            assert rec is not None
        with_auth = sn.managed or sn.auth_policy is not None
        if not rec.hydrated:
            await inv.hydrate_service_network(rec, self.owner.vpc_id or self._vpc(), with_auth=with_auth)
        elif with_auth and rec.auth_type is None:
            await inv.load_service_network_auth(rec)
        self.r.found, self.r.id, self.r.arn = True, rec.id, rec.arn
        if sn.managed:
            owner = (rec.tags or {}).get(MANAGED_BY)
            if owner is not None and owner != inv.managed_by:
                self.r.conflicts.append(PlanConflict("service_network", sn.name, owner,
                                                     f"service network {sn.name} is managed by {owner}"))
                return
            # An untagged network of that name is someone's we did not create: used as it is, never
            # tagged (adopting it would make it ours to delete with its object). Whoever owns it can
            # hand it over explicitly by tagging it with our ManagedBy.
            self.r.owned = owner is not None
            add = {k: v for k, v in sn.tags.items() if (rec.tags or {}).get(k) != v}
            if add and self.r.owned:
                await self.write("sn", "TagResource", resourceArn=rec.arn, tags=add)
        await self.auth(rec)
        await self.vpc_association(rec)
        await self.access_logs(rec)

    def _planned_parts(self) -> None:
        """A dry run of a network still to be created: the parts the next passes add to it."""
        sn, planned = self.sn, self.r.planned
        if sn.auth_policy is not None:
            planned.append(Operation(0, "PutAuthPolicy", ("sn", sn.name), reason="sn"))
            if sn.auth_type == AUTH_IAM:
                planned.append(Operation(0, "UpdateServiceNetwork", ("sn", sn.name), reason="sn"))
        if sn.vpc_association is not None:
            planned.append(Operation(0, "CreateServiceNetworkVpcAssociation", ("snva", sn.name), reason="snva"))
        for _ in sn.access_log_subscriptions:
            planned.append(Operation(0, "CreateAccessLogSubscription", ("snals", sn.name), reason="snals"))

    def _vpc(self) -> str | None:
        va = self.sn.vpc_association
        return va.vpc_identifier if va else None

    async def auth(self, rec: ServiceNetworkRec) -> None:
        sn = self.sn
        if sn.auth_policy is not None:
            if rec.auth_policy != sn.auth_policy.policy:
                if await self.write("sn", "PutAuthPolicy", resourceIdentifier=rec.id,
                                    policy=sn.auth_policy.policy) is None:
                    return
            if rec.auth_type != AUTH_IAM and sn.auth_type == AUTH_IAM:
                await self.write("sn", "UpdateServiceNetwork", serviceNetworkIdentifier=rec.id, authType=AUTH_IAM)
        elif sn.managed and self.ours(rec.tags) and rec.auth_type not in (None, sn.auth_type):
            await self.write("sn", "UpdateServiceNetwork", serviceNetworkIdentifier=rec.id, authType=sn.auth_type)
            if rec.auth_policy is not None:
                await self.write("sn", "DeleteAuthPolicy", resourceIdentifier=rec.id)

    async def drop_auth(self) -> None:
        """The network's auth policy is no longer wanted (see ServiceNetworks.remove_auth)."""
        rec = await self.find()
        if rec is None:
            return
        self.r.found, self.r.id, self.r.arn = True, rec.id, rec.arn
        if rec.auth_type is None:
            await self.inv.load_service_network_auth(rec)
        await self.remove_auth(rec)

    async def remove_auth(self, rec: ServiceNetworkRec) -> None:
        if rec.auth_type == AUTH_IAM:
            await self.write("sn", "UpdateServiceNetwork", serviceNetworkIdentifier=rec.id, authType=AUTH_NONE)
        if rec.auth_policy is not None:
            await self.write("sn", "DeleteAuthPolicy", resourceIdentifier=rec.id)

    async def vpc_association(self, rec: ServiceNetworkRec) -> None:
        want = self.sn.vpc_association
        vas = rec.vpc_associations or {}
        mine = vas.get(rec.id)
        if want is None:
            if mine is not None and self.ours(mine.tags) and mine.status not in ("DELETE_IN_PROGRESS",):
                await self.write("snva", "DeleteServiceNetworkVpcAssociation",
                                 serviceNetworkVpcAssociationIdentifier=mine.id)
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
            got = await self.write("snva", "CreateServiceNetworkVpcAssociation", clientToken=client_token(
                "CreateServiceNetworkVpcAssociation", ("snva", self.sn.name), self.sn.fingerprint, params), **params)
            made = (rec.vpc_associations or {}).get(rec.id)
            if got is not None and made is not None and made.status != "ACTIVE":
                self.r.in_progress.append(f"VPC association of {self.sn.name} is {made.status}")
            return
        if mine.status.endswith("IN_PROGRESS"):
            await self.inv.reread("GetServiceNetworkVpcAssociation", ("snva", self.sn.name),
                                  serviceNetworkVpcAssociationIdentifier=mine.id)
            if (rec.vpc_associations or {}).get(rec.id) is None:
                self.r.in_progress.append(f"VPC association of {self.sn.name} disappeared; recreating")
                return
            if mine.status.endswith("IN_PROGRESS"):
                self.r.in_progress.append(f"VPC association of {self.sn.name} is {mine.status}")
                return
        if not self.ours(mine.tags):
            return  # someone else's association already connects the VPC: fine, never changed
        if want.security_group_ids and tuple(sorted(want.security_group_ids)) != tuple(
                sorted(mine.security_group_ids)):
            await self.write("snva", "UpdateServiceNetworkVpcAssociation",
                             serviceNetworkVpcAssociationIdentifier=mine.id,
                             securityGroupIds=list(want.security_group_ids))

    async def access_logs(self, rec: ServiceNetworkRec, remove_all: bool = False) -> None:
        ours = {a.id: a for a in (rec.access_logs or {}).values() if self.ours(a.tags)}
        wanted = () if remove_all else self.sn.access_log_subscriptions
        used: set[str] = set()
        for als in wanted:
            match = next((a for a in ours.values() if a.id not in used
                          and destination_type(a.destination_arn) == als.destination_type), None)
            if match is None:
                params = {"resourceIdentifier": rec.id, "destinationArn": als.destination_arn,
                          "tags": dict(als.tags)}
                got = await self.write("snals", "CreateAccessLogSubscription", clientToken=client_token(
                    "CreateAccessLogSubscription", ("als", f"{self.sn.name}/{als.destination_type}"), "", params),
                    **params)
                if got is not None:
                    used.add(got["id"])
                continue
            used.add(match.id)
            if match.destination_arn != als.destination_arn:
                await self.write("snals", "UpdateAccessLogSubscription", accessLogSubscriptionIdentifier=match.id,
                                 destinationArn=als.destination_arn)
        for a in ours.values():
            if a.id not in used:
                await self.write("snals", "DeleteAccessLogSubscription", accessLogSubscriptionIdentifier=a.id)

    async def delete(self) -> None:
        sn, inv = self.sn, self.inv
        rec = await self.find()
        if rec is None:
            self.r.found = False
            return
        if not rec.hydrated or rec.auth_type is None:
            await inv.hydrate_service_network(rec, self.owner.vpc_id or self._vpc(), with_auth=True)
        self.r.id, self.r.arn = rec.id, rec.arn
        owned_sn = sn.managed and self.ours(rec.tags)
        await self.access_logs(rec, remove_all=True)
        mine = (rec.vpc_associations or {}).get(rec.id)
        if mine is not None and self.ours(mine.tags):
            if await self.write("snva", "DeleteServiceNetworkVpcAssociation",
                                serviceNetworkVpcAssociationIdentifier=mine.id) is not None:
                self.r.in_progress.append(f"VPC association of {sn.name} is being deleted")
        if sn.auth_policy is not None and not owned_sn:
            await self.remove_auth(rec)
        if owned_sn and (not self.r.in_progress or self.dry_run):
            await self.write("sn", "DeleteServiceNetwork", serviceNetworkIdentifier=rec.id)
