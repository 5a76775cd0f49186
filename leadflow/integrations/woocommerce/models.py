"""A WooCommerce shop as a source of leads: its connection, the webhooks it sent, its buyers and their orders."""

from django.db import models
from django.db.models import Q
from django.utils import timezone

from leadflow.core.models import TimeStampedModel


class WooStore(TimeStampedModel):
    """One shop. Its buyers become leads with source `woocommerce:<name>`."""

    name = models.SlugField(max_length=50, unique=True, help_text="Short name; leads get source woocommerce:<name>.")
    url = models.URLField(help_text="The shop's address, e.g. https://shop.example.nl")
    consumer_key = models.CharField(max_length=100, help_text="REST API key (ck_…) with read access.")
    consumer_secret = models.CharField(max_length=100, help_text="REST API secret (cs_…).")
    webhook_secret = models.CharField(max_length=200, help_text="The secret set on the shop's webhooks.")
    enabled = models.BooleanField(default=True)
    checked_at = models.DateTimeField(null=True, blank=True)
    check_ok = models.BooleanField(null=True, blank=True)
    check_message = models.CharField(max_length=255, blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name = "WooCommerce store"

    def __str__(self) -> str:
        return self.name

    @property
    def source(self) -> str:
        return f"woocommerce:{self.name}"


class WebhookStatus(models.TextChoices):
    RECEIVED = "received", "Received, waiting to be processed"
    PROCESSED = "processed", "Processed"
    FAILED = "failed", "Could not be processed"
    IGNORED = "ignored", "Topic not used"
    REFUSED = "refused", "Refused (bad signature)"


class WooWebhook(models.Model):
    """One webhook request as it arrived, stored before it is answered. Refused ones keep no body."""

    store = models.ForeignKey(WooStore, on_delete=models.CASCADE, related_name="webhooks")
    received_at = models.DateTimeField(default=timezone.now, db_index=True)
    topic = models.CharField(max_length=64, blank=True)
    delivery_id = models.CharField(max_length=64, blank=True, help_text="X-WC-Webhook-Delivery-ID")
    body = models.JSONField(null=True, blank=True)
    status = models.CharField(max_length=16, choices=WebhookStatus.choices, default=WebhookStatus.RECEIVED)
    error = models.TextField(blank=True)
    remote_addr = models.GenericIPAddressField(null=True, blank=True)
    processed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-received_at", "-id"]
        indexes = [
            models.Index(fields=["received_at"], name="woowebhook_waiting_idx", condition=Q(status="received")),
        ]
        verbose_name = "WooCommerce webhook"

    def __str__(self) -> str:
        return f"{self.topic or 'webhook'} from {self.store} ({self.status})"


class WooBuyer(models.Model):
    """Someone who bought or registered in the shop, and the lead or CRM record they turned out to be.

    One row per shop and e-mail address: a repeat buyer finds this row and adds an order, not a lead.
    """

    store = models.ForeignKey(WooStore, on_delete=models.CASCADE, related_name="buyers")
    email_key = models.CharField(max_length=254, help_text="Lower-cased e-mail, or customer:/order: id without one.")
    woo_customer_id = models.PositiveBigIntegerField(null=True, blank=True)
    lead = models.ForeignKey(
        "leads.Lead", null=True, blank=True, on_delete=models.SET_NULL, related_name="woocommerce_buyers"
    )
    crm_object = models.CharField(max_length=32, blank=True, help_text="CRM record found for a buyer with no lead.")
    crm_id = models.CharField(max_length=64, blank=True)
    crm_label = models.CharField(max_length=255, blank=True)
    matched = models.CharField(max_length=16, help_text="new lead, existing lead or crm record.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["store", "email_key"], name="woobuyer_once_per_email")]
        indexes = [models.Index(fields=["store", "woo_customer_id"], name="woobuyer_customer_idx")]
        verbose_name = "WooCommerce buyer"

    def __str__(self) -> str:
        return f"{self.email_key} in {self.store}"


class WooOrder(models.Model):
    """An order, on its buyer's timeline (and, when the buyer is a lead, as a note on the lead's)."""

    store = models.ForeignKey(WooStore, on_delete=models.CASCADE, related_name="orders")
    woo_id = models.PositiveBigIntegerField()
    buyer = models.ForeignKey(WooBuyer, on_delete=models.CASCADE, related_name="orders")
    number = models.CharField(max_length=64)
    status = models.CharField(max_length=32)
    currency = models.CharField(max_length=3)
    total = models.DecimalField(max_digits=14, decimal_places=2)
    ordered_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-ordered_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["store", "woo_id"], name="wooorder_once_per_store")]
        verbose_name = "WooCommerce order"

    def __str__(self) -> str:
        return f"Order {self.number} ({self.total} {self.currency})"


class BackfillState(models.TextChoices):
    PENDING = "pending", "Waiting for a worker"
    RUNNING = "running", "Running"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"


class WooBackfill(TimeStampedModel):
    """Reading one collection (customers or orders) of a shop page by page. Each page is processed and the
    cursor moved in one transaction, so a worker killed mid-page leaves the page to be read again."""

    store = models.ForeignKey(WooStore, on_delete=models.CASCADE, related_name="backfills")
    collection = models.CharField(max_length=16, choices=[("customers", "Customers"), ("orders", "Orders")])
    state = models.CharField(max_length=16, choices=BackfillState.choices, default=BackfillState.PENDING)
    next_page = models.PositiveIntegerField(default=1)
    total = models.PositiveIntegerField(null=True, blank=True, help_text="X-WP-Total at the last page read.")
    processed = models.PositiveIntegerField(default=0)
    skipped = models.PositiveIntegerField(default=0, help_text="Records the shop sent malformed (see error).")
    lease_until = models.DateTimeField(null=True, blank=True)
    claim_token = models.UUIDField(null=True, blank=True)
    error = models.TextField(blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = "WooCommerce back-fill"

    def __str__(self) -> str:
        return f"Back-fill of {self.store} {self.collection} ({self.state})"

    @property
    def percent(self) -> int:
        return min(100, int(100 * self.processed / self.total)) if self.total else 0
