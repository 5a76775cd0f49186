"""Writes for intake: turn a submission from a form or the API into a lead, keep spam aside, manage tokens."""

import hashlib
import json
import logging
import secrets
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from leadflow.core.exceptions import ApplicationError
from leadflow.intake.forms import (
    CONSENT_FIELD,
    HIDDEN_FIELDS,
    HONEYPOT_FIELD,
    TIMESTAMP_FIELD,
    visitor_form_errors,
)
from leadflow.intake.models import (
    ApiToken,
    FormField,
    IdempotencyKey,
    LeadForm,
    Submission,
    SubmissionChannel,
    SubmissionStatus,
    hash_token,
)
from leadflow.intake.selectors import lead_mark_fresh
from leadflow.leads.models import Lead, SourceKind
from leadflow.leads.services import Actor, actor_fields, lead_create

logger = logging.getLogger(__name__)
TIMESTAMP_SALT = "leadflow.intake.form-shown"
LEAD_INPUT_FIELDS = (*Lead.EDITABLE_FIELDS, *HIDDEN_FIELDS, "external_id", "consent_given", "consent_text")


@dataclass
class RequestMeta:
    """Who sent a submission, as far as the request tells."""

    ip_address: str | None = None
    user_agent: str = ""
    origin: str = ""


@dataclass
class FormOutcome:
    submission: Submission | None
    errors: dict[str, list[str]] = field(default_factory=dict)

    @property
    def is_valid(self) -> bool:
        return not self.errors


class ExternalIdTaken(ApplicationError):
    status_code = 409
    code = "external_id_taken"


class IdempotencyConflict(ApplicationError):
    """The key was used before with another body: permanent, the client must pick a new key."""

    status_code = 409
    code = "idempotency_key_reused"


class IdempotencyKeyInProgress(ApplicationError):
    """Another request with this key is being processed: send the same request again after `retry_after` s."""

    status_code = 409
    code = "idempotency_key_in_progress"
    retry_after = 1


def form_timestamp_issue(*, form: LeadForm) -> str:
    """A signed 'form shown at' value the visitor's browser sends back; it proves a minimum fill time."""
    return signing.TimestampSigner(salt=TIMESTAMP_SALT).sign(form.key)


def spam_reason(*, form: LeadForm, data: dict[str, Any]) -> str:
    """Why a submission looks automated, or "" when it looks human.

    A missing timestamp is allowed: the plain HTML embed has no script to fetch one (honeypot and rate
    limits still apply there); a tampered or foreign one is not.
    """
    if str(data.get(HONEYPOT_FIELD) or "").strip():
        return "Honeypot field filled in."
    stamp = str(data.get(TIMESTAMP_FIELD) or "")
    if not stamp:
        return ""
    signer = signing.TimestampSigner(salt=TIMESTAMP_SALT)
    try:
        signed_key = signer.unsign(stamp, max_age=timedelta(days=1))
    except signing.SignatureExpired:
        return ""  # a tab left open overnight is a person, not a bot
    except signing.BadSignature:
        return "Form timestamp was tampered with."
    if signed_key != form.key:
        return "Form timestamp belongs to another form."
    shown_at = signing.b62_decode(stamp.rsplit(signer.sep, 2)[1])
    if time.time() - shown_at < form.min_fill_seconds:
        return f"Sent less than {form.min_fill_seconds} s after the form was shown."
    return ""


def form_submission_receive(*, form: LeadForm, data: dict[str, Any], language: str, meta: RequestMeta) -> FormOutcome:
    """Store what a visitor sent and, when it is valid and looks human, create its lead — all committed before
    the caller answers. Field errors come back in the visitor's language; suspected spam is kept as such."""
    payload = _json_safe(data)
    common = {
        "channel": SubmissionChannel.FORM,
        "form": form,
        "source": form.source,
        "payload": payload,
        "language": language,
        **vars(meta),
    }
    reason = spam_reason(form=form, data=data)
    if reason:
        return FormOutcome(Submission.objects.create(status=SubmissionStatus.SPAM, spam_reason=reason, **common))
    cleaned, errors = visitor_form_errors(form, data, language)
    if errors:
        Submission.objects.create(status=SubmissionStatus.INVALID, errors=errors, **common)
        return FormOutcome(None, errors)
    fields, custom = split_lead_fields(cleaned)
    if cleaned.get(CONSENT_FIELD):
        fields.update(consent_given=True, consent_text=form.text("consent_text", language), consent_at=timezone.now())
    fields["language"] = fields.get("language") or language
    with transaction.atomic():
        lead = lead_create(
            actor=f"form:{form.key}",
            source_kind=SourceKind.FORM,
            source=form.source,
            submission=payload,
            custom_fields=custom,
            validated=True,  # the visitor form checked every field against the Lead's limits
            **fields,
        )
        submission = Submission.objects.create(status=SubmissionStatus.ACCEPTED, lead=lead, **common)
    return FormOutcome(submission)


def split_lead_fields(values: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Lead fields apart from everything else, which is kept as custom fields (empty values dropped)."""
    fields = {k: v for k, v in values.items() if k in LEAD_INPUT_FIELDS and v not in ("", None)}
    custom = {
        k: v for k, v in values.items() if k not in LEAD_INPUT_FIELDS and k != CONSENT_FIELD and v not in ("", None)
    }
    return fields, custom


def submission_accept_as_lead(*, submission: Submission, actor: Actor) -> Submission:
    """A person decided a held submission is genuine after all: create its lead from the stored values."""
    with transaction.atomic():
        submission = Submission.objects.select_for_update().get(pk=submission.pk)
        if submission.lead_id:
            return submission
        values = {k: v for k, v in submission.payload.items() if k not in (HONEYPOT_FIELD, TIMESTAMP_FIELD)}
        fields, custom = split_lead_fields({k: v if isinstance(v, str) else str(v) for k, v in values.items()})
        submission.lead = lead_create(
            actor=actor,
            source_kind=SourceKind.FORM if submission.channel == SubmissionChannel.FORM else SourceKind.API,
            source=submission.source,
            submission=submission.payload,
            custom_fields=custom,
            **fields,
        )
        submission.status = SubmissionStatus.ACCEPTED
        submission.save(update_fields=["lead", "status"])
    return submission


def submission_discard(*, submission: Submission) -> None:
    """A person confirmed a held submission is spam: it goes, with the personal data it holds."""
    Submission.objects.filter(pk=submission.pk, status=SubmissionStatus.SPAM, lead__isnull=True).delete()


def submissions_purge(*, older_than_days: int, statuses: tuple[str, ...] = (SubmissionStatus.SPAM,)) -> int:
    cutoff = timezone.now() - timedelta(days=older_than_days)
    deleted, _ = Submission.objects.filter(status__in=statuses, created_at__lt=cutoff, lead__isnull=True).delete()
    return deleted


# --- Forms -------------------------------------------------------------------------------------


def lead_form_save(
    *, lead_form: LeadForm, fields: Sequence[FormField], removed: Sequence[FormField] = (), actor: Actor
) -> LeadForm:
    """Save a form with its fields as one change: every row passes the models' checks (origins, reserved field
    names, one field per name) or nothing is saved. The form's cache entry is cleared on save (signals)."""
    names = [row.name for row in fields]
    duplicates = sorted({name for name in names if names.count(name) > 1})
    if duplicates:
        raise ApplicationError(f"Each field may appear once: {', '.join(duplicates)} is listed twice.")
    errors = _full_clean_errors(lead_form, exclude=())
    for row in fields:
        errors += [f"Field “{row.name}”: {message}" for message in _full_clean_errors(row, exclude=("form",))]
    if errors:
        raise ApplicationError("The form was not saved. " + " ".join(errors), extra={"errors": errors})
    with transaction.atomic():
        lead_form.save()
        FormField.objects.filter(pk__in=[row.pk for row in removed if row.pk]).delete()
        for row in fields:
            row.form = lead_form
            row.save()
    logger.info("%s saved lead form %s (%d fields)", actor_fields(actor)["actor_label"], lead_form.key, len(fields))
    return lead_form


def _full_clean_errors(instance: Any, *, exclude: Sequence[str]) -> list[str]:
    try:
        instance.full_clean(exclude=list(exclude), validate_unique=False, validate_constraints=False)
    except ValidationError as exc:
        return exc.messages
    return []


# --- API ---------------------------------------------------------------------------------------


def api_token_create(*, name: str, source: str, can_read: bool = True, created_by: Any = None) -> tuple[ApiToken, str]:
    """A new token and its key; the key is returned this once and only its hash is stored."""
    raw = f"lf_{secrets.token_urlsafe(32)}"
    token = ApiToken.objects.create(
        name=name, source=source, can_read=can_read, prefix=raw[:10], key_hash=hash_token(raw), created_by=created_by
    )
    return token, raw


def api_token_authenticate(*, raw: str) -> ApiToken | None:
    token = ApiToken.objects.filter(key_hash=hash_token(raw), is_active=True).first()
    if token is not None and (token.last_used_at is None or timezone.now() - token.last_used_at > timedelta(minutes=1)):
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=timezone.now())  # at most once a minute
    return token


def api_lead_create(
    *, token: ApiToken, values: dict[str, Any], payload: dict[str, Any], meta: RequestMeta
) -> Submission:
    """Store an API submission and its lead in one transaction. `values` are validated; `payload` is verbatim."""
    values = dict(values)
    given_custom = values.pop("custom_fields", {})
    payload = _json_safe(payload)
    fields, custom = split_lead_fields(values)
    custom = _json_safe({**custom, **given_custom})
    if fields.get("consent_given"):
        fields["consent_at"] = timezone.now()
    # One INSERT per table and no savepoint: a clash on the external id rolls the whole request back anyway.
    with transaction.atomic(savepoint=False):
        try:
            lead = lead_create(
                actor=token.actor_label,
                source_kind=SourceKind.API,
                source=token.source,
                submission=payload,
                custom_fields=custom,
                validated=True,  # LeadCreateSerializer checked every field against the Lead's limits
                **fields,
            )
        except IntegrityError as exc:
            if not fields.get("external_id"):
                raise  # the external id's unique index is the only one a valid new lead can clash with
            raise ExternalIdTaken(
                "A lead with this external_id already exists for this source.",
                extra={"external_id": fields["external_id"]},
            ) from exc
        lead_mark_fresh(lead)
        return Submission.objects.create(
            channel=SubmissionChannel.API,
            source=token.source,
            status=SubmissionStatus.ACCEPTED,
            payload=payload,
            lead=lead,
            **vars(meta),
        )


def request_fingerprint(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


def idempotent_replay(*, token: ApiToken, key: str, body: bytes) -> IdempotencyKey | None:
    """The stored response for this key if the body is the same; IdempotencyConflict if it differs."""
    stored = IdempotencyKey.objects.filter(token=token, key=key, expires_at__gt=timezone.now()).first()
    if stored is None:
        return None
    if stored.request_hash != request_fingerprint(body):
        raise IdempotencyConflict(
            "This Idempotency-Key was already used with a different request body.", extra={"idempotency_key": key}
        )
    return stored


def idempotency_record(*, token: ApiToken, key: str, body: bytes, status: int, response: dict[str, Any]) -> None:
    """Remember a response under the key (in the caller's transaction, so lead and key commit together).

    A concurrent request with the same key waits here on the unique index until the first one commits, then
    loses: IdempotencyKeyInProgress, its whole write rolls back, and the caller replays the first answer."""
    IdempotencyKey.objects.filter(token=token, key=key, expires_at__lte=timezone.now()).delete()
    try:
        with transaction.atomic():
            IdempotencyKey.objects.create(
                token=token,
                key=key,
                request_hash=request_fingerprint(body),
                response_status=status,
                response_body=response,
                expires_at=timezone.now() + timedelta(hours=settings.LEADFLOW_IDEMPOTENCY_HOURS),
            )
    except IntegrityError as exc:
        raise IdempotencyKeyInProgress(
            "A request with this Idempotency-Key is being processed; send it again shortly.",
            extra={"idempotency_key": key},
        ) from exc


def idempotency_keys_purge() -> int:
    deleted, _ = IdempotencyKey.objects.filter(expires_at__lte=timezone.now()).delete()
    return deleted


def _json_safe(data: Any) -> Any:
    """A QueryDict or parsed JSON as plain JSON: single values unwrapped, repeated ones kept as lists.

    NUL characters, which PostgreSQL cannot store in text or JSON, become U+FFFD; known fields reject them.
    """
    if hasattr(data, "lists"):
        data = {k: v[0] if len(v) == 1 else v for k, v in data.lists()}
    return _without_nul(json.loads(json.dumps(data, default=str)))


def _without_nul(value: Any) -> Any:
    if isinstance(value, str):
        return value.replace("\x00", "\ufffd")
    if isinstance(value, dict):
        return {_without_nul(k): _without_nul(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_without_nul(v) for v in value]
    return value
