"""README's Layout table names only folders that exist (it once listed a tests/e2e/ that did not)."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_every_path_in_the_layout_table_exists():
    layout = (ROOT / "README.md").read_text().split("## Layout", 1)[1].split("\n## ", 1)[0]
    paths = [p for p in re.findall(r"`([^`\s]+/)`", layout)]
    assert "tests/integration/e2e/" in paths and "translate/" in paths
    missing = [p for p in paths if not (ROOT / p).is_dir()]
    assert not missing, f"README.md Layout names folders that do not exist: {missing}"
