"""Editing example manifests and reading the emulator's state in Lattice terms."""

from __future__ import annotations

import copy
from typing import Any

from translate import Source


def find(objects: list[dict[str, Any]], kind: str, name: str, namespace: str | None = None) -> dict[str, Any]:
    for o in objects:
        md = o.get("metadata", {})
        if o.get("kind") == kind and md.get("name") == name and (namespace is None or md.get("namespace") == namespace):
            return o
    raise KeyError((kind, namespace, name))


def edited(objects: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return copy.deepcopy(objects)


def route(ns: str, name: str) -> Source:
    return Source("HTTPRoute", ns, name)


class State:
    """The emulator partition with lookups by name."""

    def __init__(self, part: dict[str, Any]) -> None:
        self.raw = part
        self.services = {s["name"]: s for s in part.get("services", [])}
        self.tgs = {t["name"]: t for t in part.get("targetGroups", [])}
        self.tg_name = {t["id"]: t["name"] for t in part.get("targetGroups", [])}
        self.listeners = part.get("listeners", [])
        self.rules = part.get("rules", [])
        self.snsas = part.get("serviceNetworkServiceAssociations", [])
        self.sns = {s["name"]: s for s in part.get("serviceNetworks", [])}

    def listeners_of(self, svc: str) -> dict[str, Any]:
        sid = self.services[svc]["id"]
        return {lst["name"]: lst for lst in self.listeners if lst.get("serviceId") == sid}

    def rules_of(self, svc: str, listener: str) -> dict[str, Any]:
        lid = self.listeners_of(svc)[listener]["id"]
        return {r["name"]: r for r in self.rules if r.get("listenerId") == lid and not r.get("isDefault")}

    def catch_all(self, svc: str, listener: str) -> dict[str, Any]:
        """The action for requests no other rule takes: a rule matching every request (path prefix
        "/"), or else the listener's default action (a new listener holds it there: lattice.plan)."""
        for r in self.rules_of(svc, listener).values():
            if r["match"].get("httpMatch", {}).get("pathMatch", {}).get("match") == {"prefix": "/"}:
                return r["action"]
        return self.listeners_of(svc)[listener]["defaultAction"]

    def forward(self, action: dict[str, Any]) -> dict[str, int]:
        return {self.tg_name.get(t["targetGroupIdentifier"], t["targetGroupIdentifier"]): t.get("weight")
                for t in action.get("forward", {}).get("targetGroups", [])}

    def targets(self, tg: str) -> set[tuple[str, int]]:
        return {(t["id"], t["port"]) for t in self.tgs[tg].get("targets", [])
                if t.get("status") != "DRAINING"}
