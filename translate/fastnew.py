"""Fast positional constructors for the frozen model dataclasses, for translate's hot paths.

Why: a frozen dataclass's `__init__` stores every field through `object.__setattr__`, a generic
call per field. Translating a route builds about ten model objects (service, listener, rules,
target groups, outcome, ...) with ~70 fields between them, and that was one of the largest single
costs of a translation.

How: `fast_new(cls)` returns `new(field1, field2, ...)` (every field, in declaration order, no
defaults) that fills a plain slotted twin of `cls` with ordinary attribute stores, then sets the
instance's `__class__` to `cls`. Twin and `cls` declare the same slots, so their memory layouts are
the same and CPython allows the switch. The result is a genuine, still frozen `cls` instance, equal
(and hashing equal) to `cls(field1, field2, ...)`. Only translate's own hot paths use these; every
other caller keeps using the dataclass constructor.
"""

from __future__ import annotations

from dataclasses import fields
from typing import Any, Callable


def fast_new(cls: type) -> Callable[..., Any]:
    names = tuple(f.name for f in fields(cls))
    if tuple(getattr(cls, "__slots__", ())) != names:
        raise TypeError(f"{cls.__name__}: fast_new needs a slotted dataclass whose slots are its fields")
    if hasattr(cls, "__post_init__"):  # the twin would skip it silently
        raise TypeError(f"{cls.__name__}: fast_new cannot run __post_init__; use the constructor")
    args = ", ".join(names)
    stores = "".join(f"\n        self.{n} = {n}" for n in names)
    src = (
        f"class _Twin:\n    __slots__ = {names!r}\n    def __init__(self, {args}):{stores}\n"
        f"def new({args}):\n    obj = _Twin({args})\n    _set(obj, '__class__', _cls)\n    return obj\n"
    )
    ns: dict[str, Any] = {"_set": object.__setattr__, "_cls": cls}
    exec(src, ns)  # as dataclasses do: a fixed-arity function is faster than *args
    new = ns["new"]
    new.__qualname__ = new.__name__ = f"new_{cls.__name__}"
    new.__doc__ = f"Build a {cls.__name__} from all its fields, positionally (see translate/fastnew.py)."
    return new
