from django.contrib import admin

from leadflow.integrations.businesscentral.models import BusinessCentralCustomer


@admin.register(BusinessCentralCustomer)
class BusinessCentralCustomerAdmin(admin.ModelAdmin):
    """Which customer each lead became; written by deliveries only."""

    list_display = ("lead", "target", "number", "customer_id", "matched_existing", "review_suggestion")
    list_filter = ("target", "matched_existing")
    list_select_related = ("lead", "target")
    raw_id_fields = ("lead",)
    readonly_fields = ("target", "lead", "customer_id", "number", "etag", "matched_existing", "review_suggestion")

    def has_add_permission(self, request) -> bool:
        return False
