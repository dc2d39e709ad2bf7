"""JSON Schema forms as HTML fields, and submitted HTML fields back as the JSON the use cases validate.

Fields follow the form's ``x-order`` (else the file's key order); enum values show their
``x-enum-labels`` (branch codes: the organisation's names); a ``format: date`` string is a date picker;
an array of objects is a list of rows the user adds and removes; an array of enum strings is a set of
checkboxes; a field listed in ``x-attachments`` is a file upload; booleans are checkboxes that start
unticked. Input names are dotted paths (``targets.0.name``); errors come back keyed the same way.
"""
from __future__ import annotations

from dataclasses import dataclass, field as dc_field

from . import zh

LONG_TEXT = 200  # a string allowed more characters than this is a textarea


@dataclass
class Field:
    """One input (or group of inputs) of a rendered form."""
    path: str
    label: str
    kind: str  # text textarea number integer date select checkboxes checkbox rows group files
    required: bool = False
    value: object = None
    options: list = dc_field(default_factory=list)
    error: str | None = None
    children: list = dc_field(default_factory=list)  # group: fields; rows: list of field lists
    template: list = dc_field(default_factory=list)  # rows: the fields of a new row (path with __i__)
    attrs: dict = dc_field(default_factory=dict)
    description: str | None = None


def _labels(prop: dict) -> dict:
    labels = dict(prop.get("x-enum-labels") or {})
    for value in prop.get("enum", []):
        labels.setdefault(value, zh.branch(value) if isinstance(value, str) else str(value))
    return labels


def _order(schema: dict) -> list[str]:
    props = schema.get("properties", {})
    order = [k for k in schema.get("x-order", []) if k in props]
    return order + [k for k in props if k not in order]


def fields(schema: dict | None, values: dict | None = None, errors: dict | None = None, prefix: str = "") -> list[Field]:
    """The fields of an object schema, filled with ``values`` and ``errors`` (path → Chinese message)."""
    if not schema:
        return []
    values, errors = values or {}, errors or {}
    required = set(schema.get("required", []))
    attachments = set(schema.get("x-attachments", []))
    out = []
    for name in _order(schema):
        prop = schema["properties"][name]
        out.append(_field(prop, f"{prefix}{name}", values.get(name), errors, name in required, name in attachments))
    return out


def _field(prop: dict, path: str, value, errors: dict, required: bool, attachment: bool) -> Field:
    label = prop.get("title", path.rsplit(".", 1)[-1])
    kind_of = prop.get("type")
    f = Field(path, label, "text", required, value, error=errors.get(path), description=prop.get("description"))
    if attachment:
        f.kind = "files"
        f.value = value if isinstance(value, list) else []
    elif kind_of == "object":
        f.kind = "group"
        f.children = fields(prop, value if isinstance(value, dict) else {}, errors, prefix=f"{path}.")
    elif kind_of == "array" and isinstance(prop.get("items"), dict) and prop["items"].get("type") == "object":
        f.kind = "rows"
        rows = value if isinstance(value, list) and value else [{}]
        f.children = [fields(prop["items"], row if isinstance(row, dict) else {}, errors, prefix=f"{path}.{i}.")
                      for i, row in enumerate(rows)]
        f.template = fields(prop["items"], {}, {}, prefix=f"{path}.__i__.")
        f.attrs = {"min": prop.get("minItems", 0), "max": prop.get("maxItems", 50)}
    elif kind_of == "array" and "enum" in (prop.get("items") or {}):
        f.kind = "checkboxes"
        f.options = list(_labels(prop["items"]).items())
        f.value = value if isinstance(value, list) else []
    elif kind_of == "array":
        f.kind = "rows"  # a list of plain values: one text input per row
        rows = value if isinstance(value, list) and value else [""]
        item = dict(prop.get("items") or {}, title="")
        f.children = [[_field(item, f"{path}.{i}", v, errors, False, False)] for i, v in enumerate(rows)]
        f.template = [_field(item, f"{path}.__i__", None, {}, False, False)]
        f.attrs = {"min": prop.get("minItems", 0), "max": prop.get("maxItems", 50)}
    elif "enum" in prop:
        f.kind = "select"
        f.options = list(_labels(prop).items())
    elif kind_of == "boolean":
        f.kind = "checkbox"
    elif kind_of in ("integer", "number"):
        f.kind = kind_of
        f.attrs = {k: prop[k] for k in ("minimum", "maximum") if k in prop}
        f.attrs["step"] = 1 if kind_of == "integer" else "any"
    elif prop.get("format") == "date":
        f.kind = "date"
    elif prop.get("maxLength", 0) > LONG_TEXT:
        f.kind = "textarea"
    if kind_of == "string" and "maxLength" in prop:
        f.attrs = dict(f.attrs, maxlength=prop["maxLength"])
    return f


# -- reading a submission ----------------------------------------------------------------------------


def parse(schema: dict | None, form, prefix: str = "") -> dict:
    """The JSON object a submitted HTML form stands for: typed values, empty inputs left out, blank rows
    dropped. Values that do not parse (``abc`` for a number) are kept as text so validation names them."""
    if not schema:
        return {}
    out = {}
    attachments = set(schema.get("x-attachments", []))
    for name in _order(schema):
        value = _value(schema["properties"][name], f"{prefix}{name}", form, name in attachments)
        if value is not None:
            out[name] = value
    return out


def _indexes(form, path: str) -> list[int]:
    found = set()
    for key in form.keys():
        if key.startswith(path + "."):
            head = key[len(path) + 1:].split(".", 1)[0]
            if head.isdigit():
                found.add(int(head))
    return sorted(found)


def _value(prop: dict, path: str, form, attachment: bool):
    kind_of = prop.get("type")
    if attachment:
        ids = [v for v in form.getlist(path) if v]
        return ids or None
    if kind_of == "object":
        inner = parse(prop, form, prefix=f"{path}.")
        return inner or None
    if kind_of == "array" and isinstance(prop.get("items"), dict) and prop["items"].get("type") == "object":
        rows = [parse(prop["items"], form, prefix=f"{path}.{i}.") for i in _indexes(form, path)]
        rows = [r for r in rows if r]
        return rows or None
    if kind_of == "array" and "enum" in (prop.get("items") or {}):
        chosen = form.getlist(path)
        return chosen or None
    if kind_of == "array":
        items = [_scalar(prop.get("items") or {}, form.get(f"{path}.{i}", "")) for i in _indexes(form, path)]
        items = [v for v in items if v is not None]
        return items or None
    if kind_of == "boolean":
        return path in form
    return _scalar(prop, form.get(path, ""))


def _scalar(prop: dict, raw: str):
    text = raw.strip() if isinstance(raw, str) else raw
    if text in ("", None):
        return None
    kind_of = prop.get("type")
    try:
        if kind_of == "integer":
            return int(text)
        if kind_of == "number":
            number = float(text)
            return int(number) if number.is_integer() and "." not in text else number
    except ValueError:
        return text
    return text


def errors_by_field(errors: list[dict], prefix: str = "data") -> dict[str, str]:
    """``[{"field": "data.targets[0].name", "message_zh": …}]`` → ``{"targets.0.name": "必填"}``."""
    out = {}
    for err in errors:
        name = (err.get("field") or "").replace("[", ".").replace("]", "")
        for head in (f"{prefix}.", "variables.", "data."):
            if name.startswith(head):
                name = name[len(head):]
                break
        out.setdefault(name or "_form", err.get("message_zh") or "填写有误")
    return out


def _paths(fs: list[Field]) -> set[str]:
    out = set()
    for f in fs:
        out.add(f.path)
        if f.kind == "group":
            out |= _paths(f.children)
        elif f.kind == "rows":
            for row in f.children:
                out |= _paths(row)
    return out


def place_errors(rendered: list[Field], errors: dict[str, str]) -> list[Field]:
    """Errors whose path has no field of its own (a rule across fields, a row the form dropped) join the
    form-level message, so none is lost; returns the fields unchanged."""
    known = _paths(rendered)
    stray = [message for path, message in errors.items() if path != "_form" and path not in known]
    lead = "表单有误，请按提示修改后再提交。"
    errors["_form"] = lead + ("" if not stray else "（" + "；".join(dict.fromkeys(stray)) + "）")
    return rendered
