"""Run the pinned helm (built by deploy/tools/build_helm.sh, cached) on deploy/chart/latticegw."""

from __future__ import annotations

import functools
import subprocess
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[3]
CHART = ROOT / "deploy" / "chart" / "latticegw"
CI_VALUES = CHART / "ci" / "test-values.yaml"  # the required AWS identity


@functools.cache
def helm_binary() -> str:
    out = subprocess.run(["bash", str(ROOT / "deploy" / "tools" / "build_helm.sh")], check=True,
                         capture_output=True, text=True).stdout
    return out.strip().rsplit("HELM=", 1)[1].strip()


def helm(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([helm_binary(), *args], capture_output=True, text=True, timeout=120)


def _set_args(values: dict | None) -> list[str]:
    out: list[str] = []
    for key, value in (values or {}).items():
        if isinstance(value, bool):
            out += ["--set", f"{key}={'true' if value else 'false'}"]
        else:
            out += ["--set-string" if isinstance(value, str) else "--set", f"{key}={value}"]
    return out


def render(values: dict | None = None, *, release: str = "latticegw", namespace: str = "latticegw-system",
           crds: bool = True) -> list[dict]:
    args = ["template", release, str(CHART), "--namespace", namespace, "-f", str(CI_VALUES), *_set_args(values)]
    if crds:
        args.append("--include-crds")
    res = helm(*args)
    assert res.returncode == 0, res.stderr
    return [d for d in yaml.safe_load_all(res.stdout) if d]


def by_kind(docs: list[dict], kind: str) -> list[dict]:
    return [d for d in docs if d["kind"] == kind]


def one(docs: list[dict], kind: str) -> dict:
    found = by_kind(docs, kind)
    assert len(found) == 1, (kind, len(found))
    return found[0]
