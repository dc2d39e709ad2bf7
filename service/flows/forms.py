"""Forms: submitted data validated against the task's JSON Schema (errors with field paths and a Chinese
message), and forms presented to the people who fill them (labels for choices, the order of fields).

Presentation hints live in the form files next to the schema keywords they describe:

- ``x-enum-labels`` on a property with an ``enum`` (or on the ``items`` of an array of enums): value → the
  Chinese label a page shows for it. Branch codes are organisation data, so forms never label them:
  ``presented`` adds their labels from the organisation's branches.
- ``x-choices`` on a property (or on the ``items`` of an array): its values come from the organisation when
  the form is served and validated: ``"branches"`` (branch codes). ``with_choices`` writes them in as an
  ``enum`` (with labels), so a form file never lists branch codes and a branch an admin adds is a choice at once.
- ``x-item-refs`` at the top: fields whose values must name items of a list in the process data, e.g. a
  claim's posts: ``{"basic": {"from": "posts", "key": "code", "where": {"kind": ["basic"]}}}``
  (``check_item_refs``; a value or each value of an array).
- ``x-order`` on an object schema: the names of its properties in display order. Without it the file's key
  order is the order, and ``presented`` writes it down (JSON answers sort their keys).

jsonschema ignores keywords it does not know inside a schema, so both may sit at any depth; the top-level
hints are left out of the schema the validator sees (``schema_of``).
"""
from __future__ import annotations

import copy
from functools import lru_cache
import json

from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError

from ..domain.errors import TooLarge, ValidationFailed

#: keys of a form file that are not JSON Schema but hints for the service and UIs
NON_SCHEMA_KEYS = ("ui", "x-choices", "x-item-refs", "x-start-roles", "x-start-via", "x-defaults", "x-instance-refs",
                   "x-items-from", "x-attachments", "x-enum-labels", "x-order", "x-person-fields", "x-one-running",
                   "x-dates-in-period", "x-covers")
MAX_FORM_BYTES = 256 * 1024


@lru_cache(maxsize=256)
def _validator(schema_json: str) -> Draft202012Validator:
    schema = json.loads(schema_json)
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)


_BY_FORM: dict[int, tuple[dict, Draft202012Validator]] = {}


def _validator_of(form: dict) -> Draft202012Validator:
    """The validator of a form dict; bundles keep their forms for the life of the process, so the
    validator is found by identity first and only built (once per distinct schema) on a miss."""
    hit = _BY_FORM.get(id(form))
    if hit is not None and hit[0] is form:
        return hit[1]
    validator = _validator(json.dumps(schema_of(form), sort_keys=True))
    if len(_BY_FORM) > 1024:
        _BY_FORM.clear()
    _BY_FORM[id(form)] = (form, validator)
    return validator


def schema_of(form: dict) -> dict:
    """The JSON Schema part of a form file."""
    return {k: v for k, v in form.items() if k not in NON_SCHEMA_KEYS}


def _path(error) -> str:
    parts = list(error.absolute_path)
    if error.validator == "required":
        missing = error.message.split("'")[1] if "'" in error.message else ""
        parts.append(missing)
    if error.validator == "additionalProperties" and "'" in error.message:
        parts.append(error.message.split("'")[1])
    return ".".join(str(p) for p in parts) or "(root)"


def _number(n) -> object:
    """A bound as people write it: 100, not 100.0."""
    return int(n) if isinstance(n, float) and n.is_integer() else n


#: the Chinese message of a failed format check, by format
_FORMAT_ZH = {"date": "请填写有效日期（年-月-日）", "uuid": "请填写有效的编号", "date-time": "请填写有效时间"}


#: the Chinese message of each JSON Schema keyword; ``{n}`` is the keyword's bound
_ZH = {"required": "必填", "minLength": "至少{n}个字", "maxLength": "不能超过{n}个字", "minimum": "不能小于{n}",
       "exclusiveMinimum": "必须大于{n}", "maximum": "不能大于{n}", "exclusiveMaximum": "必须小于{n}",
       "minItems": "至少填写{n}项", "maxItems": "最多填写{n}项", "enum": "请从列表中选择", "const": "取值不符合要求",
       "type": "格式不正确", "pattern": "格式不正确", "uniqueItems": "不能重复", "additionalProperties": "不认识的字段"}


def message_zh(error) -> str:
    """The Chinese message a page shows for one jsonschema error (``message`` stays the validator's own)."""
    kind, bound = error.validator, error.validator_value
    if kind == "format":
        return _FORMAT_ZH.get(bound, "格式不正确")
    if kind == "const" and bound is True:  # a confirmation box ("本人已阅读并签署")
        return "请勾选确认"
    return _ZH.get(kind, "填写有误").format(n=_number(bound))


def validate(form: dict | None, data: object, *, prefix: str = "data") -> dict:
    """Check ``data`` against ``form``; raise ValidationFailed naming every failing field, each error with
    the validator's ``message`` and a Chinese ``message_zh``."""
    if not isinstance(data, dict):
        raise ValidationFailed("form data must be a JSON object", field=prefix, message_zh="表单内容格式不正确")
    if len(json.dumps(data, ensure_ascii=False).encode()) > MAX_FORM_BYTES:  # UTF-8 bytes: 汉字 count 3
        raise TooLarge(f"form data larger than {MAX_FORM_BYTES // 1024} KB", field=prefix,
                       message_zh=f"填写的内容超过{MAX_FORM_BYTES // 1024} KB")
    if form is None:
        if data:
            raise ValidationFailed("this task takes no form data", field=prefix, message_zh="此任务无需填写表单")
        return data
    try:
        validator = _validator_of(form)
    except SchemaError as exc:  # an authoring error, not the caller's
        raise RuntimeError(f"invalid form schema: {exc.message}") from exc
    errors = sorted(validator.iter_errors(data), key=lambda e: (list(map(str, e.absolute_path)), e.message))
    if errors:
        raise ValidationFailed(
            "form data does not satisfy the form",
            errors=[{"field": f"{prefix}.{_path(e)}" if _path(e) != "(root)" else prefix, "message": e.message,
                     "message_zh": message_zh(e)}
                    for e in errors],
        )
    return data


def check_period(form: dict | None, data: dict, context: dict, *, prefix: str = "data") -> None:
    """A form's ``x-dates-in-period`` rule: each item of ``list`` has its date ``field`` inside the period the
    task belongs to (``first``..``last``, fields of the process data ``context``), and with ``distinct`` no two
    items on the same day (a month's visits). Raises ValidationFailed naming every offending item."""
    rule = (form or {}).get("x-dates-in-period")
    if not rule:
        return
    first, last = context.get(rule["first"]), context.get(rule["last"])
    if not first or not last:
        return
    errors, seen = [], set()
    for i, item in enumerate(data.get(rule["list"]) or []):
        day = item.get(rule["field"]) if isinstance(item, dict) else None
        if not isinstance(day, str):
            continue
        where = f"{prefix}.{rule['list']}.{i}.{rule['field']}"
        if not first <= day <= last:
            errors.append({"field": where, "message": f"{day} is outside the period {first}..{last}",
                           "message_zh": f"日期须在本期内（{first}至{last}）"})
        elif rule.get("distinct") and day in seen:
            errors.append({"field": where, "message": f"{day} is listed twice", "message_zh": "同一天只能记录一次"})
        seen.add(day)
    if errors:
        raise ValidationFailed("form data does not satisfy the form", errors=errors)


def check_covers(form: dict | None, data: dict, context: dict, *, prefix: str = "data") -> None:
    """A form's ``x-covers`` rule: the items of ``list`` name (by ``key``) each entry of the process data's
    ``from`` list exactly once, and nothing else (an acceptance judges every target of the letter by name)."""
    rule = (form or {}).get("x-covers")
    if not rule:
        return
    wanted = [item.get(rule["key"]) for item in context.get(rule["from"]) or [] if isinstance(item, dict)]
    given = [item.get(rule["key"]) for item in data.get(rule["list"]) or [] if isinstance(item, dict)]
    where = f"{prefix}.{rule['list']}"
    missing = [name for name in wanted if name not in given]
    unknown = [name for name in given if name not in wanted]
    twice = sorted({name for name in given if given.count(name) > 1})
    errors = []
    if missing:
        errors.append({"field": where, "message": f"not judged: {', '.join(map(str, missing))}",
                       "message_zh": f"须逐项填写责任书的每一项目标，缺少：{'、'.join(map(str, missing))}"})
    if unknown:
        errors.append({"field": where, "message": f"not in the letter: {', '.join(map(str, unknown))}",
                       "message_zh": f"责任书中没有这些目标：{'、'.join(map(str, unknown))}"})
    if twice:
        errors.append({"field": where, "message": f"judged twice: {', '.join(map(str, twice))}",
                       "message_zh": f"同一目标只能填写一次：{'、'.join(map(str, twice))}"})
    if errors:
        raise ValidationFailed("form data does not satisfy the form", errors=errors)


def check_item_refs(form: dict | None, data: dict, process_data: dict) -> None:
    """Refuse values of ``x-item-refs`` fields that name no fitting item of the process data's list."""
    errors = []
    for name, ref in ((form or {}).get("x-item-refs") or {}).items():
        value = data.get(name)
        if value in (None, ""):
            continue
        where = ref.get("where", {})
        allowed = {item.get(ref["key"]) for item in process_data.get(ref["from"]) or []
                   if isinstance(item, dict) and all(item.get(k) in v for k, v in where.items())}
        for i, v in enumerate(value if isinstance(value, list) else [value]):
            if v not in allowed:
                path = f"data.{name}.{i}" if isinstance(value, list) else f"data.{name}"
                errors.append({"field": path, "message": f"{v!r} is not one of {sorted(map(str, allowed))}",
                               "message_zh": "请从清单中选择"})
    if errors:
        raise ValidationFailed("form data does not satisfy the form", errors=errors)


def with_item_choices(form: dict | None, process_data: dict) -> dict | None:
    """A served form whose ``x-item-refs`` fields offer the fitting items of the process data as choices
    (an ``enum`` labelled with each item's ``title``): a member picks a published post, not its code."""
    refs = (form or {}).get("x-item-refs")
    if not refs:
        return form
    out = copy.deepcopy(form)
    for name, ref in refs.items():
        prop = out.get("properties", {}).get(name)
        if not isinstance(prop, dict):
            continue
        target = prop["items"] if prop.get("type") == "array" and isinstance(prop.get("items"), dict) else prop
        where = ref.get("where", {})
        items = [i for i in process_data.get(ref["from"]) or []
                 if isinstance(i, dict) and all(i.get(k) in v for k, v in where.items())]
        target["enum"] = [i.get(ref["key"]) for i in items]
        target["x-enum-labels"] = {i.get(ref["key"]): str(i.get("title", i.get(ref["key"]))) for i in items}
    return out


_RESOLVED: dict[tuple, tuple[dict, dict]] = {}
_USES_CHOICES: dict[int, tuple[dict, bool]] = {}


def uses_choices(form: dict | None) -> bool:
    """Does ``form`` take choices from the organisation (``x-choices`` at any depth)?"""
    if form is None:
        return False
    hit = _USES_CHOICES.get(id(form))
    if hit is None or hit[0] is not form:
        if len(_USES_CHOICES) > 1024:
            _USES_CHOICES.clear()
        hit = _USES_CHOICES[id(form)] = (form, '"x-choices"' in json.dumps(form))
    return hit[1]


def with_choices(form: dict | None, branches: dict[str, str]) -> dict | None:
    """``form`` with every ``x-choices: branches`` written out as an ``enum`` of the branch codes and their
    ``x-enum-labels`` (the same dict for the same form and branches, so its validator is built once)."""
    if not uses_choices(form):
        return form
    key = (id(form), tuple(branches.items()))
    hit = _RESOLVED.get(key)
    if hit is not None and hit[0] is form:
        return hit[1]
    out = copy.deepcopy(form)
    _resolve(out, branches)
    if len(_RESOLVED) > 1024:
        _RESOLVED.clear()
    _RESOLVED[key] = (form, out)
    return out


def _resolve(schema: object, branches: dict[str, str]) -> None:
    if isinstance(schema, dict):
        if schema.get("x-choices") == "branches":
            schema["enum"] = list(branches)
            schema["x-enum-labels"] = dict(branches)
        for value in schema.values():
            _resolve(value, branches)
    elif isinstance(schema, list):
        for value in schema:
            _resolve(value, branches)


def presented(form: dict | None, branches: dict[str, str]) -> dict | None:
    """A copy of ``form`` as a page shows it: every property whose ``enum`` lists branch codes (at any depth,
    array items included) gets ``x-enum-labels`` from ``branches`` (code → Chinese name), and every object
    schema with properties gets ``x-order`` (the form's own, else its key order; properties it leaves out
    follow in key order)."""
    if form is None:
        return None
    out = copy.deepcopy(with_choices(form, branches))
    _present(out, branches)
    return out


def _present(schema: object, branches: dict[str, str]) -> None:
    if not isinstance(schema, dict):
        return
    enum = schema.get("enum")
    if isinstance(enum, list) and enum and all(isinstance(v, str) and v in branches for v in enum):
        schema["x-enum-labels"] = {v: branches[v] for v in enum}
    properties = schema.get("properties")
    if isinstance(properties, dict):
        order = [name for name in schema.get("x-order", []) if name in properties]
        schema["x-order"] = order + [name for name in properties if name not in order]
        for sub in properties.values():
            _present(sub, branches)
    items = schema.get("items")
    for sub in items if isinstance(items, list) else [items]:
        _present(sub, branches)
