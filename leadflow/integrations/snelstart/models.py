"""What Leadflow keeps per SnelStart target: its access token, the relatie each customer became, and a copy of
the identifying fields of the administration's relaties (to match formatted KvK/VAT numbers)."""

from django.db import models

from leadflow.sync.models import RecordCopyKeys, RecordCustomer, SyncTarget, TargetConnection


class SnelStartConnection(TargetConnection):
    """The access token the customer's koppelingsleutel was exchanged for, and how far the relaties copy goes."""

    system = "SnelStart"

    target = models.OneToOneField(SyncTarget, on_delete=models.CASCADE, related_name="snelstart_connection")
    # Newest `modifiedOn` copied into SnelStartRelatieCopy: the next refresh asks only for relaties changed since.
    copied_until = models.CharField(max_length=32, blank=True)


class SnelStartCustomer(RecordCustomer):
    """SnelStart's relatie id for a customer."""

    target = models.ForeignKey(SyncTarget, on_delete=models.CASCADE, related_name="snelstart_customers")
    lead = models.ForeignKey("leads.Lead", on_delete=models.CASCADE, related_name="snelstart_customers")
    relatie_id = models.CharField(max_length=36)
    relatiecode = models.PositiveIntegerField(null=True, blank=True)
    matched_existing = models.BooleanField(default=False, help_text="Found in SnelStart rather than created by us.")
    review_suggestion = models.CharField(
        max_length=255, blank=True, help_text="A relatie with the same name and postcode, for a person to check."
    )

    def __str__(self) -> str:
        return f"SnelStart relatie {self.relatiecode} ({self.relatie_id})"


class SnelStartRelatieCopy(RecordCopyKeys):
    """The identifying fields of one relatie of the administration, in normal form. SnelStart's $filter compares
    text as stored, so KvK `6808 5012` or VAT `NL6813.37.223.B01` are only found by comparing normal forms here."""

    target = models.ForeignKey(SyncTarget, on_delete=models.CASCADE, related_name="snelstart_relaties")
    relatie_id = models.CharField(max_length=36)
    relatiecode = models.PositiveIntegerField(null=True, blank=True)
    naam = models.CharField(max_length=100, blank=True)
    kvk_key = models.CharField(max_length=60, blank=True)
    # The lead whose delivery created this relatie (Leadflow's mark in the memo), to recognise our own create
    # whose answer was lost.
    leadflow_lead_id = models.PositiveBigIntegerField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["target", "relatie_id"], name="snelstart_copy_once")]
        indexes = [
            models.Index(fields=["target", "kvk_key"], name="snelstart_copy_kvk_idx"),
            models.Index(fields=["target", "vat_key"], name="snelstart_copy_vat_idx"),
            models.Index(fields=["target", "leadflow_lead_id"], name="snelstart_copy_lead_idx"),
            models.Index(fields=["target", "name_key", "postcode_key"], name="snelstart_copy_name_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.naam} ({self.relatiecode})"
