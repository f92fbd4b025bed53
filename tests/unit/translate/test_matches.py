import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from translate import matches
from translate.errors import RuleRejected
from translate.frozen import thaw


@pytest.mark.parametrize(
    "match,expected",
    [
        (None, {"httpMatch": {"pathMatch": {"match": {"prefix": "/"}, "caseSensitive": True}}}),
        ({"path": {"type": "Exact", "value": "/a"}}, {"httpMatch": {"pathMatch": {"match": {"exact": "/a"}, "caseSensitive": True}}}),
        ({"path": {"type": "PathPrefix", "value": "/p"}, "method": "GET"},
         {"httpMatch": {"method": "GET", "pathMatch": {"match": {"prefix": "/p"}, "caseSensitive": True}}}),
        ({"headers": [{"name": "X-A", "value": "1"}, {"name": "x-a", "value": "2"}]},  # first of duplicates wins
         {"httpMatch": {"pathMatch": {"match": {"prefix": "/"}, "caseSensitive": True},
                        "headerMatches": [{"name": "X-A", "match": {"exact": "1"}, "caseSensitive": True}]}}),
    ],
)
def test_http_match(match, expected):
    got, _ = matches.http_match(match)
    assert thaw(got) == expected


@pytest.mark.parametrize(
    "match,fragment",
    [
        ({"path": {"type": "RegularExpression", "value": "/a.*"}}, "RegularExpression"),
        ({"queryParams": [{"name": "a", "value": "b"}]}, "queryParams"),
        ({"headers": [{"name": f"h{i}", "value": "v"} for i in range(6)]}, "at most 5"),
        ({"headers": [{"type": "RegularExpression", "name": "h", "value": "v"}]}, "only Exact"),
        ({"path": {"type": "PathPrefix", "value": "/a b"}}, "not a valid Lattice path"),
        ({"path": {"type": "Exact", "value": "/" + "a" * 200}}, "not a valid Lattice path"),
    ],
)
def test_http_match_rejected(match, fragment):
    with pytest.raises(RuleRejected) as exc:
        matches.http_match(match)
    assert fragment in exc.value.message
    assert exc.value.reason == "UnsupportedValue"


def test_five_headers_allowed():
    got, prec = matches.http_match({"headers": [{"name": f"h{i}", "value": "v"} for i in range(5)]})
    assert len(got["httpMatch"]["headerMatches"]) == 5
    assert prec[3] == -5


@pytest.mark.parametrize(
    "method,path",
    [
        ({"service": "pkg.Svc", "method": "Get"}, {"exact": "/pkg.Svc/Get"}),
        ({"service": "pkg.Svc"}, {"prefix": "/pkg.Svc/"}),
        ({}, {"prefix": "/"}),
    ],
)
def test_grpc_match(method, path):
    got, _ = matches.grpc_match({"method": method} if method else None)
    assert got["httpMatch"]["method"] == "POST"
    assert got["httpMatch"]["pathMatch"]["match"] == path


@pytest.mark.parametrize("method", [{"method": "Get"}, {"type": "RegularExpression", "service": "a.*"}])
def test_grpc_match_rejected(method):
    with pytest.raises(RuleRejected):
        matches.grpc_match({"method": method})


def test_precedence_order():
    keys = {
        "exact": matches.http_match({"path": {"type": "Exact", "value": "/a"}})[1],
        "long": matches.http_match({"path": {"type": "PathPrefix", "value": "/abc"}})[1],
        "short_method": matches.http_match({"path": {"type": "PathPrefix", "value": "/a"}, "method": "GET"})[1],
        "short_headers": matches.http_match({"path": {"type": "PathPrefix", "value": "/a"},
                                             "headers": [{"name": "h", "value": "v"}]})[1],
        "short": matches.http_match({"path": {"type": "PathPrefix", "value": "/a"}})[1],
    }
    assert sorted(keys, key=keys.get) == ["exact", "long", "short_method", "short_headers", "short"]


_M = st.fixed_dictionaries(
    {"path": st.fixed_dictionaries({"type": st.sampled_from(["Exact", "PathPrefix"]), "value": st.sampled_from(["/", "/a", "/a/b", "/b"])})},
    optional={"method": st.sampled_from(["GET", "POST"]),
              "headers": st.lists(st.fixed_dictionaries({"name": st.sampled_from(["a", "b", "A"]), "value": st.sampled_from(["1", "2"])}), max_size=3)},
)


@settings(max_examples=150, deadline=None)
@given(a=_M, b=_M)
def test_match_key_equal_iff_match_equal(a, b):
    ma, _ = matches.http_match(a)
    mb, _ = matches.http_match(b)
    assert (matches.match_key(ma) == matches.match_key(mb)) == (ma == mb)
