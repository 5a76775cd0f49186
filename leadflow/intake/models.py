"""Intake: the forms marketing embeds, every raw submission, API tokens with their idempotency keys, file imports."""

import hashlib
import re
import secrets

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.utils import timezone

from leadflow.core.models import TimeStampedModel
from leadflow.leads.models import Lead

LANGUAGE_CODES = ("en", "nl", "de")
# Names the form machinery posts itself (honeypot, timestamp, consent, language, return address, lead bookkeeping).
RESERVED_FIELD_NAMES = (
    "lf_fax",
    "lf_ts",
    "lf_return",
    "consent",
    "language",
    "custom_fields",
    "external_id",
    "consent_given",
    "consent_text",
    "csrfmiddlewaretoken",
)
field_name_validator = RegexValidator(
    r"^[a-z][a-z0-9_]{0,62}$", "Lower-case letters, digits and underscores, starting with a letter."
)


# A web origin and nothing else (scheme, host, optional port): it goes into CORS and CSP headers, where a space,
# `;` or `,` would add directives or sources of the submitter's choosing.
ORIGIN_PATTERN = re.compile(r"https?://(?:[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*|\[[0-9A-Fa-f:.]+\])(?::[0-9]{1,5})?")


def new_form_key() -> str:
    return secrets.token_urlsafe(9)


class LeadForm(TimeStampedModel):
    """A website form: its fields and texts per language, where it may be embedded, what it stamps on leads."""

    key = models.SlugField(max_length=40, unique=True, default=new_form_key, help_text="Public id used in embeds.")
    name = models.CharField(max_length=100)
    source = models.CharField(max_length=100, help_text="Source tag stamped on the leads this form creates.")
    is_active = models.BooleanField(default=True)
    auto_qualify = models.BooleanField(
        default=False,
        help_text="Qualify this form's leads without a person when they fit the criteria. Off: a person decides.",
    )
    default_language = models.CharField(
        max_length=2, choices=[(c, c) for c in LANGUAGE_CODES], default="en", help_text="When the visitor's is none."
    )
    allowed_origins = models.TextField(
        blank=True,
        help_text="One origin per line (https://www.example.com) that may embed this form. Empty: none.",
    )
    consent_text_en = models.TextField("consent text (English)", blank=True)
    consent_text_nl = models.TextField("consent text (Dutch)", blank=True)
    consent_text_de = models.TextField("consent text (German)", blank=True)
    thank_you_en = models.CharField("thank-you (English)", max_length=500, default="Thank you! We will be in touch.")
    thank_you_nl = models.CharField("thank-you (Dutch)", max_length=500, default="Bedankt! We nemen contact op.")
    thank_you_de = models.CharField("thank-you (German)", max_length=500, default="Danke! Wir melden uns.")
    redirect_url = models.URLField(blank=True, help_text="Send the visitor here after submitting, instead.")
    min_fill_seconds = models.PositiveSmallIntegerField(
        default=2, help_text="Submissions faster than this after the form was shown are held as suspected spam."
    )

    def __str__(self) -> str:
        return self.name

    @property
    def origins(self) -> list[str]:
        """The valid origins listed (clean() refuses others; rows saved before that check are filtered here)."""
        return [origin for origin in self._listed_origins() if ORIGIN_PATTERN.fullmatch(origin)]

    def _listed_origins(self) -> list[str]:
        return [line.strip().rstrip("/") for line in self.allowed_origins.splitlines() if line.strip()]

    def clean(self) -> None:
        invalid = [origin for origin in self._listed_origins() if not ORIGIN_PATTERN.fullmatch(origin)]
        if invalid:
            raise ValidationError(
                {"allowed_origins": f"Not an origin (https://host or https://host:port, one per line): {invalid[0]}"}
            )

    def text(self, attribute: str, language: str) -> str:
        return getattr(self, f"{attribute}_{language}") or getattr(self, f"{attribute}_{self.default_language}")


class FormField(models.Model):
    """One input of a form: a lead field (email, company, …) or a custom field kept in `lead.custom_fields`."""

    form = models.ForeignKey(LeadForm, on_delete=models.CASCADE, related_name="fields")
    name = models.CharField(
        max_length=63,
        validators=[field_name_validator],
        help_text="A lead field (first_name, email, phone, company, message, …) or a custom field name.",
    )
    required = models.BooleanField(default=False)
    order = models.PositiveSmallIntegerField(default=0)
    label_en = models.CharField("label (English)", max_length=200)
    label_nl = models.CharField("label (Dutch)", max_length=200, blank=True)
    label_de = models.CharField("label (German)", max_length=200, blank=True)
    help_en = models.CharField("help (English)", max_length=300, blank=True)
    help_nl = models.CharField("help (Dutch)", max_length=300, blank=True)
    help_de = models.CharField("help (German)", max_length=300, blank=True)

    class Meta:
        ordering = ["form", "order", "id"]
        constraints = [models.UniqueConstraint(fields=["form", "name"], name="form_field_name_unique")]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if self.name in RESERVED_FIELD_NAMES:
            raise ValidationError({"name": f"{self.name!r} is used by the form itself; choose another name."})

    def text(self, attribute: str, language: str) -> str:
        return getattr(self, f"{attribute}_{language}") or getattr(self, f"{attribute}_en")


class SubmissionStatus(models.TextChoices):
    ACCEPTED = "accepted", "Accepted (lead created)"
    INVALID = "invalid", "Invalid (visitor asked to correct)"
    SPAM = "spam", "Suspected spam"


class SubmissionChannel(models.TextChoices):
    FORM = "form", "Website form"
    API = "api", "API"


class Submission(models.Model):
    """Everything that reached an intake door, verbatim, stored before any answer is given.

    Accepted ones point at their lead; suspected spam stays here (reviewable, purgeable), never a lead.
    """

    channel = models.CharField(max_length=8, choices=SubmissionChannel.choices)
    form = models.ForeignKey(LeadForm, null=True, blank=True, on_delete=models.SET_NULL, related_name="submissions")
    source = models.CharField(max_length=100, blank=True)
    status = models.CharField(max_length=8, choices=SubmissionStatus.choices, db_index=True)
    payload = models.JSONField(help_text="The submitted values exactly as received.")
    errors = models.JSONField(default=dict, blank=True)
    spam_reason = models.CharField(max_length=200, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=500, blank=True)
    origin = models.CharField(max_length=255, blank=True)
    language = models.CharField(max_length=8, blank=True)
    lead = models.OneToOneField(Lead, null=True, blank=True, on_delete=models.SET_NULL, related_name="intake")
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.get_channel_display()} submission {self.pk} ({self.status})"


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


class ApiToken(TimeStampedModel):
    """A key for the JSON API, scoped to one source. Only its SHA-256 is stored; the key is shown once."""

    name = models.CharField(max_length=100)
    source = models.CharField(max_length=100, help_text="Leads created with this token get this source.")
    can_read = models.BooleanField(default=True, help_text="May also list and read its own source's leads.")
    auto_qualify = models.BooleanField(
        default=False,
        help_text="Qualify this client's leads without a person when they fit the criteria. Off: a person decides.",
    )
    prefix = models.CharField(max_length=12, editable=False, db_index=True)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    is_active = models.BooleanField(default=True)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def actor_label(self) -> str:
        return f"api:{self.name}"[:150]


class IdempotencyKey(models.Model):
    """A client's Idempotency-Key and the response it got, replayed for a retry with the same body."""

    token = models.ForeignKey(ApiToken, on_delete=models.CASCADE, related_name="idempotency_keys")
    key = models.CharField(max_length=255)
    request_hash = models.CharField(max_length=64)
    response_status = models.PositiveSmallIntegerField()
    response_body = models.JSONField()
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["token", "key"], name="idempotency_key_unique_per_token")]

    def __str__(self) -> str:
        return self.key


class ImportStatus(models.TextChoices):
    MAPPING = "mapping", "Waiting for the column mapping"
    PENDING = "pending", "Waiting for a worker"
    RUNNING = "running", "Running"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"


class ImportJob(TimeStampedModel):
    """A file uploaded in the admin and its import, run by a worker; the admin page polls its progress."""

    file = models.FileField(upload_to="imports/%Y/%m/")
    original_name = models.CharField(max_length=255)
    source = models.CharField(max_length=100)
    mapping = models.JSONField(default=dict, blank=True, help_text="Column header → field overrides.")
    status = models.CharField(max_length=8, choices=ImportStatus.choices, default=ImportStatus.MAPPING)
    row_count = models.PositiveIntegerField(default=0)
    processed = models.PositiveIntegerField(default=0)
    report = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"Import of {self.original_name}"

    @property
    def percent(self) -> int:
        return int(100 * self.processed / self.row_count) if self.row_count else 0
