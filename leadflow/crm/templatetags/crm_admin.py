from django import template

from leadflow.crm.selectors import conversion_for, lead_can_request_conversion
from leadflow.leads.models import Lead

register = template.Library()


@register.filter
def can_request_conversion(lead: Lead) -> bool:
    return lead_can_request_conversion(lead=lead, conversion=conversion_for(lead=lead))
