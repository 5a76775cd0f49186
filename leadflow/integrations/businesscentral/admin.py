from django.contrib import admin

from leadflow.integrations.businesscentral.models import BusinessCentralCustomer
from leadflow.sync.admin import DeliveredRecordCustomerAdmin


@admin.register(BusinessCentralCustomer)
class BusinessCentralCustomerAdmin(DeliveredRecordCustomerAdmin):
    list_display = ("lead", "target", "number", "customer_id", "matched_existing", "review_suggestion")
    readonly_fields = ("target", "lead", "customer_id", "number", "etag", "matched_existing", "review_suggestion")
