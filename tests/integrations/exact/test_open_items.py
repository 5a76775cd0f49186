"""Payment status read back from Exact: the division's open sales items totalled per customer, shown to sales on
the lead page."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from leadflow.integrations.exact.models import ExactConnection, ExactCustomer, ExactOpenItems
from leadflow.integrations.exact.receivables import exact_open_items_refresh
from leadflow.integrations.exact.tasks import refresh_exact_open_items
from tests.sync.factories import convert

pytestmark = pytest.mark.django_db(transaction=True)


def day(offset: int) -> str:
    return (timezone.now() + timedelta(days=offset)).date().isoformat()


def test_open_items_are_totalled_per_customer_with_what_is_overdue(target, exact_standin):
    owing, paid_up = convert(company="Jansen B.V."), convert(company="Pieters B.V.")
    account = ExactCustomer.objects.get(lead=owing.lead).exact_id
    exact_standin.add_receivable(AccountId=account.upper(), Amount=1000.0, CurrencyCode="EUR", DueDate=day(-10))
    exact_standin.add_receivable(AccountId=account, Amount=250.5, CurrencyCode="EUR", DueDate=day(20))
    exact_standin.add_receivable(AccountId="00000000-0000-0000-0000-000000000001", Amount=99.0, DueDate=day(-1))

    assert exact_open_items_refresh(target=target) == 2

    items = ExactOpenItems.objects.get(lead=owing.lead)
    assert (items.outstanding, items.overdue, items.open_count, items.currency) == (
        Decimal("1250.50"),
        Decimal("1000.00"),
        2,
        "EUR",
    )
    assert ExactOpenItems.objects.get(lead=paid_up.lead).open_count == 0


def test_a_target_that_cannot_be_read_now_keeps_its_last_figures(target, exact_standin):
    job = convert()
    account = ExactCustomer.objects.get(lead=job.lead).exact_id
    exact_standin.add_receivable(AccountId=account, Amount=100.0, CurrencyCode="EUR", DueDate=day(5))
    exact_open_items_refresh(target=target)
    ExactConnection.objects.filter(target=target).delete()

    refresh_exact_open_items()  # Not connected now: skipped, the last figures stay.

    assert ExactOpenItems.objects.get(lead=job.lead).outstanding == Decimal("100.00")


def test_the_lead_page_shows_sales_what_the_customer_owes_in_exact(target, exact_standin, client, staff_user):
    job = convert()
    account = ExactCustomer.objects.get(lead=job.lead).exact_id
    exact_standin.add_receivable(AccountId=account, Amount=1234.5, CurrencyCode="EUR", DueDate=day(-3))
    refresh_exact_open_items()
    client.force_login(staff_user)

    page = client.get(f"/leads/{job.lead_id}/").content.decode()

    assert "Open in Exact: EUR 1,234.50 in 1 item(s), EUR 1,234.50 overdue" in page


def test_a_customer_never_read_back_shows_no_payment_line(target, exact_standin, client, staff_user):
    job = convert()
    client.force_login(staff_user)
    assert "in Exact" not in client.get(f"/leads/{job.lead_id}/").content.decode()
