"""The official Gateway API conformance suite, run against `latticegw run` (see runner.py)."""
