"""The Dockerfile, checked by parsing (no container engine here): multi-stage, slim base, pinned
dependencies from the lock, non-root, nothing written outside the declared /tmp volume, `latticegw
run` as the entrypoint, OCI labels; and a build context that holds what the COPYs need."""

from __future__ import annotations

import fnmatch
import json
import re
import tomllib
from pathlib import Path

from controller.version import __version__

ROOT = Path(__file__).resolve().parents[3]


def instructions(text: str) -> list[tuple[str, str]]:
    """[(INSTRUCTION, arguments)] with line continuations joined and comments dropped."""
    out: list[tuple[str, str]] = []
    buf = ""
    for line in text.splitlines():
        stripped = line.strip()
        if not buf and (not stripped or stripped.startswith("#")):
            continue
        if buf and stripped.startswith("#"):
            continue
        if stripped.endswith("\\"):
            buf += stripped[:-1] + " "
            continue
        buf += stripped
        op, _, args = buf.partition(" ")
        out.append((op.upper(), args.strip()))
        buf = ""
    assert not buf, "dangling line continuation"
    return out


INSTR = instructions((ROOT / "Dockerfile").read_text())


def stages() -> list[list[tuple[str, str]]]:
    result: list[list[tuple[str, str]]] = []
    for op, args in INSTR:
        if op == "FROM":
            result.append([])
        if result:
            result[-1].append((op, args))
    return result


def args_defaults() -> dict[str, str]:
    out = {}
    for op, args in INSTR:
        if op == "ARG" and "=" in args:
            k, v = args.split("=", 1)
            out[k] = v
    return out


def test_multi_stage_on_a_slim_python_base():
    st = stages()
    assert len(st) >= 2
    base = args_defaults()["PYTHON_IMAGE"]
    assert re.fullmatch(r"python:3\.\d+-slim(-\w+)?", base), base
    froms = [s[0][1] for s in st]
    assert froms[0] == "${PYTHON_IMAGE} AS build"
    assert froms[-1].startswith("${PYTHON_IMAGE}")  # the runtime is the same slim base, no build tools
    requires = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["requires-python"]
    minor = int(base.split(":")[1].split("-")[0].split(".")[1])
    assert requires == ">=3.11" and minor >= 11


def test_dependencies_come_from_the_lock():
    build = stages()[0]
    runs = " ".join(args for op, args in build if op == "RUN")
    assert runs.count("--constraint constraints.txt") >= 2  # the dependencies and the package itself
    assert "--no-deps ." in runs and "pip check" in runs and "compileall" in runs
    pinned = {
        re.split(r"[=<>!~\[]", line, maxsplit=1)[0].strip().lower().replace("_", "-")
        for line in (ROOT / "constraints.txt").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    }
    deps = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    for dep in deps:
        name = re.split(r"[=<>!~\[ ;]", dep, maxsplit=1)[0].lower().replace("_", "-")
        assert name in pinned, f"{name} is not pinned in constraints.txt"


def test_runtime_stage_is_non_root_and_read_only_friendly():
    runtime = stages()[-1]
    ops = [op for op, _ in runtime]
    assert "RUN" not in ops, "the runtime stage must not run anything (no writes, no package manager)"
    copies = [args for op, args in runtime if op == "COPY"]
    assert copies and all(c.startswith("--from=build ") for c in copies)
    user = [args for op, args in runtime if op == "USER"][-1]
    uid, _, gid = user.partition(":")
    assert uid.isdigit() and int(uid) != 0 and gid.isdigit() and int(gid) != 0
    env = " ".join(args for op, args in runtime if op == "ENV")
    assert "PYTHONDONTWRITEBYTECODE=1" in env
    assert "HOME=/tmp" in env and "TMPDIR=/tmp" in env
    store = re.search(r"LATTICEGW_QUEUE_STORE=(\S+)", env).group(1)
    assert store.startswith("sqlite:/tmp/"), "the embedded queue store must live in the /tmp volume"
    assert json.loads([args for op, args in runtime if op == "VOLUME"][-1]) == ["/tmp"]


def test_entrypoint_is_latticegw_run():
    runtime = stages()[-1]
    entry = json.loads([args for op, args in runtime if op == "ENTRYPOINT"][-1])  # exec form
    cmd = json.loads([args for op, args in runtime if op == "CMD"][-1])
    assert entry[-1].endswith("/latticegw") and cmd == ["run"]
    assert "8080" in [args for op, args in runtime if op == "EXPOSE"][-1].split()


def test_oci_labels():
    runtime = stages()[-1]
    labels = " ".join(args for op, args in runtime if op == "LABEL")
    for key in ("title", "description", "version", "revision", "licenses", "source"):
        assert f"org.opencontainers.image.{key}=" in labels, key
    assert args_defaults()["VERSION"] == __version__


def test_build_context_holds_what_copy_needs():
    patterns = [p.strip() for p in (ROOT / ".dockerignore").read_text().splitlines()
                if p.strip() and not p.startswith("#")]
    assert patterns[0] == "*", ".dockerignore should be an allowlist"

    def included(path: str) -> bool:
        keep = True
        for p in patterns:
            neg = p.startswith("!")
            pat = p[1:] if neg else p
            pat = pat.rstrip("/")
            if fnmatch.fnmatch(path, pat) or path.startswith(pat + "/"):
                keep = neg
        return keep

    for op, args in INSTR:
        if op != "COPY" or args.startswith("--from"):
            continue
        *srcs, _dest = args.split()
        for src in srcs:
            assert (ROOT / src).exists(), src
            assert included(src.rstrip("/")), f"{src} is excluded by .dockerignore"
    assert not included("tests") and not included(".venv") and not included("docs")
