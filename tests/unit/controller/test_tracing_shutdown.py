"""Stopping one manager must not break tracing for the rest of the process."""

import subprocess
import sys

from controller.observe.tracing import Tracing

# In a fresh interpreter, so this manager's Tracing is the one that becomes process-wide.
PROBE = """
from opentelemetry import trace
from controller.observe.tracing import Tracing
t = Tracing(environ={}, install_global=True)
assert t.is_global
t.shutdown()
with trace.get_tracer("aws-layer").start_as_current_span("still-recorded"):
    pass
print([s["name"] for s in t.recent()])
"""


def test_global_provider_keeps_exporting_after_its_manager_stops():
    out = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "['still-recorded']"
    assert "already shutdown" not in out.stderr


def test_a_private_provider_is_shut_down():
    private = Tracing(environ={})
    assert not private.is_global
    private.shutdown()
    with private.tracer.start_as_current_span("after-shutdown"):
        pass
    assert private.recent() == []
