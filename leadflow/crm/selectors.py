from typing import Any

from leadflow.core.exceptions import ExternalServiceError
from leadflow.crm import services
from leadflow.crm.models import Conversion, ConversionStatus
from leadflow.leads.models import Lead, LeadState


def conversion_for(*, lead: Lead) -> Conversion | None:
    return Conversion.objects.filter(lead=lead).first()


def lead_can_request_conversion(*, lead: Lead, conversion: Conversion | None) -> bool:
    return lead.state == LeadState.QUALIFIED and (conversion is None or conversion.status == ConversionStatus.FAILED)


def conversion_preview_context(*, lead: Lead) -> dict[str, Any]:
    """The preview for a confirmation page, or the reason Salesforce could not be asked."""
    conversion = conversion_for(lead=lead)
    context: dict[str, Any] = {
        "conversion": conversion,
        "can_convert": lead_can_request_conversion(lead=lead, conversion=conversion),
    }
    if context["can_convert"]:
        try:
            context["plan"] = services.lead_conversion_preview(lead=lead)
        except ExternalServiceError as exc:
            context["preview_error"] = exc.message
    return context
