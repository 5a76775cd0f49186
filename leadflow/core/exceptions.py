"""The one exception hierarchy of Leadflow. Views and the API turn these into messages for people."""

from typing import Any


class ApplicationError(Exception):
    """A request that cannot be carried out, with a message a person can act on."""

    status_code = 400
    code = "application_error"

    def __init__(self, message: str, *, extra: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.extra = extra or {}

    @property
    def full_message(self) -> str:
        """The message followed by the reasons a gate gave, as people read it on a page or in a list."""
        return " ".join([self.message, *self.extra.get("reasons", [])])


class NotFound(ApplicationError):
    status_code = 404
    code = "not_found"


class PermissionDenied(ApplicationError):
    status_code = 403
    code = "permission_denied"


class TransitionNotAllowed(ApplicationError):
    """The transition does not start from the lead's current state (or someone else got there first)."""

    status_code = 409
    code = "transition_not_allowed"


class TransitionBlocked(ApplicationError):
    """The transition starts from this state, but one or more gates say no; `reasons` says why."""

    status_code = 409
    code = "transition_blocked"

    def __init__(self, message: str, *, reasons: list[str]) -> None:
        super().__init__(message, extra={"reasons": reasons})
        self.reasons = reasons


class ExternalServiceError(ApplicationError):
    """A remote system (Salesforce, Exact, a webhook) failed; `permanent` says whether retrying can help."""

    status_code = 502
    code = "external_service_error"

    def __init__(self, message: str, *, permanent: bool, extra: dict[str, Any] | None = None) -> None:
        super().__init__(message, extra=extra)
        self.permanent = permanent


class PayloadTooLarge(ApplicationError):
    status_code = 413
    code = "payload_too_large"


class RateLimited(ApplicationError):
    """Too many requests from one client or to one form; `retry_after` says how many seconds to wait."""

    status_code = 429
    code = "rate_limited"

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message, extra={"retry_after": retry_after})
        self.retry_after = retry_after


class TryAgainLater(ApplicationError):
    """Nothing was stored (the database is unreachable, say); the same request can be sent again."""

    status_code = 503
    code = "try_again"
