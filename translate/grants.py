"""ReferenceGrant: may an object in one namespace refer to an object in another?

Enforced for every cross-namespace reference except Route→Gateway attachment (which the Gateway's
allowedRoutes governs). Grants live in the *target's* namespace; entries of `from` and `to` are
ORed. Removing a grant revokes access at the next translation, because nothing is cached here.
"""

from __future__ import annotations

from translate.snapshot import Snapshot, spec_of


def _group(g: object) -> str:
    # The core group is "" ("core" is accepted as an alias in backendRefs).
    g = str(g or "")
    return "" if g == "core" else g


def permitted(
    snapshot: Snapshot,
    *,
    from_group: str,
    from_kind: str,
    from_namespace: str,
    to_group: str,
    to_kind: str,
    to_namespace: str,
    to_name: str,
) -> bool:
    if from_namespace == to_namespace:
        return True
    for grant in snapshot.reference_grants(to_namespace):
        spec = spec_of(grant)
        if not any(
            _group(f.get("group")) == _group(from_group)
            and f.get("kind") == from_kind
            and f.get("namespace") == from_namespace
            for f in spec.get("from") or ()
        ):
            continue
        for t in spec.get("to") or ():
            if _group(t.get("group")) == _group(to_group) and t.get("kind") == to_kind:
                if not t.get("name") or t.get("name") == to_name:
                    return True
    return False
