from django.contrib import admin

from leadflow.integrations.exact.models import ExactCustomer
from leadflow.sync.admin import RecordCustomerAdmin


@admin.register(ExactCustomer)
class ExactCustomerAdmin(RecordCustomerAdmin):
    list_display = ("lead", "target", "code", "exact_id", "matched_existing", "created_at")
    search_fields = ("exact_id", "code")
