"""Which conformance tests send traffic, read from the suite's own sources.

latticegw programs VPC Lattice; on the local control plane the emulator plays Lattice's
control plane only, so no request can ever reach a backend. A test that sends traffic
therefore cannot pass here, however right latticegw's status is, and running it would
only spend its timeouts: such tests are *not run*, and say why.

A test sends traffic when its source file imports one of the suite's data-plane clients
(`conformance/utils/http`, `grpc`, `tls`, `tcp`, `udp`, `websocket`, `roundtripper`,
`weight`) or a network library. That is read from the pinned module, not listed by
hand, so a suite upgrade reclassifies itself.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

UTILS = "sigs.k8s.io/gateway-api/conformance/utils/"
TRAFFIC_IMPORTS = frozenset(
    [UTILS + p for p in ("http", "grpc", "tls", "tcp", "udp", "websocket", "roundtripper", "weight", "echo")]
    + ["net", "net/http", "crypto/tls", "github.com/miekg/dns", "google.golang.org/grpc"]
)
NO_DATA_PLANE = ("sends traffic through the Gateway; the local Lattice emulator has no data plane, "
                 "so only a real VPC Lattice deployment can answer it")

_SHORT_NAME = re.compile(r'ShortName:\s*"([A-Za-z0-9]+)"')
_IMPORT_BLOCK = re.compile(r"^import \((.*?)^\)", re.S | re.M)
_IMPORT_ONE = re.compile(r'^import\s+(?:\w+\s+)?"([^"]+)"', re.M)
_QUOTED = re.compile(r'"([^"]+)"')


@dataclass(frozen=True)
class SuiteTest:
    name: str
    file: str
    traffic_imports: tuple[str, ...]

    @property
    def sends_traffic(self) -> bool:
        return bool(self.traffic_imports)


def imports_of(source: str) -> set[str]:
    found = set(_IMPORT_ONE.findall(source))
    for block in _IMPORT_BLOCK.findall(source):
        found.update(_QUOTED.findall(block))
    return found


def read_catalog(suite_src: Path) -> dict[str, SuiteTest]:
    """ShortName -> SuiteTest for every test in `<module>/tests/*.go`."""
    out: dict[str, SuiteTest] = {}
    for path in sorted((suite_src / "tests").glob("*.go")):
        if path.name.endswith("_test.go"):
            continue
        source = path.read_text()
        traffic = tuple(sorted(imports_of(source) & TRAFFIC_IMPORTS))
        for name in _SHORT_NAME.findall(source):
            out[name] = SuiteTest(name, path.name, traffic)
    if not out:
        raise RuntimeError(f"no conformance tests found under {suite_src / 'tests'}")
    return out


def traffic_tests(catalog: dict[str, SuiteTest]) -> list[str]:
    return sorted(name for name, test in catalog.items() if test.sends_traffic)
