# The two commands a newcomer needs are `make demo` and `make test`; every other
# target here is a step they run. Everything is cached: the virtualenv in .venv,
# the kube-apiserver/etcd build, the Gateway API CRDs and helm under ~/.cache/latticegw.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
STAMP := $(VENV)/.installed
export LATTICEGW_CACHE ?= $(HOME)/.cache/latticegw
export PIP_CACHE_DIR ?= $(LATTICEGW_CACHE)/pip
# Test and demo traffic stays on loopback; never let a proxy setting send it elsewhere.
export NO_PROXY := 127.0.0.1,localhost,::1
export no_proxy := $(NO_PROXY)

.PHONY: venv kube helm promtool suite lint test unit integration conformance demo bench clean

$(STAMP): pyproject.toml constraints.txt
	test -x $(VENV)/bin/python || $(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -c constraints.txt -e '.[test]'
	touch $(STAMP)

venv: $(STAMP)

kube:
	bash tests/kube/build.sh >/dev/null

# helm renders and lints deploy/chart in the tests (built from its Go module, cached).
helm:
	bash deploy/tools/build_helm.sh >/dev/null

# promtool checks and unit-tests the chart's alert rules (built from its Go module, cached).
promtool:
	bash deploy/tools/build_promtool.sh >/dev/null

# The official Gateway API conformance suite at the CRDs' version, built from its Go module (cached).
suite:
	bash tests/conformance/build.sh >/dev/null

# The gates: ruff (pyflakes, pycodestyle, import order, bugbear) and mypy (strict on translate/
# and lattice/plan.py, normal elsewhere); settings in pyproject.toml.
lint: venv
	$(VENV)/bin/ruff check controller translate lattice tests bench
	$(VENV)/bin/mypy

test: venv kube helm promtool suite lint
	$(VENV)/bin/python -m pytest -q tests

unit: venv
	$(VENV)/bin/python -m pytest -q tests/unit

integration: venv kube helm
	$(VENV)/bin/python -m pytest -q tests/integration tests/emulator

# The whole conformance suite against `latticegw run` on the local control plane and the emulator:
# prints every test's result and writes the ConformanceReport to docs/conformance/.
conformance: venv kube suite
	$(VENV)/bin/python -m tests.conformance

demo: venv kube
	$(VENV)/bin/latticegw demo

bench: venv kube
	@for b in bench/bench_*.py; do echo "== $$b"; $(VENV)/bin/python $$b || exit 1; done

clean:
	rm -rf $(VENV) *.egg-info .pytest_cache .hypothesis
