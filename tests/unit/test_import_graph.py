"""The import graph of our own packages: no cycles, and the floors of ARCHITECTURE point down only.

Every `import` counts, including those inside functions: a function-local import that only
dodges a cycle at load time still ties the two modules together, and so does one under
`if TYPE_CHECKING:` (the two cannot be understood, or type-checked, apart).
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("controller", "translate", "lattice")


def _modules() -> dict[str, Path]:
    found = {}
    for pkg in PACKAGES:
        for path in (ROOT / pkg).rglob("*.py"):
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            found[".".join(parts)] = path
    return found


def _imports(name: str, path: Path, known: set[str]) -> set[str]:
    """Our modules that `name` imports (a `from pkg import mod` names the submodule when it is one)."""
    is_pkg = path.name == "__init__.py"
    out: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = name.split(".")[: len(name.split(".")) - node.level + (1 if is_pkg else 0)]
                base = ".".join(anchor + ([base] if base else []))
            targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in known else base for a in node.names]
        else:
            continue
        for t in targets:
            while t and t not in known:
                t = t.rpartition(".")[0]
            if t and t != name:
                out.add(t)
                # Importing a.b.c runs a/b/__init__.py too: an edge to every package on the way
                # that is not one of this module's own ancestors.
                parts = t.split(".")
                for i in range(1, len(parts)):
                    pkg = ".".join(parts[:i])
                    if pkg in known and not name.startswith(pkg + "."):
                        out.add(pkg)
    return out


def _graph() -> dict[str, set[str]]:
    mods = _modules()
    known = set(mods)
    return {name: _imports(name, path, known) for name, path in mods.items()}


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    result: list[list[str]] = []
    counter = 0
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            for child in children:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                    break
                if child in on_stack:
                    low[node] = min(low[node], index[child])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    scc = []
                    while True:
                        top = stack.pop()
                        on_stack.discard(top)
                        scc.append(top)
                        if top == node:
                            break
                    if len(scc) > 1:
                        result.append(sorted(scc))
    return result


def _is_package_parent(a: str, b: str) -> bool:
    # A package's __init__ importing its own submodule (or the reverse) is not a design cycle.
    return a.startswith(b + ".") or b.startswith(a + ".")


def test_no_import_cycles_between_our_modules():
    graph = _graph()
    pruned = {m: {d for d in deps if not _is_package_parent(m, d)} for m, deps in graph.items()}
    assert _cycles(pruned) == []


def test_the_cycle_finder_finds_cycles():
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert _cycles({"a": {"b"}, "b": set()}) == []


def test_floors_point_down_only():
    allowed = {"translate": {"translate"}, "lattice": {"lattice", "translate"},
               "controller": {"controller", "lattice", "translate"}}
    wrong = []
    for mod, deps in _graph().items():
        top = mod.split(".")[0]
        wrong += [(mod, d) for d in deps if d.split(".")[0] not in allowed[top]]
        if mod.startswith("lattice.emulator"):
            wrong += [(mod, d) for d in deps if not d.startswith("lattice.emulator")]
    assert wrong == []


def test_controller_top_level_stays_small():
    top = [p.stem for p in (ROOT / "controller").glob("*.py") if p.stem != "__init__"]
    assert len(top) <= 12, sorted(top)
