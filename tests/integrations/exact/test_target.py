import threading
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone

from leadflow.integrations.exact.client import ExactClient, exact_access_token
from leadflow.integrations.exact.models import ExactConnection, ExactCustomer
from leadflow.sync.models import JobState
from leadflow.sync.targets import TargetDeferred
from tests.factories import UserFactory
from tests.helpers import wait_for
from tests.sync.factories import ExactTargetFactory, convert, run_again

pytestmark = pytest.mark.django_db(transaction=True)


def creates(exact_standin) -> int:
    return exact_standin.stats()["creates"]


def account_calls(exact_standin) -> int:
    return sum(1 for call in exact_standin.calls if call["endpoint"] in ("crm/Accounts", "sync/CRM/Accounts"))


def test_admin_connects_a_target_through_exact_consent_and_callback(exact_settings, exact_standin, staff_user, client):
    target = ExactTargetFactory(settings={"field_mapping": {"Name": "customer.company"}})
    client.force_login(staff_user)

    consent = client.post(reverse("exact:connect", args=[target.pk]))
    assert consent.status_code == 302
    query = parse_qs(urlsplit(consent["Location"]).query)
    answer = requests.post(  # The admin clicks "Allow" on Exact's page.
        exact_standin.auth_url,
        data={key: values[0] for key, values in query.items()} | {"decision": "approve"},
        allow_redirects=False,
        timeout=5,
    )
    callback = urlsplit(answer.headers["Location"])
    page = client.get(f"{callback.path}?{callback.query}")

    assert page.status_code == 302
    target.refresh_from_db()
    assert target.exact_connection.is_connected
    assert target.exact_connection.oauth_state == ""
    assert target.settings["division"] == exact_standin.division  # Taken from current/Me.


def test_callback_with_an_unknown_state_connects_nothing(exact_settings, staff_user, client):
    client.force_login(staff_user)
    page = client.get(reverse("exact:callback"), {"state": "forged", "code": "x"}, follow=True)
    assert "unknown or was already used" in page.content.decode()
    assert not ExactConnection.objects.exists()


def test_connect_flow_is_for_staff_only(exact_settings, user, client):
    target = ExactTargetFactory()
    client.force_login(user)
    assert client.post(reverse("exact:connect", args=[target.pk])).status_code == 302
    assert not ExactConnection.objects.exists()


def test_connect_is_a_post_and_changes_nothing_on_get(exact_settings, staff_user, client):
    target = ExactTargetFactory()
    client.force_login(staff_user)
    assert client.get(reverse("exact:connect", args=[target.pk])).status_code == 405
    assert not ExactConnection.objects.exists()


def test_staff_without_the_sync_permission_can_neither_connect_nor_complete(exact_settings, client):
    target = ExactTargetFactory()
    client.force_login(UserFactory(username="clerk", is_staff=True))
    assert client.post(reverse("exact:connect", args=[target.pk])).status_code == 403
    assert client.get(reverse("exact:callback"), {"state": "any", "code": "x"}).status_code == 403
    assert not ExactConnection.objects.exists()


def test_customer_becomes_a_debtor_with_mapped_fields(target, exact_standin):
    job = convert(
        company="Bakkerij Jansen B.V.",
        registration_number="12345678",
        vat_number="NL123456789B01",
        email="info@jansen.nl",
        street="Dorpsstraat 1",
        postcode="1234 AB",
        city="Utrecht",
        country="NL",
    )
    assert job.state == JobState.DONE
    [account] = exact_standin.accounts()
    assert account["Status"] == "C"
    assert account["Name"] == "Bakkerij Jansen B.V."
    assert account["ChamberOfCommerce"] == "12345678"
    assert account["VATNumber"] == "NL123456789B01"
    assert account["Code"] == job.payload["salesforce"]["account_id"]
    assert ExactCustomer.objects.get(lead=job.lead).exact_id == account["ID"]


def test_same_job_run_twice_creates_one_debtor_and_makes_no_second_call(target, exact_standin):
    job = convert()
    calls = account_calls(exact_standin)
    assert run_again(job).state == JobState.DONE
    assert creates(exact_standin) == 1
    assert account_calls(exact_standin) == calls


def test_create_whose_answer_was_lost_is_found_again_not_duplicated(target, exact_standin, settings):
    settings.EXACT_TIMEOUT_SECONDS = 0.5
    exact_standin.fail_next("timeout_after_commit", seconds=2)
    job = convert()
    assert job.state == JobState.PENDING
    assert run_again(job).state == JobState.DONE
    assert len(exact_standin.accounts()) == 1


def test_existing_debtor_with_the_same_kvk_is_matched_not_created(target, exact_standin):
    session = exact_standin.api_session()
    session.post(exact_standin.accounts_url, json={"Name": "Jansen", "ChamberOfCommerce": "87654321"}, timeout=5)
    job = convert(registration_number="87654321", vat_number="NL000000000B01")
    assert job.state == JobState.DONE
    assert creates(exact_standin) == 1
    assert ExactCustomer.objects.get(lead=job.lead).matched_existing


def test_access_token_expiring_mid_run_is_refreshed_and_every_customer_arrives_once(
    target, exact_standin, let_time_pass
):
    first = convert()
    let_time_pass(600)
    second = convert()
    let_time_pass(601)
    third = convert()
    assert {first.state, second.state, third.state} == {JobState.DONE}
    assert len(exact_standin.accounts()) == 3
    # One token grant when connecting, then one refresh per expiry: never a refresh that was not needed.
    assert exact_standin.stats()["calls_by_endpoint"]["POST oauth2/token"] == 3


@pytest.mark.postgres
def test_two_workers_refreshing_at_once_use_one_refresh(target, exact_standin, let_time_pass):
    let_time_pass(600)
    stored = ExactConnection.objects.get(target=target)
    start = threading.Barrier(4)
    tokens, failures = [], []

    def worker():
        start.wait()
        try:
            tokens.append(exact_access_token(connection_id=stored.pk, rejected=stored.access_token))
        except Exception as error:
            failures.append(error)
        finally:
            connection.close()

    run_side_by_side(worker, 4)

    assert failures == []
    assert len(set(tokens)) == 1
    assert exact_standin.stats()["calls_by_endpoint"]["POST oauth2/token"] == 2  # Connect, then one refresh.
    jobs = [convert() for _ in range(2)]
    assert {job.state for job in jobs} == {JobState.DONE}


def test_rate_limit_used_up_defers_jobs_without_calling_exact(target, exact_standin):
    exact_standin.set_limits(minutely=2)
    first = convert()  # Look-up and create: the minute's budget is gone.
    calls = account_calls(exact_standin)
    second = convert()

    assert first.state == JobState.DONE
    assert second.state == JobState.PENDING
    assert second.attempts == 0
    assert "rate limit" in second.last_error
    assert account_calls(exact_standin) == calls
    third = convert()
    assert third.attempts == 0  # The target is paused: the job is not even claimed.
    assert account_calls(exact_standin) == calls
    assert 0 < (second.next_attempt_at - timezone.now()).total_seconds() <= 60


def test_a_client_error_fails_the_job_and_is_not_retried(target, exact_standin):
    target.settings = {**target.settings, "division": 999}
    target.save()
    job = convert()
    assert job.state == JobState.FAILED
    assert "403" in job.last_error
    assert account_calls(exact_standin) == 1


def test_refused_refresh_token_fails_with_advice_to_reconnect_and_the_admin_says_disconnected(
    target, exact_standin, staff_user, client
):
    ExactConnection.objects.filter(target=target).update(refresh_token="revoked", access_token="stale")
    job = convert()
    assert job.state == JobState.FAILED
    assert "Reconnect" in job.last_error
    client.force_login(staff_user)
    page = client.get(reverse("admin:sync_synctarget_change", args=[target.pk])).content.decode()
    assert "Disconnected: Exact no longer accepts our authorization" in page


def test_exact_outage_is_retried(target, exact_standin):
    exact_standin.fail_next("unavailable")
    job = convert()
    assert job.state == JobState.PENDING
    assert run_again(job).state == JobState.DONE


def test_refused_for_rate_limit_the_job_waits_for_the_next_minute_without_spending_an_attempt(target, exact_standin):
    exact_standin.set_limits(minutely=1)
    exact_standin.api_session().get(exact_standin.accounts_url, timeout=5)  # Another process used the minute.
    job = convert()
    target.refresh_from_db()
    assert job.state == JobState.PENDING
    assert job.attempts == 0
    assert "429" in job.last_error
    assert 0 < (target.paused_until - timezone.now()).total_seconds() <= 60
    assert exact_standin.accounts() == []


def test_endpoint_blocked_after_errors_pauses_the_target_for_an_hour(target, exact_standin):
    exact_standin.set_limits(error_ban_threshold=0)
    exact_standin.api_session().get(exact_standin.accounts_url, params={"$filter": "Nonsense eq 1"}, timeout=5)
    job = convert()
    target.refresh_from_db()
    assert job.state == JobState.PENDING
    assert "blocked" in job.last_error
    assert (target.paused_until - timezone.now()).total_seconds() > 3500


def run_side_by_side(worker, count: int) -> None:
    """`count` threads, each a worker process's database session, running `worker` at the same time."""
    threads = [threading.Thread(target=worker) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def token_statuses(exact_standin) -> list[int]:
    return [call["status"] for call in exact_standin.calls if call["endpoint"] == "oauth2/token"]


def test_a_token_renewal_whose_answer_is_lost_is_repeated_after_570_seconds_and_never_disconnects(
    target, exact_standin, settings, let_time_pass
):
    settings.EXACT_TIMEOUT_SECONDS = 0.5
    let_time_pass(600)
    exact_standin.fail_next("timeout_after_commit", seconds=2, path="/api/oauth2/token")

    first = convert()
    second = convert()  # Meanwhile: the target waits, no second renewal is sent within Exact's 570 seconds.
    stored = ExactConnection.objects.get(target=target)
    assert first.state == second.state == JobState.PENDING
    assert first.attempts == second.attempts == 0
    assert stored.is_connected
    assert "no answer" in stored.state(timezone.now())
    assert token_statuses(exact_standin) == [200, 200]  # Connect, then the renewal whose answer was lost.

    let_time_pass(570)
    assert {run_again(first).state, run_again(second).state} == {JobState.DONE}
    assert token_statuses(exact_standin) == [200, 200, 200]  # Repeated once with the stored token: accepted.
    assert len(exact_standin.accounts()) == 2


@pytest.mark.postgres
def test_no_row_lock_is_held_while_a_token_renewal_waits_for_exact(target, exact_standin, settings, let_time_pass):
    settings.EXACT_TIMEOUT_SECONDS = 10
    let_time_pass(600)
    exact_standin.fail_next("timeout_after_commit", seconds=2, path="/api/oauth2/token")
    stored = ExactConnection.objects.get(target=target)
    renewed = []

    def renew():
        renewed.append(exact_access_token(connection_id=stored.pk))
        connection.close()

    worker = threading.Thread(target=renew)
    worker.start()
    assert wait_for(lambda: len(token_statuses(exact_standin)) >= 2 or not worker.is_alive())
    with transaction.atomic():  # The renewal is on the wire: the row must not be locked meanwhile.
        ExactConnection.objects.select_for_update(nowait=True).get(pk=stored.pk)
    worker.join()

    assert renewed and renewed[0] != stored.access_token


@pytest.mark.postgres
def test_workers_calling_at_once_share_one_budget_and_never_exceed_exacts_calls_per_minute(
    target, exact_standin, settings
):
    exact_standin.set_limits(minutely=3)
    settings.EXACT_CALLS_PER_MINUTE = 3
    settings.EXACT_BUDGET_WAIT_SECONDS = 0.2
    start = threading.Barrier(4)
    outcomes = []

    def worker():
        start.wait()
        client = ExactClient(target)
        for _ in range(2):
            try:
                client.get(exact_standin.accounts_url.removeprefix(exact_standin.url), params={"$top": "1"})
                outcomes.append("sent")
            except TargetDeferred:
                outcomes.append("deferred")
        connection.close()

    run_side_by_side(worker, 4)

    statuses = [call["status"] for call in exact_standin.calls if call["endpoint"] == "crm/Accounts"]
    assert statuses == [200, 200, 200]  # Three calls, not one 429.
    assert sorted(outcomes) == ["deferred"] * 5 + ["sent"] * 3


@pytest.mark.parametrize(
    ("in_exact", "on_the_lead"),
    [
        ({"ChamberOfCommerce": "6808 5012"}, {"registration_number": "68085012"}),
        ({"VATNumber": "NL6813.37.223.B01"}, {"vat_number": "NL681337223B01"}),
        ({"VATNumber": "nl 681337223 b01"}, {"vat_number": "NL6813.37.223.B01"}),
    ],
)
def test_an_identifier_formatted_differently_in_exact_still_matches_the_existing_debtor(
    target, exact_standin, in_exact, on_the_lead
):
    session = exact_standin.api_session()
    session.post(exact_standin.accounts_url, json={"Name": "Jansen Bakkerij", **in_exact}, timeout=5)

    job = convert(**{"registration_number": "", "vat_number": "", **on_the_lead})

    assert job.state == JobState.DONE
    assert len(exact_standin.accounts()) == 1
    assert ExactCustomer.objects.get(lead=job.lead).matched_existing


def test_same_name_and_postcode_is_only_a_suggestion_for_review_never_a_match(target, exact_standin):
    session = exact_standin.api_session()
    session.post(exact_standin.accounts_url, json={"Name": "Bakkerij Jansen", "Postcode": "1234 AB"}, timeout=5)

    job = convert(company="Bakkerij Jansen B.V.", postcode="1234ab", registration_number="", vat_number="")

    customer = ExactCustomer.objects.get(lead=job.lead)
    assert len(exact_standin.accounts()) == 2  # Created: a name is not an identifier.
    assert not customer.matched_existing
    assert "Bakkerij Jansen" in customer.review_suggestion
    assert "duplicate" in job.delivery_attempts.get().detail


def test_a_debtor_whose_create_answer_was_lost_is_recorded_as_ours_not_as_matched(target, exact_standin, settings):
    settings.EXACT_TIMEOUT_SECONDS = 0.5
    exact_standin.fail_next("timeout_after_commit", seconds=2)
    job = convert()
    job = run_again(job)

    assert job.state == JobState.DONE
    assert not ExactCustomer.objects.get(lead=job.lead).matched_existing
    assert "earlier attempt created" in job.delivery_attempts.get(outcome="delivered").detail


def test_a_company_name_longer_than_exact_stores_is_shortened_not_refused(target, exact_standin):
    job = convert(company="Stichting " + "Heel Lange Naam " * 10)

    assert job.state == JobState.DONE
    [account] = exact_standin.accounts()
    assert len(account["Name"]) <= 50
