"""What this build is: the version, the source commit, and the versions of what it talks through.

The commit comes from LATTICEGW_COMMIT (the image sets it from its REVISION build argument),
else from git when running from a checkout (with `-dirty` for uncommitted changes), else
"unknown". Library versions are read from package metadata, so asking imports nothing heavy.
"""

from __future__ import annotations

import functools
import os
import platform
import subprocess
from importlib import metadata
from pathlib import Path

from controller.version import __version__

SOURCE = Path(__file__).resolve().parents[1]
LIBRARIES = ("botocore", "aioboto3", "kubernetes-asyncio")


@functools.cache
def commit() -> str:
    env = os.environ.get("LATTICEGW_COMMIT", "").strip()
    if env and env != "unknown":
        return env
    try:
        head = subprocess.run(["git", "-C", str(SOURCE), "rev-parse", "--short=12", "HEAD"], capture_output=True,
                              text=True, timeout=5, check=True).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(SOURCE), "status", "--porcelain", "--untracked-files=no"],
                               capture_output=True, text=True, timeout=5, check=True).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return f"{head}-dirty" if dirty else head or "unknown"


def library_version(name: str) -> str:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "not installed"


def info() -> dict[str, str]:
    out = {"version": __version__, "commit": commit(), "python": platform.python_version()}
    out.update({name: library_version(name) for name in LIBRARIES})
    return out
