"""Won deals in Pipedrive: heard by a v2 webhook (`change` on `deal`, status won) and, as a safety net, polled.

Both end in `leadflow.crm.deals.deals_won_record`, the same path Salesforce's won Opportunities take: the deal is
noted once on its lead, which queues the `deal.won` outbox event in the same transaction.
"""

import base64
import binascii
import hmac
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.utils import timezone

from leadflow.core.exceptions import ApplicationError
from leadflow.crm.deals import WonDeal, deals_won_record
from leadflow.crm.models import Conversion, ConversionStatus
from leadflow.integrations.pipedrive.client import PipedriveClient

IDS_PER_REQUEST = 100  # GET /api/v2/deals takes at most 100 ids


def pipedrive_webhook_authentic(*, authorization: str) -> bool:
    """Pipedrive does not sign webhooks; it sends the basic-auth credentials configured on the webhook. Without
    PIPEDRIVE_WEBHOOK_PASSWORD every request is refused."""
    if not settings.PIPEDRIVE_WEBHOOK_PASSWORD or not authorization.startswith("Basic "):
        return False
    try:
        given = base64.b64decode(authorization[6:], validate=True)
    except (binascii.Error, ValueError):
        return False
    expected = f"{settings.PIPEDRIVE_WEBHOOK_USER}:{settings.PIPEDRIVE_WEBHOOK_PASSWORD}".encode()
    return hmac.compare_digest(given, expected)


def pipedrive_webhook_receive(*, body: Any) -> int:
    """Note the deal a v2 webhook says is won; other events are ignored. Returns how many deals were noted."""
    if not isinstance(body, dict) or not isinstance(body.get("meta"), dict) or not isinstance(body.get("data"), dict):
        raise ApplicationError("A Pipedrive v2 webhook body has `meta` and `data` objects.")
    meta, data = body["meta"], body["data"]
    if meta.get("entity") != "deal" or meta.get("action") != "change" or data.get("status") != "won":
        return 0
    if "id" not in data:
        raise ApplicationError("The deal in the webhook has no id.")
    return deals_won_record(crm="pipedrive", deals=[_won_deal(data)])


def pipedrive_won_deals_poll(*, client: PipedriveClient | None = None) -> int:
    """Ask Pipedrive which deals Leadflow made (in the last PIPEDRIVE_WON_DEALS_WINDOW_DAYS, not yet noted won)
    are won: one call per 100 deals. Returns how many were newly noted."""
    since = timezone.now() - timedelta(days=settings.PIPEDRIVE_WON_DEALS_WINDOW_DAYS)
    ids = sorted(
        Conversion.objects.filter(crm="pipedrive", status=ConversionStatus.DONE, created_at__gte=since)
        .exclude(opportunity_id="")
        .exclude(lead__events__data__deal_won__crm="pipedrive")
        .values_list("opportunity_id", flat=True)
    )
    client = client or PipedriveClient()
    won = []
    for start in range(0, len(ids), IDS_PER_REQUEST):
        chunk = ",".join(ids[start : start + IDS_PER_REQUEST])
        won += [
            _won_deal(deal) for deal in client.pages("/api/v2/deals", ids=chunk, status="won", limit=IDS_PER_REQUEST)
        ]
    return deals_won_record(crm="pipedrive", deals=won) if won else 0


def _won_deal(deal: dict[str, Any]) -> WonDeal:
    value = deal.get("value")
    return WonDeal(
        crm="pipedrive",
        id=str(deal["id"]),
        name=deal.get("title") or "",
        amount=float(value) if value is not None else None,
        currency=deal.get("currency") or settings.PIPEDRIVE_CURRENCY,
        close_date=(deal.get("won_time") or deal.get("close_time") or "")[:10] or None,
    )
