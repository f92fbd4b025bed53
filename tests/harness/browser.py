"""A real headless browser (Debian's chromium) for the tests that look at a page.

No browser is no excuse: the test fails, saying how to install it (`.ci/run` does).
"""

from __future__ import annotations

import asyncio
import shutil
import tempfile
from pathlib import Path

import pytest

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-dev-shm-usage"]


def chromium() -> str:
    for name in ("chromium", "chromium-browser"):
        path = shutil.which(name)
        if path:
            return path
    pytest.fail("no chromium on this machine: install it with `apt-get install -y chromium` "
                "(.ci/run does); the status page must be checked in a real browser", pytrace=False)


async def _run(*args: str, timeout: float = 90.0) -> str:
    with tempfile.TemporaryDirectory(prefix="latticegw-chromium-") as profile:
        proc = await asyncio.create_subprocess_exec(
            chromium(), *FLAGS, f"--user-data-dir={profile}", *args,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
        try:
            out, err = await asyncio.wait_for(proc.communicate(), timeout)
        except asyncio.TimeoutError:
            proc.kill()
            await proc.wait()
            raise AssertionError(f"chromium did not finish in {timeout:.0f}s") from None
    assert proc.returncode == 0, err.decode(errors="replace")[-2000:]
    return out.decode(errors="replace")


async def dump_dom(url: str) -> str:
    """The DOM as the browser built it after loading `url`. (chromium's --dump-dom itself needs
    scripting, so "readable without JavaScript" is checked as: the page has no script at all.)"""
    return await _run("--dump-dom", url)


async def screenshot(url: str, path: Path, size: str = "1280,1800") -> Path:
    await _run(f"--screenshot={path}", f"--window-size={size}", "--hide-scrollbars", url)
    assert path.exists() and path.stat().st_size > 1000, "chromium wrote no screenshot"
    return path
