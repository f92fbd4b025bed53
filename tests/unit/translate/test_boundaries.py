"""The pure core is sans-I/O: translate/ and lattice's plan, normalize, observed, adopt and recording import nothing
from controller/, nothing from the rest of lattice/ (client, apply, inventory, sync: the I/O side),
and nothing that reads clocks, randomness, the network, the filesystem, the environment or logs.

Imports are resolved to full module names first, so `from lattice import client` and
`from .client import x` count as importing lattice.client."""

import ast
import pathlib

import pytest

REPO = pathlib.Path(__file__).resolve().parents[3]
PURE_LATTICE = ("lattice.plan", "lattice.normalize", "lattice.observed", "lattice.desired_state", "lattice.adopt",
                "lattice.recording")
PURE_FILES = sorted(REPO.joinpath("translate").rglob("*.py")) + [
    REPO.joinpath(*m.split(".")).with_suffix(".py") for m in PURE_LATTICE
]
FORBIDDEN = {"controller", "asyncio", "time", "random", "secrets", "uuid", "socket", "os", "sys", "io", "pathlib",
             "shutil", "tempfile", "glob", "importlib", "datetime", "subprocess", "threading", "multiprocessing",
             "signal", "select", "ssl", "http", "urllib", "logging", "structlog", "aiohttp", "aioboto3", "boto3",
             "botocore", "kubernetes_asyncio"}


def module_of(path: pathlib.Path) -> str:
    rel = path.relative_to(REPO).with_suffix("")
    parts = rel.parts[:-1] if rel.name == "__init__" else rel.parts
    return ".".join(parts)


def imported(source: str, module: str, is_package: bool = False) -> list[str]:
    """Every module the source of `module` imports, by full name (a `from pkg import name` counts
    pkg.name too, since name may be a submodule)."""
    package = module if is_package else module.rpartition(".")[0]
    out = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            out += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            out.append(module)
            out += [f"{module}.{a.name}" for a in node.names]
    return out


def problem(name: str) -> str | None:
    top = name.split(".")[0]
    if top in FORBIDDEN:
        return "does I/O or belongs to the runtime"
    if top == "lattice" and name != "lattice" and not name.startswith(PURE_LATTICE):
        return "is lattice's I/O side"
    return None


@pytest.mark.parametrize("path", PURE_FILES, ids=lambda p: str(p.relative_to(REPO)))
def test_no_io_imports(path):
    for name in imported(path.read_text(), module_of(path), path.name == "__init__.py"):
        why = problem(name)
        assert why is None, f"{module_of(path)} imports {name}, which {why}"


def test_the_check_sees_every_way_of_importing():
    """The resolver catches the forms a careless edit would use (so the test above can fail)."""
    bad = {
        "import time": "time",
        "from lattice import client": "lattice.client",
        "from .apply import Applier": "lattice.apply",
        "from . import inventory": "lattice.inventory",
        "import os.path": "os.path",
        "from controller.kube import client": "controller.kube",
    }
    for stmt, name in bad.items():
        names = imported(stmt, "lattice.plan")
        assert name in names and any(problem(n) for n in names), (stmt, names)
    assert all(problem(n) is None for n in ("lattice.normalize", "lattice.observed", "translate.model", "lattice"))
