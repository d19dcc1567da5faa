"""Domain errors raised by services and selectors.

Entry points translate them: the API answers JSON ``{"error": {"code", "message", "field"}}``
with the status code carried by the error class.
"""


class DomainError(Exception):
    """A request the domain refuses. ``field`` names the offending input when there is one."""

    status_code = 400
    code = "invalid"

    def __init__(self, message: str, *, field: str | None = None, code: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field
        if code:
            self.code = code


class ValidationError(DomainError):
    status_code = 422
    code = "validation_error"


class NotFound(DomainError):
    """The object does not exist *or the actor may not see it* (never reveal which)."""

    status_code = 404
    code = "not_found"

    def __init__(self, message: str = "Not found.", **kwargs):
        super().__init__(message, **kwargs)


class PermissionDenied(DomainError):
    """The actor may see the object but not do this to it."""

    status_code = 403
    code = "permission_denied"


class Conflict(DomainError):
    status_code = 409
    code = "conflict"


class InvalidTransition(Conflict):
    code = "invalid_transition"
