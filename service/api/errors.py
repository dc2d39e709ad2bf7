"""One JSON error shape for every failure: {"error": {"code", "message", "errors": [{field, message}]}}; an
entry about form data also carries ``message_zh``, its Chinese message (passed through as the use case gave it)."""
from __future__ import annotations

import logging

from flask import Flask, jsonify, request
from werkzeug.exceptions import HTTPException

from ..domain.errors import BranchflowError
from ..store.db import translate_error

log = logging.getLogger(__name__)


def _body(status: int, code: str, message: str, errors: list[dict] | None = None):
    resp = jsonify({"error": {"code": code, "message": message, "errors": errors or []}})
    resp.status_code = status
    return resp


def _flatten(messages, prefix="") -> list[dict]:
    out = []
    if isinstance(messages, dict):
        for key, value in messages.items():
            path = f"{prefix}.{key}" if prefix else str(key)
            out.extend(_flatten(value, path))
    elif isinstance(messages, list) and all(isinstance(m, str) for m in messages):
        out.extend({"field": prefix, "message": m} for m in messages)
    else:
        out.append({"field": prefix, "message": str(messages)})
    return out


def install(app: Flask) -> None:
    """Register the handlers (after flask-smorest's, so ours win)."""

    @app.errorhandler(BranchflowError)
    def _branchflow(exc: BranchflowError):
        if exc.status >= 500 and exc.status != 503:  # 503s are logged where the database fault is met
            log.error("internal error: %s", exc)
        resp = _body(exc.status, exc.code, exc.message, exc.errors)
        if getattr(exc, "retry_after", None):
            resp.headers["Retry-After"] = str(exc.retry_after)
        return resp

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException):
        if exc.code == 413:  # werkzeug refused the body before anything read it
            limit = f"{request.max_content_length // 1024} KB" if request.max_content_length else "the limit"
            message = f"request body larger than {limit}"
            return _body(413, "too_large", message, [{"field": "body", "message": message}])
        data = getattr(exc, "data", None) or {}
        messages = data.get("messages")
        if messages:
            errors = []
            for location, fields in messages.items():
                prefix = "" if location in ("json", "query", "form") else location
                errors.extend(_flatten(fields, prefix))
            return _body(exc.code, "validation_failed" if exc.code == 422 else "bad_request",
                         "request does not match the schema", errors)
        return _body(exc.code or 500, (exc.name or "error").lower().replace(" ", "_"), exc.description or exc.name)

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception):
        known = translate_error(exc)  # a database fault (lost connection, deadlock, full disk) is not a bug
        if known is not None:
            log.warning("database fault answered %d: %s", known.status, exc)
            return _branchflow(known)
        log.exception("unhandled error")
        return _body(500, "internal_error", "internal error; the request changed nothing")
