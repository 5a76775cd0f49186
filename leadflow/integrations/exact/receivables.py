"""Payment status read back from Exact: the open sales items (`read/financial/ReceivablesList`) of the division,
totalled per debtor Leadflow created or matched, so sales sees on the lead page what the customer still owes.

One refresh reads the whole list (one call per page of 60 open items) rather than one call per customer: Exact's
60 calls a minute are shared with deliveries.
"""

import re
from collections import defaultdict
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from django.utils import timezone

from leadflow.integrations.exact.accounts import _next_page
from leadflow.integrations.exact.client import ExactClient
from leadflow.integrations.exact.models import ExactCustomer, ExactOpenItems
from leadflow.sync.models import SyncTarget

ODATA_DATE = re.compile(r"/Date\((-?\d+)\)/")


def exact_open_items_refresh(*, target: SyncTarget) -> int:
    """Read the division's open items and store each known customer's totals (zero when it owes nothing).
    Returns the number of customers stored."""
    division = target.settings.get("division")
    client = ExactClient(target)
    totals: dict[str, dict[str, Any]] = defaultdict(lambda: {"outstanding": Decimal(0), "overdue": Decimal(0), "n": 0})
    url = f"/api/v1/{division}/read/financial/ReceivablesList"
    params = {"$select": "AccountId,Amount,CurrencyCode,DueDate"}
    today = timezone.now().date()
    while url:
        page = client.get(url, params=params)["d"]
        for row in page["results"]:
            _add(totals[row["AccountId"].lower()], row, today)
        url, params = _next_page(page.get("__next")), {}
    now = timezone.now()
    rows = [
        ExactOpenItems(
            target=target,
            lead_id=lead_id,
            outstanding=totals[exact_id.lower()]["outstanding"],
            overdue=totals[exact_id.lower()]["overdue"],
            open_count=totals[exact_id.lower()]["n"],
            currency=totals[exact_id.lower()].get("currency", ""),
            read_at=now,
        )
        for exact_id, lead_id in ExactCustomer.objects.filter(target=target).values_list("exact_id", "lead_id")
    ]
    ExactOpenItems.objects.bulk_create(
        rows,
        update_conflicts=True,
        unique_fields=["target", "lead"],
        update_fields=["outstanding", "overdue", "open_count", "currency", "read_at"],
    )
    return len(rows)


def _add(total: dict[str, Any], row: dict[str, Any], today: Any) -> None:
    amount = Decimal(str(row.get("Amount") or 0)).quantize(Decimal("0.01"))
    total["outstanding"] += amount
    total["n"] += 1
    total["currency"] = row.get("CurrencyCode") or total.get("currency", "")
    due = ODATA_DATE.fullmatch(row.get("DueDate") or "")
    if due and datetime.fromtimestamp(int(due[1]) / 1000, tz=UTC).date() < today:
        total["overdue"] += amount
