"""What Leadflow keeps per Exact Online target: its OAuth tokens and the debtor each customer became.

The tables keep their names from when these models lived in the sync app (migration 0001 moved only the state).
"""

from datetime import datetime, timedelta

from django.conf import settings
from django.db import models

from leadflow.sync.models import RecordCopyKeys, RecordCustomer, SyncTarget


class ExactConnection(models.Model):
    """The OAuth tokens of one Exact Online target.

    Exact hands out a new access token at most once every 570 seconds, and the refresh token it came with
    retires the old one only once it is used. So one worker at a time refreshes (a lease on this row, never a
    row lock held across the call), `refreshed_at` records when a refresh was sent, and a refresh whose answer
    was lost is simply repeated with the stored (still valid) refresh token once the 570 seconds have passed.
    """

    target = models.OneToOneField(SyncTarget, on_delete=models.CASCADE, related_name="exact_connection")
    access_token = models.TextField(blank=True)
    refresh_token = models.TextField(blank=True)
    access_expires_at = models.DateTimeField(null=True, blank=True)
    oauth_state = models.CharField(max_length=64, blank=True, help_text="Pending connect flow's state value.")
    connected_at = models.DateTimeField(null=True, blank=True)
    # No call to Exact before this moment: its rate limit (or error block) is used up.
    paused_until = models.DateTimeField(null=True, blank=True)
    minutely_remaining = models.IntegerField(null=True, blank=True)
    daily_remaining = models.IntegerField(null=True, blank=True)
    # Exact's X-RateLimit-Minutely-Limit for this app and division, as last seen.
    minutely_limit = models.IntegerField(null=True, blank=True)
    # When a token request that may have produced new tokens was last sent (the 570-second rule counts from it).
    refreshed_at = models.DateTimeField(null=True, blank=True)
    # Held by the one worker refreshing now; another worker waits for it, or takes over once it has passed.
    refresh_lease_until = models.DateTimeField(null=True, blank=True)
    # Exact refused the stored refresh token for good: a person has to connect the target again.
    auth_error = models.CharField(max_length=255, blank=True)
    # Highest sync/CRM/Accounts Timestamp copied into ExactAccount: the next look-up asks only for later changes.
    accounts_timestamp = models.BigIntegerField(default=0)

    class Meta:
        db_table = "sync_exactconnection"

    def __str__(self) -> str:
        return f"Exact connection of {self.target.name}"

    @property
    def is_connected(self) -> bool:
        return bool(self.refresh_token) and not self.auth_error

    def state(self, now: datetime) -> str:
        """The connection as it really is, in plain words (admin page and sync monitor)."""
        if not self.refresh_token:
            return "Not connected"
        if self.auth_error:
            return f"Disconnected: {self.auth_error} Connect again."
        if self.refresh_lease_until and self.refresh_lease_until > now:
            return "Connected; renewing the access token now"
        expired = not self.access_expires_at or self.access_expires_at <= now
        next_refresh = self.refreshed_at + timedelta(seconds=settings.EXACT_REFRESH_INTERVAL_SECONDS)
        if expired and self.refreshed_at and next_refresh > now:
            return (
                f"Connected; the last token renewal got no answer, so deliveries wait until "
                f"{next_refresh:%H:%M:%S} (Exact allows one renewal per 570 seconds)"
            )
        if self.paused_until and self.paused_until > now:
            return f"Connected; Exact's rate limit is used up until {self.paused_until:%H:%M:%S}"
        return f"Connected since {self.connected_at:%Y-%m-%d %H:%M}" if self.connected_at else "Connected"


class ExactCustomer(RecordCustomer):
    """Exact's account ID for a customer (its debtor)."""

    target = models.ForeignKey(SyncTarget, on_delete=models.CASCADE, related_name="exact_customers")
    lead = models.ForeignKey("leads.Lead", on_delete=models.CASCADE, related_name="exact_customers")
    exact_id = models.CharField(max_length=36)
    code = models.CharField(max_length=18, blank=True)
    matched_existing = models.BooleanField(default=False, help_text="Found in Exact rather than created by us.")
    review_suggestion = models.CharField(
        max_length=255, blank=True, help_text="A debtor with the same name and postcode, for a person to check."
    )

    class Meta:
        db_table = "sync_exactcustomer"
        constraints = [models.UniqueConstraint(fields=["target", "lead"], name="exact_customer_once_per_target")]

    def __str__(self) -> str:
        return f"Exact debtor {self.code.strip()} ({self.exact_id})"


class ExactAccount(RecordCopyKeys):
    """Leadflow's copy of the identifying fields of every account in the target's division, kept up to date
    from Exact's sync endpoint before each delivery. Exact's $filter compares text as stored, so KvK
    `6808 5012` or VAT `NL6813.37.223.B01` are only found by comparing normal forms, which happens here."""

    target = models.ForeignKey(SyncTarget, on_delete=models.CASCADE, related_name="exact_accounts")
    exact_id = models.CharField(max_length=36)
    code = models.CharField(max_length=18, blank=True)
    name = models.CharField(max_length=100, blank=True)
    postcode = models.CharField(max_length=30, blank=True)
    kvk_key = models.CharField(max_length=60, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["target", "exact_id"], name="exact_account_once_per_target")]
        indexes = [
            models.Index(fields=["target", "kvk_key"], name="exact_account_kvk_idx"),
            models.Index(fields=["target", "vat_key"], name="exact_account_vat_idx"),
            models.Index(fields=["target", "code"], name="exact_account_code_idx"),
            models.Index(fields=["target", "name_key", "postcode_key"], name="exact_account_name_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.code.strip()})"


class ExactOpenItems(models.Model):
    """What a customer still owes according to Exact (its open sales items), as last read: shown to sales on the
    lead page. Refreshed for the whole division at once by the beat task `refresh_exact_open_items`."""

    target = models.ForeignKey(SyncTarget, on_delete=models.CASCADE, related_name="exact_open_items")
    lead = models.ForeignKey("leads.Lead", on_delete=models.CASCADE, related_name="exact_open_items")
    outstanding = models.DecimalField(max_digits=14, decimal_places=2, default=0)
    overdue = models.DecimalField(max_digits=14, decimal_places=2, default=0)
    open_count = models.PositiveIntegerField(default=0)
    currency = models.CharField(max_length=3, blank=True)
    read_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["target", "lead"], name="exact_open_items_once")]

    def __str__(self) -> str:
        return f"{self.currency} {self.outstanding} open ({self.open_count} items)"
