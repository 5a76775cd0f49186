"""Won deals: when the CRM says a converted customer's deal is won, that goes on the lead's timeline once, and
the audit entry becomes a `deal.won` event in the outbox (settings.LEADFLOW_LEAD_EVENT_HOOKS), in the same
transaction — so operations and accounting hear about it exactly when Leadflow recorded it."""

from collections.abc import Iterable
from dataclasses import asdict, dataclass

from django.db import transaction

from leadflow.crm.models import Conversion, ConversionStatus
from leadflow.leads.models import Lead, LeadEvent
from leadflow.leads.services import lead_event_record


@dataclass(frozen=True)
class WonDeal:
    crm: str  # "salesforce", "pipedrive"
    id: str  # the CRM's deal id (an Opportunity Id, a Deal id)
    name: str
    amount: float | None
    currency: str
    close_date: str | None  # ISO date


def deal_won_record(*, lead: Lead, deal: WonDeal) -> LeadEvent | None:
    """Note the won deal on the lead once (None when it was noted before)."""
    with transaction.atomic():
        lead = Lead.objects.select_for_update().get(pk=lead.pk)
        if lead.events.filter(kind=LeadEvent.Kind.NOTE, data__deal_won__id=deal.id).exists():
            return None
        amount = f": {deal.amount:,.2f} {deal.currency}".rstrip() if deal.amount is not None else ""
        return lead_event_record(
            lead=lead,
            kind=LeadEvent.Kind.NOTE,
            actor=deal.crm,
            reason=f"Deal won in {deal.crm.title()}: {deal.name}{amount}",
            data={"deal_won": asdict(deal)},
        )


def deals_won_record(*, crm: str, deals: Iterable[WonDeal]) -> int:
    """Note each won deal on the lead whose conversion made it in that CRM; deals Leadflow did not make are
    ignored. Returns how many were newly noted (a deal heard of twice, by poll and webhook, counts once)."""
    deals = {deal.id: deal for deal in deals}
    conversions = Conversion.objects.filter(
        crm=crm, status=ConversionStatus.DONE, opportunity_id__in=list(deals)
    ).select_related("lead")
    return sum(1 for c in conversions if deal_won_record(lead=c.lead, deal=deals[c.opportunity_id]) is not None)
