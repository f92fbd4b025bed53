"""deploy/iam-policy.json allows every AWS operation lattice/ calls, and nothing by wildcard."""

from __future__ import annotations

import fnmatch
import functools
import importlib.util
import json
import re
from pathlib import Path

import botocore.session

ROOT = Path(__file__).resolve().parents[3]
POLICY = json.loads((ROOT / "deploy" / "iam-policy.json").read_text())


@functools.cache
def _gen():
    spec = importlib.util.spec_from_file_location("gen_iam_policy", ROOT / "deploy" / "tools" / "gen_iam_policy.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def allowed() -> set[str]:
    out: set[str] = set()
    for st in POLICY["Statement"]:
        assert st["Effect"] == "Allow"
        acts = st["Action"] if isinstance(st["Action"], list) else [st["Action"]]
        out.update(acts)
    return out


def is_allowed(action: str) -> bool:
    return any(fnmatch.fnmatchcase(action, pattern) for pattern in allowed())


# A second, independent reading of the code: the call sites themselves.
CALL_RE = re.compile(r"""\.(call|paginate|acm|ec2|tagging)\(\s*["']([A-Z][A-Za-z0-9]+)["']""")
API_RE = re.compile(r"""\bapi\s*[=:]\s*["']([A-Z][A-Za-z0-9]+)["']|["']([A-Z][A-Za-z0-9]+)["']\s*:\s*\(""")


@functools.cache
def lattice_operations() -> frozenset[str]:
    return frozenset(botocore.session.get_session().get_service_model("vpc-lattice").operation_names)


@functools.cache
def code_operations() -> dict[str, set[str]]:
    return _gen().operations()


def called_operations() -> set[str]:
    lattice_ops = lattice_operations()
    found: set[str] = set()
    for path in (ROOT / "lattice").rglob("*.py"):
        if "emulator" in path.parts:
            continue
        text = path.read_text()
        for client, op in CALL_RE.findall(text):
            prefix = {"acm": "acm", "ec2": "ec2", "tagging": "tag"}.get(client, "vpc-lattice")
            found.add(f"{prefix}:{op}")
        for a, b in API_RE.findall(text):
            op = a or b
            if op in lattice_ops:
                found.add(f"vpc-lattice:{op}")
    return found


def test_policy_is_what_the_generator_derives_from_the_code():
    assert (ROOT / "deploy" / "iam-policy.json").read_text() == _gen().render(), (
        "lattice/ calls changed: run python deploy/tools/gen_iam_policy.py"
    )


def test_every_call_site_is_allowed():
    ops = called_operations()
    assert ops, "found no AWS call sites in lattice/"
    missing = sorted(op for op in ops if not is_allowed(op))
    assert not missing, f"lattice/ calls operations deploy/iam-policy.json does not allow: {missing}"


def test_no_wildcards_and_only_real_actions():
    lattice_ops = lattice_operations()
    for action in allowed():
        assert "*" not in action and "?" not in action, action
        prefix, _, name = action.partition(":")
        assert prefix and name, action
        if prefix == "vpc-lattice":
            assert name in lattice_ops, action
    for st in POLICY["Statement"]:
        assert "NotAction" not in st and "NotResource" not in st
        if st["Action"] == "iam:CreateServiceLinkedRole":
            assert st["Resource"] != "*" and "iam:AWSServiceName" in st["Condition"]["StringLike"]


def test_least_privilege_every_lattice_action_is_used():
    """Nothing in the policy that the code does not reference (dependencies aside)."""
    used = {f"vpc-lattice:{op}" for op in code_operations()["vpc-lattice"]}
    granted = {a for a in allowed() if a.startswith("vpc-lattice:")}
    assert granted == used


def test_dependencies_follow_the_operations():
    ops = code_operations()["vpc-lattice"]
    for op, deps in _gen().DEPENDENCIES.items():
        for dep in deps:
            if op in ops:
                assert is_allowed(dep), (op, dep)
