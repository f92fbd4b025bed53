"""fast_new builds the same frozen objects as the dataclass constructor, only faster."""

from __future__ import annotations

import copy
import dataclasses
import pickle

import pytest

from translate.fastnew import fast_new
from translate.model import Source, Target


def test_same_object_as_the_constructor():
    new = fast_new(Target)
    fast, slow = new("10.0.0.1", 8080), Target("10.0.0.1", 8080)
    assert type(fast) is Target and fast == slow and hash(fast) == hash(slow)
    assert pickle.loads(pickle.dumps(fast)) == slow and copy.deepcopy(fast) == slow
    assert dataclasses.replace(fast, port=80) == Target("10.0.0.1", 80)
    with pytest.raises(dataclasses.FrozenInstanceError):
        fast.port = 1  # still frozen


def test_refuses_classes_it_would_build_wrongly():
    @dataclasses.dataclass(frozen=True)
    class NoSlots:
        a: int

    @dataclasses.dataclass(frozen=True, slots=True)
    class Checked:
        a: int

        def __post_init__(self) -> None:
            if self.a < 0:
                raise ValueError("negative")

    for cls in (NoSlots, Checked):
        with pytest.raises(TypeError):
            fast_new(cls)
    assert fast_new(Source)("HTTPRoute", "ns", "r").key == Source("HTTPRoute", "ns", "r").key
