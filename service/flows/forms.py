"""Form validation: submitted data against the task's JSON Schema, errors with field paths."""
from __future__ import annotations

from functools import lru_cache
import json

from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError

from ..domain.errors import TooLarge, ValidationFailed

#: keys of a form file that are not JSON Schema but hints for the service and UIs
NON_SCHEMA_KEYS = ("ui", "x-start-roles", "x-start-via", "x-defaults", "x-instance-refs",
                   "x-items-from", "x-attachments")
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


def validate(form: dict | None, data: object, *, prefix: str = "data") -> dict:
    """Check ``data`` against ``form``; raise ValidationFailed naming every failing field."""
    if not isinstance(data, dict):
        raise ValidationFailed("form data must be a JSON object", field=prefix)
    if len(json.dumps(data, ensure_ascii=False).encode()) > MAX_FORM_BYTES:  # UTF-8 bytes: 汉字 count 3
        raise TooLarge(f"form data larger than {MAX_FORM_BYTES // 1024} KB", field=prefix)
    if form is None:
        if data:
            raise ValidationFailed("this task takes no form data", field=prefix)
        return data
    try:
        validator = _validator_of(form)
    except SchemaError as exc:  # an authoring error, not the caller's
        raise RuntimeError(f"invalid form schema: {exc.message}") from exc
    errors = sorted(validator.iter_errors(data), key=lambda e: (list(map(str, e.absolute_path)), e.message))
    if errors:
        raise ValidationFailed(
            "form data does not satisfy the form",
            errors=[{"field": f"{prefix}.{_path(e)}" if _path(e) != "(root)" else prefix, "message": e.message}
                    for e in errors],
        )
    return data
