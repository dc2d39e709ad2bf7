"""Reading requests strictly: JSON as RFC 8259 has it (no NaN or Infinity), bounded nesting, no NUL characters.

Python's ``json`` accepts ``NaN``/``Infinity`` (numbers no JSON Schema bound can reject: every comparison
with NaN is false) and recurses once per nesting level (a 1 MB body of ``[`` exhausts the stack).
PostgreSQL text cannot hold NUL. Each becomes a 400/422 naming where it is, before any use case runs.
"""
from __future__ import annotations

import json
import re

import flask_smorest
from marshmallow import RAISE
from flask import request
from webargs.core import missing
from webargs.flaskparser import FlaskParser, is_json_request

from ..domain.errors import Unreadable, ValidationFailed

#: deeper JSON is refused; no form of ours nests beyond ten levels
MAX_JSON_DEPTH = 64


def _no_constant(name: str):
    raise ValueError(f"{name} is not a JSON number")


def _finite(text: str) -> float:
    value = float(text)
    if value in (float("inf"), float("-inf")):
        raise ValueError(f"{text[:20]} is out of range")
    return value


def _too_deep(value) -> bool:
    """True when containers nest deeper than MAX_JSON_DEPTH (iterative: no recursion to exhaust)."""
    stack = [(value, 1)]
    while stack:
        item, level = stack.pop()
        children = item.values() if isinstance(item, dict) else item if isinstance(item, list) else None
        if children is None:
            continue
        if level > MAX_JSON_DEPTH:
            return True
        stack.extend((child, level + 1) for child in children if isinstance(child, (dict, list)))
    return False


def _unstorable(text: str) -> bool:
    """NUL (PostgreSQL text cannot hold it) or a lone UTF-16 surrogate (no UTF-8 encoding exists: a client
    that cut a string inside an emoji sends one)."""
    return "\x00" in text or _SURROGATE.search(text) is not None


_SURROGATE = re.compile("[\ud800-\udfff]")
#: a JSON escape of a surrogate (a valid pair is decoded into one character; only then can one be lone)
_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89abcdefABCDEF]")


def bad_text_path(value, path: str = "") -> str | None:
    """The dotted path of the first string (or key) holding a NUL or a lone surrogate, or None."""
    if isinstance(value, str):
        return path if _unstorable(value) else None
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for key, item in items:
        if isinstance(key, str) and _unstorable(key):
            return f"{path}.{key!r}" if path else repr(key)
        found = bad_text_path(item, f"{path}[{key}]" if isinstance(key, int) else (f"{path}.{key}" if path else key))
        if found is not None:
            return found
    return None


class StrictParser(FlaskParser):
    """webargs' Flask parser with strict JSON; unknown query parameters are refused (a misspelt filter such
    as ``?overdu=true`` would otherwise silently return everything)."""

    DEFAULT_UNKNOWN_BY_LOCATION = {**FlaskParser.DEFAULT_UNKNOWN_BY_LOCATION, "query": RAISE}

    def load_json(self, req, schema):
        if not is_json_request(req):
            return missing
        data = req.get_data(cache=True)
        if not data.strip():
            return missing
        too_deep = Unreadable(f"request body nests deeper than {MAX_JSON_DEPTH} levels", field="body")
        try:
            value = json.loads(data, parse_constant=_no_constant, parse_float=_finite)
        except RecursionError:
            raise too_deep from None
        except ValueError as exc:  # JSONDecodeError, UnicodeDecodeError, NaN/Infinity
            raise Unreadable(f"request body is not valid JSON: {exc}", field="body") from None
        # the bracket count bounds the depth: only bodies with many containers need the walk
        if data.count(b"[") + data.count(b"{") > MAX_JSON_DEPTH and _too_deep(value):
            raise too_deep
        if b"\\u0000" in data or _SURROGATE_ESCAPE.search(data):
            where = bad_text_path(value)
            if where is not None:
                raise ValidationFailed("text may not contain NUL (\\u0000) or a lone UTF-16 surrogate "
                                       "(\\ud800–\\udfff without its pair)", field=_SURROGATE.sub("\ufffd", where).replace("\x00", ""))
        return value


class Blueprint(flask_smorest.Blueprint):
    """flask-smorest's Blueprint reading arguments with :class:`StrictParser`."""

    ARGUMENTS_PARSER = StrictParser()


def refuse_nul_in_url() -> None:
    """NUL in the path or the query string is a 400 naming it (the gate calls this on every request)."""
    if "\x00" in request.path:
        raise Unreadable("the path may not contain NUL (%00)", field="path")
    if b"%00" in request.query_string or b"\x00" in request.query_string:
        for name, value in request.args.items(multi=True):
            if "\x00" in name or "\x00" in value:
                raise Unreadable("query parameters may not contain NUL (%00)", field=name.replace("\x00", ""))
