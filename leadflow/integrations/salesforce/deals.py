"""Won Opportunities: which of the Opportunities Leadflow created are Closed Won now.

Polled (beat task `poll_salesforce_won_deals`, every SALESFORCE_WON_DEALS_POLL_SECONDS): one SOQL query per 200
Opportunity ids, five queries per Composite call, over the conversions of the last SALESFORCE_WON_DEALS_WINDOW_DAYS
whose deal is not yet noted won. Each won deal is noted once on its lead (`leadflow.crm.deals`), which queues the
`deal.won` event in the same transaction.
"""

from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from leadflow.crm.deals import WonDeal, deal_won_record
from leadflow.crm.models import Conversion, ConversionStatus
from leadflow.integrations.salesforce.client import SalesforceClient, soql_in

IDS_PER_QUERY = 200
CLOSED_WON = "Closed Won"


def salesforce_won_deals_poll(*, client: SalesforceClient | None = None) -> int:
    """Note every newly won deal; returns how many were noted."""
    since = timezone.now() - timedelta(days=settings.SALESFORCE_WON_DEALS_WINDOW_DAYS)
    conversions = {
        c.opportunity_id: c
        for c in Conversion.objects.filter(crm="salesforce", status=ConversionStatus.DONE, created_at__gte=since)
        .exclude(opportunity_id="")
        .exclude(lead__events__data__deal_won__crm="salesforce")
        .select_related("lead")
    }
    if not conversions:
        return 0
    ids = sorted(conversions)
    soqls = {
        f"won{n}": "SELECT Id, Name, Amount, CloseDate FROM Opportunity "  # noqa: S608 (ids quoted by soql_in)
        f"WHERE StageName = '{CLOSED_WON}' AND Id IN {soql_in(ids[n : n + IDS_PER_QUERY])}"
        for n in range(0, len(ids), IDS_PER_QUERY)
    }
    noted = 0
    for records in (client or SalesforceClient()).queries(soqls).values():
        for record in records:
            conversion = conversions.get(record["Id"])
            if conversion is not None and deal_won_record(lead=conversion.lead, deal=_deal(record)):
                noted += 1
    return noted


def _deal(record: dict) -> WonDeal:
    amount = record.get("Amount")
    return WonDeal(
        crm="salesforce",
        id=record["Id"],
        name=record.get("Name") or "",
        amount=float(amount) if amount is not None else None,
        currency=settings.SALESFORCE_CURRENCY,
        close_date=record.get("CloseDate"),
    )
