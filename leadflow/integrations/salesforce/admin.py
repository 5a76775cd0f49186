from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest

from leadflow.core.exceptions import ExternalServiceError
from leadflow.integrations.salesforce.client import SalesforceClient, describe_forget
from leadflow.integrations.salesforce.models import FieldMapping, OpportunitySettings, SalesforceObject
from leadflow.integrations.salesforce.payload import mapping_problems, opportunity_settings_problems


class CheckedAgainstOrgForm(forms.ModelForm):
    """Checks the row against the org's describe (fetched afresh, so a field just created counts) when it is
    saved; an org that cannot be asked now is checked later, in every conversion preview."""

    def clean(self) -> dict:
        cleaned = super().clean()
        if self.errors:
            return cleaned
        describe_forget()
        try:
            descriptions = SalesforceClient().describe(SalesforceObject.values)
        except ExternalServiceError:
            return cleaned
        for problem in self.check_against(self._meta.model(**cleaned), descriptions):
            self.add_error(None, problem)
        return cleaned

    def check_against(self, row: Any, descriptions: dict) -> list[str]:
        raise NotImplementedError


class FieldMappingForm(CheckedAgainstOrgForm):
    class Meta:
        model = FieldMapping
        fields = ("sobject", "lead_field", "salesforce_field", "enabled")

    def check_against(self, row: FieldMapping, descriptions: dict) -> list[str]:
        return mapping_problems(row, descriptions) if row.enabled else []


class OpportunitySettingsForm(CheckedAgainstOrgForm):
    class Meta:
        model = OpportunitySettings
        fields = (
            "create_opportunity",
            "name_pattern",
            "stage_name",
            "close_date_offset_days",
            "amount_lead_field",
            "amount_fixed",
        )

    def check_against(self, row: OpportunitySettings, descriptions: dict) -> list[str]:
        return opportunity_settings_problems(row, descriptions)


@admin.register(FieldMapping)
class FieldMappingAdmin(admin.ModelAdmin):
    form = FieldMappingForm
    list_display = ("sobject", "salesforce_field", "lead_field", "enabled")
    list_editable = ("enabled",)
    list_filter = ("sobject", "enabled")
    search_fields = ("lead_field", "salesforce_field")


@admin.register(OpportunitySettings)
class OpportunitySettingsAdmin(admin.ModelAdmin):
    form = OpportunitySettingsForm
    list_display = ("__str__", "create_opportunity", "stage_name", "close_date_offset_days")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return not OpportunitySettings.objects.exists()

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
