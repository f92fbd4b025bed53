"""translate/ is sans-I/O: it imports nothing from controller/ or lattice/ and nothing that reads
clocks, randomness, the network, the filesystem or the environment."""

import ast
import pathlib

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[3] / "translate"
FORBIDDEN = {"controller", "lattice", "asyncio", "time", "random", "secrets", "uuid", "socket", "os",
             "datetime", "subprocess", "threading", "aiohttp", "aioboto3", "boto3", "botocore", "kubernetes_asyncio"}


@pytest.mark.parametrize("path", sorted(ROOT.rglob("*.py")), ids=lambda p: str(p.relative_to(ROOT)))
def test_no_io_imports(path):
    tree = ast.parse(path.read_text())
    for node in ast.walk(tree):
        names = []
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module]
        for n in names:
            assert n.split(".")[0] not in FORBIDDEN, f"{path.name} imports {n}"
