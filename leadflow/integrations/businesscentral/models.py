"""What Leadflow keeps per Business Central target: its access token, the customer each lead became (with the
ETag last seen), and a copy of the identifying fields of the company's customers (to match formatted VAT numbers)."""

from django.db import models

from leadflow.sync.models import RecordCopyKeys, RecordCustomer, SyncTarget, TargetConnection


class BusinessCentralConnection(TargetConnection):
    system = "Business Central"

    target = models.OneToOneField(SyncTarget, on_delete=models.CASCADE, related_name="businesscentral_connection")
    # Newest `lastModifiedDateTime` copied: the next refresh asks only for customers changed since.
    copied_until = models.CharField(max_length=40, blank=True)


class BusinessCentralCustomer(RecordCustomer):
    """Business Central's customer id for a lead."""

    target = models.ForeignKey(SyncTarget, on_delete=models.CASCADE, related_name="businesscentral_customers")
    lead = models.ForeignKey("leads.Lead", on_delete=models.CASCADE, related_name="businesscentral_customers")
    customer_id = models.CharField(max_length=36)
    number = models.CharField(max_length=20, blank=True)
    # The ETag of the version Leadflow last wrote or read: a PATCH sends it as If-Match.
    etag = models.CharField(max_length=200, blank=True)
    matched_existing = models.BooleanField(default=False, help_text="Found in Business Central, not created by us.")

    def __str__(self) -> str:
        return f"Business Central customer {self.number} ({self.customer_id})"


class BusinessCentralCustomerCopy(RecordCopyKeys):
    """The identifying fields of one customer of the company, in normal form ($filter compares as stored)."""

    target = models.ForeignKey(SyncTarget, on_delete=models.CASCADE, related_name="businesscentral_copies")
    customer_id = models.CharField(max_length=36)
    number = models.CharField(max_length=20, blank=True)
    display_name = models.CharField(max_length=100, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["target", "customer_id"], name="businesscentral_copy_once")]
        indexes = [
            models.Index(fields=["target", "vat_key"], name="bc_copy_vat_idx"),
            models.Index(fields=["target", "number"], name="bc_copy_number_idx"),
            models.Index(fields=["target", "name_key", "postcode_key"], name="bc_copy_name_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.display_name} ({self.number})"
