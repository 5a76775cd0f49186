from django import template

from leadflow.crm.selectors import conversion_for, lead_can_request_conversion
from leadflow.crm.services import lead_crm
from leadflow.leads.models import Lead

register = template.Library()


@register.filter
def can_request_conversion(lead: Lead) -> bool:
    return lead_can_request_conversion(lead=lead, conversion=conversion_for(lead=lead))


@register.filter
def crm_label(lead: Lead) -> str:
    """The name of the CRM the lead converts into."""
    return lead_crm(lead=lead).label
