"""What Leadflow keeps per Exact Online target: its OAuth tokens and the debtor each customer became.

The tables keep their names from when these models lived in the sync app (migration 0001 moved only the state).
"""

from django.db import models

from leadflow.sync.models import SyncTarget


class ExactConnection(models.Model):
    """The OAuth tokens of one Exact Online target. Refreshed only under a row lock: Exact rotates the refresh
    token on every use, so two workers refreshing with the same token would lock each other out."""

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

    class Meta:
        db_table = "sync_exactconnection"

    def __str__(self) -> str:
        return f"Exact connection of {self.target.name}"

    @property
    def is_connected(self) -> bool:
        return bool(self.refresh_token)


class ExactCustomer(models.Model):
    """Exact's account ID for a customer, so a job delivered twice never creates a second debtor."""

    target = models.ForeignKey(SyncTarget, on_delete=models.CASCADE, related_name="exact_customers")
    lead = models.ForeignKey("leads.Lead", on_delete=models.CASCADE, related_name="exact_customers")
    exact_id = models.CharField(max_length=36)
    code = models.CharField(max_length=18, blank=True)
    matched_existing = models.BooleanField(default=False, help_text="Found in Exact rather than created by us.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "sync_exactcustomer"
        constraints = [models.UniqueConstraint(fields=["target", "lead"], name="exact_customer_once_per_target")]

    def __str__(self) -> str:
        return f"Exact debtor {self.code.strip()} ({self.exact_id})"
