from django.contrib import admin

from leadflow.integrations.snelstart.models import SnelStartCustomer
from leadflow.sync.admin import DeliveredRecordCustomerAdmin


@admin.register(SnelStartCustomer)
class SnelStartCustomerAdmin(DeliveredRecordCustomerAdmin):
    list_display = ("lead", "target", "relatiecode", "relatie_id", "matched_existing", "review_suggestion")
    readonly_fields = ("target", "lead", "relatie_id", "relatiecode", "matched_existing", "review_suggestion")
