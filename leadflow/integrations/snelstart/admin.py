from django.contrib import admin

from leadflow.integrations.snelstart.models import SnelStartCustomer


@admin.register(SnelStartCustomer)
class SnelStartCustomerAdmin(admin.ModelAdmin):
    """Which relatie each customer became; written by deliveries only."""

    list_display = ("lead", "target", "relatiecode", "relatie_id", "matched_existing", "review_suggestion")
    list_filter = ("target", "matched_existing")
    list_select_related = ("lead", "target")
    raw_id_fields = ("lead",)
    readonly_fields = ("target", "lead", "relatie_id", "relatiecode", "matched_existing", "review_suggestion")

    def has_add_permission(self, request) -> bool:
        return False
