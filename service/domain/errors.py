"""The error hierarchy: every error branchflow raises on purpose derives from BranchflowError.

The API layer maps each class to one HTTP status; nothing below it knows about HTTP.
"""
from __future__ import annotations


class BranchflowError(Exception):
    """Root of all deliberate branchflow errors."""

    status = 400
    code = "bad_request"

    def __init__(self, message: str, *, field: str | None = None, errors: list[dict] | None = None,
                 message_zh: str | None = None):
        super().__init__(message)
        self.message = message
        entry = {"field": field, "message": message}
        if message_zh:  # what a page shows the person who filled the field in
            entry["message_zh"] = message_zh
        self.errors = errors or ([entry] if field else [])


class Unreadable(BranchflowError):
    """Input that cannot be read at all: malformed or absurdly nested JSON, NUL characters in text."""

    status = 400
    code = "bad_request"


class ValidationFailed(BranchflowError):
    """Input that does not satisfy a schema or a rule; carries one entry per failing field."""

    status = 422
    code = "validation_failed"


class Unauthenticated(BranchflowError):
    """No credentials, or credentials that are wrong, expired or revoked."""

    status = 401
    code = "unauthenticated"


class Forbidden(BranchflowError):
    """The caller is known but its roles or scope do not allow the action."""

    status = 403
    code = "forbidden"


class NotFound(BranchflowError):
    """The addressed object does not exist (or is not visible to the caller)."""

    status = 404
    code = "not_found"


class Conflict(BranchflowError):
    """The action lost a race or no longer applies: stale version, task already completed."""

    status = 409
    code = "conflict"


class TooManyRequests(BranchflowError):
    """The caller exceeded a rate limit (login throttling)."""

    status = 429
    code = "too_many_requests"


class TooLarge(BranchflowError):
    """An upload above the configured size."""

    status = 413
    code = "too_large"


class UnsupportedType(BranchflowError):
    """An upload whose bytes are not one of the allowed types."""

    status = 415
    code = "unsupported_type"


class TooManyAttempts(BranchflowError):
    """Too many failed logins: the username is locked for a while (``retry_after`` seconds)."""

    status = 429
    code = "too_many_attempts"

    def __init__(self, message: str, *, retry_after: int, field: str | None = None):
        super().__init__(message, field=field)
        self.retry_after = retry_after


class Unavailable(BranchflowError):
    """The database could not take the request just now (connection lost, restart, lock contention):
    nothing was changed; the same request may be sent again after ``retry_after`` seconds."""

    status = 503
    code = "unavailable"

    def __init__(self, message: str, *, retry_after: int = 2):
        super().__init__(message)
        self.retry_after = retry_after


class StorageFull(BranchflowError):
    """The disk holding the database or the uploads is full: nothing was changed."""

    status = 507
    code = "insufficient_storage"
