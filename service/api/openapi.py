"""The OpenAPI document tells the truth about errors and access: one error shape, and per operation the
roles of the permission table (``x-roles``), no security for public operations, 401/403 where they apply."""
from __future__ import annotations

from apispec import BasePlugin
from flask_smorest import Api

from ..domain import permissions
from .context import idempotent
from .schemas import ErrorOut


_IDEMPOTENCY_KEY = {
    "in": "header", "name": "Idempotency-Key", "required": False,
    "schema": {"type": "string", "minLength": 1, "maxLength": 64, "pattern": "^[\\x21-\\x7e]+$"},
    "description": "Send the same key again to repeat this request safely: a repeat of a finished request "
                   "gets the first answer again (header Idempotent-Replayed: true) and writes nothing; the "
                   "same key with another request is a 422; keys are kept one day.",
}


class BranchflowApi(Api):
    """flask-smorest's Api with branchflow's error body as the documented error schema."""

    ERROR_SCHEMA = ErrorOut


class PermissionsPlugin(BasePlugin):
    """Writes ``domain.permissions`` into each operation of the spec."""

    def init_spec(self, spec) -> None:
        self.spec = spec

    def operation_helper(self, path=None, operations=None, **kwargs) -> None:
        for method, operation in (operations or {}).items():
            rule = permissions.rule_of(f"{method.upper()} {path}")
            if rule is None:
                continue
            responses = operation.setdefault("responses", {})
            if rule == permissions.PUBLIC:
                operation["security"] = []
                operation["x-roles"] = "public"
                continue
            if idempotent(method.upper(), f"{method.upper()} {path}", rule):
                operation.setdefault("parameters", []).append(_IDEMPOTENCY_KEY)
                responses.setdefault("409", self.spec.components.get_ref("response", "DEFAULT_ERROR"))
                responses.setdefault("422", self.spec.components.get_ref("response", "UNPROCESSABLE_ENTITY"))
            operation["x-roles"] = "authenticated" if rule == permissions.AUTHENTICATED else sorted(rule)
            responses.setdefault("401", self.spec.components.get_ref("response", "UNAUTHORIZED"))
            if rule != permissions.AUTHENTICATED:
                responses.setdefault("403", self.spec.components.get_ref("response", "FORBIDDEN"))
