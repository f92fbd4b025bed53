import pytest

from translate import tags

A = "application-networking.k8s.aws/"


@pytest.mark.parametrize(
    "raw,expected,problems",
    [
        ("team=a,env=prod", {"team": "a", "env": "prod"}, 0),
        (" team = a , ,", {"team": "a"}, 0),
        ("aws:x=1,application-networking.k8s.aws/ManagedBy=me,ok=1", {"ok": "1"}, 2),
        ("novalue", {}, 1),
        ("k=" + "v" * 257, {}, 1),
        ("k=1,k=2", {"k": "1"}, 1),
        (",".join(f"k{i}=v" for i in range(55)), {f"k{i}": "v" for i in range(50)}, 5),
    ],
)
def test_parse_user_tags(raw, expected, problems):
    got, probs = tags.parse_user_tags({A + "tags": raw})
    assert dict(got) == expected
    assert len(probs) == problems


def test_managed_tags_cannot_be_overridden():
    merged = tags.merge({tags.MANAGED_BY: "evil", "x": "1"}, tags.managed_by("acct/c/vpc"))
    assert merged[tags.MANAGED_BY] == "acct/c/vpc" and merged["x"] == "1"


@pytest.mark.parametrize("user", [{}, {"team": "a", "zzz": "1"}])
def test_route_target_group_tags_fast_path_equals_merge(user):
    from translate.frozen import freeze

    kw = dict(managed="m", cluster="c", service_namespace="ns", service_name="s", source_kind="HTTPRoute",
              protocol_version="HTTP1", route_namespace="rns", route_name="r")
    fast = tags.route_target_group_tags(freeze(user), **kw)
    slow = tags.merge(user, tags.target_group_tags(**kw))
    assert fast == slow and list(fast) == list(slow)


@pytest.mark.parametrize("user", [{}, {"team": "a", "zzz": "1"}])
def test_service_and_common_tag_fast_paths_equal_merge(user):
    from translate.frozen import freeze

    fast = tags.route_service_tags(freeze(user), "m", "GRPCRoute", "ns", "r")
    slow = tags.merge(user, tags.service_tags("m", "GRPCRoute", "ns", "r"))
    assert fast == slow and list(fast) == list(slow)
    fast = tags.managed_only(freeze(user), "m")
    slow = tags.merge(user, tags.managed_by("m"))
    assert fast == slow and list(fast) == list(slow)
