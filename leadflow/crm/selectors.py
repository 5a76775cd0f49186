from typing import Any

from django.http import QueryDict

from leadflow.core.exceptions import ExternalServiceError
from leadflow.crm import services
from leadflow.crm.forms import ConversionDealForm
from leadflow.crm.models import Conversion, ConversionStatus
from leadflow.leads.models import Lead, LeadState


def conversion_for(*, lead: Lead) -> Conversion | None:
    return Conversion.objects.filter(lead=lead).first()


def lead_can_request_conversion(*, lead: Lead, conversion: Conversion | None) -> bool:
    return lead.state == LeadState.QUALIFIED and (conversion is None or conversion.status == ConversionStatus.FAILED)


def conversion_deal_form(*, lead: Lead, data: QueryDict | None = None) -> ConversionDealForm:
    """The deal form, its stages those of the lead's CRM."""
    crm = services.lead_crm(lead=lead)
    return ConversionDealForm(data, lead=lead, stages=crm.deal_stages(), deal_name=crm.record_name("opportunity"))


def conversion_preview_context(*, lead: Lead) -> dict[str, Any]:
    """The preview and the deal form for a confirmation page, or the reason the CRM could not be asked."""
    conversion = conversion_for(lead=lead)
    context: dict[str, Any] = {
        "crm_label": services.lead_crm(lead=lead).label,
        "conversion": conversion,
        "can_convert": lead_can_request_conversion(lead=lead, conversion=conversion),
    }
    if context["can_convert"]:
        try:
            context["plan"] = services.lead_conversion_preview(lead=lead)
        except ExternalServiceError as exc:
            context["preview_error"] = exc.message
        context["deal_form"] = conversion_deal_form(lead=lead)
    return context
