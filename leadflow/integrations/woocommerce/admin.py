from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html

from leadflow.core.admin import ReadOnlyInline
from leadflow.integrations.woocommerce import services
from leadflow.integrations.woocommerce.forms import WooStoreForm
from leadflow.integrations.woocommerce.models import WooBackfill, WooBuyer, WooOrder, WooStore, WooWebhook


class BackfillInline(ReadOnlyInline):
    model = WooBackfill
    fields = ("collection", "state", "progress", "next_page", "skipped", "error", "finished_at")

    @admin.display(description="Progress")
    def progress(self, backfill: WooBackfill) -> str:
        total = backfill.total if backfill.total is not None else "?"
        return f"{backfill.processed} of {total} ({backfill.percent} %)"


@admin.register(WooStore)
class WooStoreAdmin(admin.ModelAdmin):
    form = WooStoreForm
    list_display = ("name", "url", "enabled", "check_ok", "check_message", "checked_at", "webhook_url")
    readonly_fields = ("webhook_url", "check_ok", "check_message", "checked_at")
    inlines = [BackfillInline]
    actions = ["test_connection", "start_backfill"]

    @admin.display(description="Webhook delivery URL")
    def webhook_url(self, store: WooStore) -> str:
        if not store.pk:
            return "Shown after saving."
        return reverse("woocommerce:webhook", kwargs={"store": store.name})

    @admin.action(description="Test the connection")
    def test_connection(self, request: HttpRequest, queryset: QuerySet[WooStore]) -> None:
        for store in queryset:
            store = services.store_connection_test(store=store)
            level = messages.SUCCESS if store.check_ok else messages.ERROR
            self.message_user(request, f"{store.name}: {store.check_message}", level)

    @admin.action(description="Back-fill existing customers and orders")
    def start_backfill(self, request: HttpRequest, queryset: QuerySet[WooStore]) -> None:
        for store in queryset:
            services.backfill_start(store=store)
            self.message_user(request, f"{store.name}: back-fill queued; progress shows on the store's page.")


class OrderInline(ReadOnlyInline):
    model = WooOrder
    fields = ("number", "status", "total", "currency", "ordered_at")


@admin.register(WooBuyer)
class WooBuyerAdmin(admin.ModelAdmin):
    list_display = ("email_key", "store", "matched", "lead_link", "crm_label", "created_at")
    list_filter = ("store", "matched")
    list_select_related = ("store", "lead")
    search_fields = ("email_key", "crm_id")
    raw_id_fields = ("lead",)
    readonly_fields = ("store", "email_key", "woo_customer_id", "matched", "crm_object", "crm_id", "crm_label")
    inlines = [OrderInline]

    @admin.display(description="Lead")
    def lead_link(self, buyer: WooBuyer) -> str:
        if buyer.lead_id is None:
            return "—"
        url = reverse("admin:leads_lead_change", args=[buyer.lead_id])
        return format_html('<a href="{}">{}</a>', url, buyer.lead)


@admin.register(WooWebhook)
class WooWebhookAdmin(admin.ModelAdmin):
    list_display = ("received_at", "store", "topic", "status", "delivery_id", "remote_addr", "error")
    list_filter = ("status", "topic", "store")
    list_select_related = ("store",)
    readonly_fields = [f.name for f in WooWebhook._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False
