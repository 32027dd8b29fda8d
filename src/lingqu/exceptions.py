"""One error hierarchy. Every error the platform raises on purpose is a ``LingquError``.

Adapters translate these into one JSON shape (API), a message and exit code (CLI) or a page.
"""

from __future__ import annotations


class LingquError(Exception):
    """Base of all platform errors. ``status_code`` is the HTTP status the API answers with."""

    status_code = 400
    code = "error"

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field

    def to_dict(self) -> dict:
        out = {"error": {"code": self.code, "message": self.message}}
        if self.field:
            out["error"]["field"] = self.field
        return out


class ConfigError(LingquError):
    code = "config_error"
    status_code = 500


class ValidationError(LingquError):
    code = "validation_error"
    status_code = 422


class NotFound(LingquError):
    code = "not_found"
    status_code = 404


class UnusableFile(LingquError):
    """The file as a whole cannot be imported (unreadable, no recognised header). Exit code 2."""

    code = "unusable_file"
    status_code = 422


class IntegrityFailure(LingquError):
    """Stored data is inconsistent, e.g. a broken audit chain."""

    code = "integrity_failure"
    status_code = 500


class NotAuthenticated(LingquError):
    code = "not_authenticated"
    status_code = 401


class Forbidden(LingquError):
    code = "forbidden"
    status_code = 403
