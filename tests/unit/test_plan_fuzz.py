"""`latticegw plan` on hostile input: an exit code and one line naming the problem, never a traceback.

The loader and the translation are fuzzed with hypothesis over depth (nesting up to thousands of
levels), types (any YAML value where an object, a kind, a name or a List's items belong) and
sizes (many documents, long strings, alias expansion).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import string

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from controller.cli import plan as cmd_plan
from translate.snapshot import KNOWN_KINDS


def run_plan(tmp_path, text: str) -> tuple[int, str, str]:
    path = tmp_path / "in.yaml"
    path.write_text(text)
    parser = argparse.ArgumentParser(prog="latticegw plan")
    cmd_plan.add_arguments(parser)
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = cmd_plan.main(parser.parse_args(["-f", str(path), "-o", "json"]))
    return code, out.getvalue(), err.getvalue()


def assert_clean(code: int, out: str, err: str) -> None:
    assert code in (0, 2), (code, err)
    if code == 2:
        assert err.startswith("latticegw plan: ") and err.count("\n") == 1, err
        assert "Traceback" not in err
    else:
        assert out.startswith("{")


# ---------------------------------------------------------------- the cases from the issue
CASES = {
    "kind is a list": ("apiVersion: v1\nkind: [Service]\nmetadata: {name: x}\n", "kind must be a string, got a list"),
    "List items not a list": ("apiVersion: v1\nkind: List\nitems: 5\n", "List items must be a list, got a number"),
    "List items a mapping": ("apiVersion: v1\nkind: List\nitems: {a: 1}\n", "List items must be a list, got a mapping"),
    "nested flow 5000 deep": ("a: " + "[" * 5000 + "]" * 5000 + "\n", "nested deeper than 100 levels"),
    "nested block 3000 deep": ("- " * 3000 + "x\n", "nested deeper than 100 levels"),
    "name is a number": ("apiVersion: v1\nkind: Service\nmetadata: {name: 7}\n", "metadata.name must be a string"),
    "namespace is a list": ("apiVersion: v1\nkind: Service\nmetadata: {name: a, namespace: [x]}\n",
                            "metadata.namespace must be a string"),
    "Secret stringData a list": ("apiVersion: v1\nkind: Secret\nmetadata: {name: s}\nstringData: [a]\n",
                                 "Secret stringData must be a mapping, got a list"),
    "a scalar document": ("42\n", "a document must be a mapping (a Kubernetes object), got a number"),
    "alias bomb": ("a: &a [x,x,x,x,x,x,x,x,x,x]\n" + "".join(
        f"{chr(97 + i)}: &{chr(97 + i)} [{','.join(['*' + chr(96 + i)] * 10)}]\n" for i in range(1, 10)),
        "expands to more than 1,000,000 values"),
}


@pytest.mark.parametrize("text,expected", CASES.values(), ids=CASES.keys())
def test_each_reported_case_is_exit_2_with_a_reason(tmp_path, text, expected):
    code, out, err = run_plan(tmp_path, text)
    assert code == 2 and expected in err, err
    assert_clean(code, out, err)


# ---------------------------------------------------------------- fuzzing
scalars = st.one_of(st.none(), st.booleans(), st.integers(-2**70, 2**70), st.floats(allow_nan=False),
                    st.text(max_size=30), st.text(string.ascii_lowercase + "-", min_size=1, max_size=300))
values = st.recursive(scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=5), st.dictionaries(st.text(max_size=12), inner, max_size=5)), max_leaves=40)
# Field names translate reads, so random values land where it looks.
fields = st.sampled_from(["parentRefs", "rules", "backendRefs", "matches", "listeners", "hostnames", "targetRef",
                          "name", "namespace", "port", "sectionName", "kind", "group", "weight", "path", "value",
                          "type", "protocol", "gatewayClassName", "controllerName", "filters", "headers", "method",
                          "allowedRoutes", "tls", "ports", "endpoints", "addresses", "from", "to"])
specs = st.recursive(scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(fields, inner, max_size=6)), max_leaves=60)
objects = st.fixed_dictionaries(
    {"apiVersion": st.one_of(st.sampled_from(["v1", "gateway.networking.k8s.io/v1",
                                              "application-networking.k8s.aws/v1alpha1"]), values),
     "kind": st.one_of(st.sampled_from(sorted(KNOWN_KINDS) + ["List"]), values),
     "metadata": st.one_of(st.fixed_dictionaries({"name": st.one_of(st.text(string.ascii_lowercase, min_size=1,
                                                                            max_size=70), values),
                                                  "namespace": st.one_of(st.just("default"), values)},
                                                 optional={"annotations": values, "labels": values,
                                                           "generation": values}),
                           values)},
    optional={"spec": specs, "items": values, "status": values, "endpoints": specs, "ports": specs,
              "data": values, "stringData": values, "type": values})


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                 HealthCheck.too_slow])
@given(st.lists(st.one_of(objects, values), min_size=1, max_size=6))
def test_any_documents_give_a_plan_or_a_one_line_error(tmp_path, docs):
    text = yaml.safe_dump_all(docs, sort_keys=False)
    assert_clean(*run_plan(tmp_path, text))


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.integers(1, 4000), st.sampled_from(["[", "{a: ", "- "]), st.booleans())
def test_any_depth_gives_a_plan_or_a_one_line_error(tmp_path, depth, opener, wrapped):
    if opener == "- ":
        body = "- " * depth + "x\n"
    else:
        closer = "]" if opener == "[" else "}"
        body = opener * depth + "x" + closer * depth + "\n"
    text = f"apiVersion: v1\nkind: Service\nmetadata: {{name: a}}\nspec: {body}" if wrapped and opener != "- " else body
    code, out, err = run_plan(tmp_path, text)
    assert_clean(code, out, err)
    if depth > 101:
        assert code == 2 and "nested deeper than" in err, err


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.integers(1, 300), st.integers(0, 10_000))
def test_many_documents_and_long_values(tmp_path, count, length):
    docs = [{"apiVersion": "v1", "kind": "Service", "metadata": {"name": f"s{i}", "namespace": "default",
                                                                 "annotations": {"x": "y" * length}},
             "spec": {"ports": [{"port": 80}]}} for i in range(count)]
    assert_clean(*run_plan(tmp_path, yaml.safe_dump_all(docs)))
