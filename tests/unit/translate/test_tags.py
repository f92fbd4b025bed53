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
