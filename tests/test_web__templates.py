"""The pages' Jinja environment answers ``obj.name`` as Jinja does, with its faster path for plain dicts."""
from __future__ import annotations


def test_dict_lookups_answer_as_jinja_does(api):
    t = api.app.jinja_env.from_string(
        "{{ d.a }}|{{ d.items is callable }}|{{ d.missing is undefined }}|{{ o.real }}|{{ d.get('a') }}|{{ n.a.b }}")
    # a key named like a dict method still gives the method; a missing key is undefined; other objects as ever
    assert t.render(d={"a": 1, "items": 2}, o=3, n={"a": {"b": "深"}}) == "1|True|True|3|1|深"
