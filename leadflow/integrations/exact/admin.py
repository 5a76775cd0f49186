from django.contrib import admin

from leadflow.integrations.exact.models import ExactCustomer


@admin.register(ExactCustomer)
class ExactCustomerAdmin(admin.ModelAdmin):
    list_display = ("lead", "target", "code", "exact_id", "matched_existing", "created_at")
    list_select_related = ("lead", "target")
    list_filter = ("target", "matched_existing")
    raw_id_fields = ("lead",)
    search_fields = ("exact_id", "code")
