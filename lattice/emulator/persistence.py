"""Saving and loading emulator state as one JSON file, atomically."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import orjson

from .store import Store


def save(store: Store, path: Path) -> None:
    data = orjson.dumps(store.to_json())
    path.parent.mkdir(parents=True, exist_ok=True)
    # Write to a temporary file in the same directory and rename over the target, so
    # a crash mid-write leaves the previous state intact rather than a torn file.
    fd, tmp = tempfile.mkstemp(prefix=path.name + ".", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


class StateFileError(ValueError):
    """The state file exists but cannot be loaded; refuse to start rather than lose it."""


def load(store: Store, path: Path) -> None:
    try:
        store.load_json(orjson.loads(path.read_bytes()))
    except (ValueError, KeyError, TypeError) as exc:
        raise StateFileError(f"cannot load emulator state from {path}: {exc}") from exc
