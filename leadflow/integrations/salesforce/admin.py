from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from leadflow.integrations.salesforce.models import FieldMapping, OpportunitySettings


@admin.register(FieldMapping)
class FieldMappingAdmin(admin.ModelAdmin):
    list_display = ("sobject", "salesforce_field", "lead_field", "max_length", "enabled")
    list_editable = ("enabled",)
    list_filter = ("sobject", "enabled")
    search_fields = ("lead_field", "salesforce_field")


@admin.register(OpportunitySettings)
class OpportunitySettingsAdmin(admin.ModelAdmin):
    list_display = ("__str__", "create_opportunity", "stage_name", "close_date_offset_days")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return not OpportunitySettings.objects.exists()

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
