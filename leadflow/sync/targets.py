"""The contract every sync target implements, and finding the target of a kind (through leadflow.core.plugins).

A target turns one outbox job into a delivery to one outside system. Adding a system (SnelStart, an ERP) means
one module with a `Target` subclass and its settings form, which its AppConfig offers to `SYNC_TARGET_KINDS`
(`plugins.offer`).
"""

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

import requests
from django import forms

from leadflow.core import plugins
from leadflow.core.exceptions import ExternalServiceError
from leadflow.sync.events import CUSTOMER_CONVERTED

if TYPE_CHECKING:
    from leadflow.sync.models import SyncJob, SyncTarget


class TargetError(ExternalServiceError):
    """A delivery that did not succeed.

    `permanent` stops retries (the job becomes `failed` with this message); `retry_after` asks for the next
    attempt no sooner than that many seconds; `pause_target` holds every job of the target for that long (a
    webhook's 429: the receiver is overloaded, not just this delivery); `disable_target` switches the whole target
    off and holds this job with the later ones until it is back on (a webhook's 410).
    """

    code = "sync_target_error"

    def __init__(
        self,
        message: str,
        *,
        permanent: bool,
        retry_after: float | None = None,
        status_code: int | None = None,
        disable_target: bool = False,
        pause_target: bool = False,
    ) -> None:
        super().__init__(message, permanent=permanent)
        self.retry_after = retry_after
        self.status_code = status_code
        self.disable_target = disable_target
        self.pause_target = pause_target


class TargetDeferred(TargetError):
    """The target must not be called now (its rate limit is used up); no call was made, so the job waits
    `retry_after` seconds without spending an attempt."""

    def __init__(self, message: str, *, retry_after: float) -> None:
        super().__init__(message, permanent=False, retry_after=retry_after)


def target_request(method: str, url: str, *, unreachable: str, timeout: float, **kwargs: Any) -> requests.Response:
    """One HTTP call to a target's system; no answer at all (refused, timed out) is transient."""
    try:
        return requests.request(method, url, timeout=timeout, **kwargs)
    except requests.RequestException as error:
        raise TargetError(f"{unreachable} ({error.__class__.__name__}).", permanent=False) from error


def answer_error_raise(*, status_code: int, system: str, request: str, reason: str, code: str = "") -> None:
    """Sort an error answer of a system's API: a 4xx fails the job (sent again it gets the same answer, and some
    systems block a key after repeated 4xx); a 5xx is the system's own problem, so the job is tried again."""
    status = f"{status_code} {code}".strip()
    if 400 <= status_code < 500:
        raise TargetError(f"{system} refused {request} ({status}): {reason}", permanent=True, status_code=status_code)
    if status_code >= 500:
        raise TargetError(
            f"{system} had a problem ({status}); will try again.", permanent=False, status_code=status_code
        )


@dataclass
class DeliveryResult:
    """What a successful delivery reports for the attempt log."""

    status_code: int | None = None
    detail: str = ""


class Target:
    """One kind of downstream system. Instances are stateless; everything per target comes from the row."""

    name: ClassVar[str] = ""  # its key in SYNC_TARGET_KINDS, stored as SyncTarget.kind
    label: ClassVar[str] = ""
    settings_form: ClassVar[type[forms.Form]]
    # Events this kind of target takes (webhooks: the ones each target's settings list).
    events: ClassVar[tuple[str, ...]] = (CUSTOMER_CONVERTED,)
    # Settings the admin never shows back (secrets); an empty field on edit keeps the stored value.
    secret_fields: ClassVar[tuple[str, ...]] = ()

    def deliver(self, *, target: "SyncTarget", job: "SyncJob") -> DeliveryResult:
        """Deliver the job's payload; raise TargetError when it did not arrive. Must be idempotent: a job can
        be delivered again after a crash between the remote write and our bookkeeping."""
        raise NotImplementedError

    def accepts(self, *, target: "SyncTarget", event: str) -> bool:
        """Whether this target wants jobs for `event`: new events reach a target only when it opts in."""
        return event in self.events

    def describe(self, *, target: "SyncTarget") -> str:
        """One line for the monitor page, e.g. the URL or the company."""
        return ""

    def admin_status(self, *, target: "SyncTarget") -> str:
        """Safe HTML for the target's admin page, e.g. an OAuth connection and its Connect button; "" for none."""
        return ""

    def payment_status(self, *, target: "SyncTarget", lead: Any) -> str:
        """What the customer still owes in this system, in plain words from data read back earlier (never a call
        while a page renders); "" when the kind reads nothing back."""
        return ""


def target_for_kind(kind: str) -> Target:
    """The Target of an installed kind (offered by its app, or named in `settings.SYNC_TARGET_KINDS`)."""
    try:
        return plugins.load_object("SYNC_TARGET_KINDS", kind)
    except LookupError as error:
        raise TargetError(f"No sync target of kind {kind!r} is installed.", permanent=True) from error


def kind_choices() -> list[tuple[str, str]]:
    """(kind, label) of every installed target kind, for a person choosing one."""
    return [(kind, target_for_kind(kind).label) for kind in plugins.configured("SYNC_TARGET_KINDS")]


def clean_settings(kind: str, data: dict[str, Any]) -> dict[str, Any]:
    """Validate a target's settings with its form; ValidationError lists what is wrong."""
    form = target_for_kind(kind).settings_form(data=data)
    if not form.is_valid():
        raise forms.ValidationError([f"{name}: {' '.join(errors)}" for name, errors in form.errors.items()])
    return form.cleaned_data
