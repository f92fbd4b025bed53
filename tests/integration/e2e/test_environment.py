"""Settings are read once, at start-up: no reconcile of ours reads or writes the environment.

The controller is started (Config from `controller.config.load`), then `os.environ` is replaced
by a recording view of itself, and my-hotel converges -- the first reconcile opens the Lattice
client and loads the inventory, the others translate, apply and write status. Every access to
the environment whose caller is a module of ours (controller, lattice, translate) is recorded;
the AWS SDK may still read its own variables (credentials) when the client opens.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator, MutableMapping

import pytest

from tests.integration.e2e.helpers import idle

pytestmark = pytest.mark.integration

OURS = ("controller", "lattice", "translate")
# Frames between the caller and this mapping: the Mapping mixins (get, __contains__, ...) and os.getenv.
PLUMBING = ("os", "_collections_abc", "collections", __name__)


class RecordingEnviron(MutableMapping):
    def __init__(self, real: MutableMapping[str, str]) -> None:
        self.real = real
        self.ours: list[str] = []

    def _note(self, what: str, key: object = None) -> None:
        frame = sys._getframe(2)
        while frame is not None and frame.f_globals.get("__name__", "").split(".")[0] in PLUMBING:
            frame = frame.f_back
        module = frame.f_globals.get("__name__", "") if frame is not None else ""
        if module.split(".")[0] in OURS:
            self.ours.append(f"{what} {key!r} from {module}:{frame.f_lineno}")

    def __getitem__(self, key: str) -> str:
        self._note("read", key)
        return self.real[key]

    def __setitem__(self, key: str, value: str) -> None:
        self._note("write", key)
        self.real[key] = value

    def __delitem__(self, key: str) -> None:
        self._note("delete", key)
        del self.real[key]

    def __iter__(self) -> Iterator[str]:
        self._note("list")
        return iter(self.real)

    def __len__(self) -> int:
        return len(self.real)

    def copy(self) -> dict[str, str]:
        self._note("copy")
        return dict(self.real)


def test_the_recorder_sees_our_reads():
    """The instrument itself: an access from a module of ours is recorded, with where it came from."""
    rec = RecordingEnviron({"X": "1"})
    ns = {"__name__": "controller.fake", "env": rec}
    exec("def read():\n    return env.get('X'), 'Y' in env\n", ns)  # noqa: S102 - a caller named like ours
    assert ns["read"]() == ("1", False)
    assert [r.split(" from ")[0] for r in rec.ours] == ["read 'X'", "read 'Y'"]
    assert rec.ours[0].endswith("from controller.fake:2")


async def test_no_reconcile_touches_the_environment(controller_env, monkeypatch):
    env = controller_env
    rec = RecordingEnviron(os.environ)
    monkeypatch.setattr(os, "environ", rec)
    await env.apply_example("my-hotel")
    await env.wait_until(env.converged, "my-hotel converges")
    await idle(env)
    assert env.manager.workers.processed > 0
    assert rec.ours == []
