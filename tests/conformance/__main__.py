"""`python -m tests.conformance` (what `make conformance` runs): the whole suite against
latticegw on the local control plane and the emulator. Prints every test's result and
writes the suite's ConformanceReport to docs/conformance/. Exit code 1 if a test failed."""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
from pathlib import Path

from controller.localkube.artifacts import _read_versions
from tests.conformance.runner import REPO, render, run


def main() -> int:
    version = _read_versions()["GATEWAY_API_VERSION"]
    parser = argparse.ArgumentParser(prog="python -m tests.conformance", description=__doc__)
    parser.add_argument("--report", type=Path,
                        default=REPO / "docs" / "conformance" / f"gateway-api-{version}-report.yaml",
                        help="where to write the ConformanceReport (default: %(default)s)")
    parser.add_argument("--workdir", type=Path, help="logs go here (default: a new temporary directory, kept)")
    args = parser.parse_args()
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="latticegw-conformance-"))
    result = asyncio.run(run(workdir, report=args.report))
    print(render(result))
    if result.report is None:
        print(f"conformance: the suite wrote no report; see {result.log}", file=sys.stderr)
        return 1
    print(f"report: {args.report}")
    return 1 if result.counts()["FAIL"] else 0


if __name__ == "__main__":
    sys.exit(main())
