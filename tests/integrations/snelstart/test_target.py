"""SnelStart target against the stand-in over HTTP: a converted customer becomes one relatie (Klant), found again
rather than duplicated, every SnelStart error sorted into retry or fail, and edits applied to the relatie."""

import pytest
from django.urls import reverse

from leadflow.integrations.snelstart.models import SnelStartCustomer
from leadflow.leads.services import lead_update
from leadflow.sync.models import JobState, SyncJob, SyncTarget
from tests.sync.factories import JANSEN, admin_target_add, convert, run_again

pytestmark = pytest.mark.django_db(transaction=True)

RELATIES = "/v2/relaties"


def only_relatie(standin) -> dict:
    [relatie] = standin.relaties.values()
    return relatie


def test_customer_becomes_a_klant_relatie_with_its_fields(target, snelstart_standin):
    job = convert(**JANSEN, first_name="Anna", last_name="Jansen", registration_number="6808 5012", website="jansen.nl")

    assert job.state == JobState.DONE
    relatie = only_relatie(snelstart_standin)
    assert relatie["relatiesoort"] == ["Klant"]
    assert relatie["naam"] == "Bakkerij Jansen B.V."
    assert (relatie["kvkNummer"], relatie["btwNummer"]) == ("68085012", "NL681337223B01")
    assert (relatie["email"], relatie["telefoon"], relatie["websiteUrl"]) == (
        "info@jansen.nl",
        "+31201234567",
        "https://jansen.nl",
    )
    netherlands = next(land["id"] for land in snelstart_standin.landen if land["landcode"] == "NL")
    assert relatie["vestigingsAdres"] == {
        "contactpersoon": "Anna Jansen",
        "straat": "Dorpsstraat 1",
        "postcode": "1234 AB",
        "plaats": "Utrecht",
        "land": {"id": netherlands},
    }
    assert relatie["memo"] == f"Leadflow lead {job.lead_id}"
    assert SnelStartCustomer.objects.get(lead=job.lead).relatie_id == relatie["id"]
    # One token, the country list, the copy of relaties, the create.
    assert len(snelstart_standin.calls) == 4


def test_same_job_run_twice_creates_one_relatie_and_makes_no_second_call(target, snelstart_standin):
    job = convert()
    calls = len(snelstart_standin.calls)
    assert run_again(job).state == JobState.DONE
    assert snelstart_standin.count("POST", RELATIES) == 1
    assert len(snelstart_standin.calls) == calls


def test_existing_relatie_with_the_same_kvk_in_another_format_is_matched_not_created(target, snelstart_standin):
    existing = snelstart_standin.add_relatie(naam="Jansen", kvkNummer="68085012")
    job = convert(registration_number="6808 5012", vat_number="")
    assert job.state == JobState.DONE
    assert snelstart_standin.count("POST", RELATIES) == 0
    customer = SnelStartCustomer.objects.get(lead=job.lead)
    assert (customer.relatie_id, customer.matched_existing) == (existing["id"], True)
    assert "Matched existing relatie" in job.delivery_attempts.get().detail


def test_existing_relatie_with_the_same_vat_number_is_matched(target, snelstart_standin):
    existing = snelstart_standin.add_relatie(naam="Jansen", btwNummer="NL681337223B01")
    job = convert(registration_number="", vat_number="nl 6813.37.223.b01")
    assert SnelStartCustomer.objects.get(lead=job.lead).relatie_id == existing["id"]
    assert snelstart_standin.count("POST", RELATIES) == 0


def test_a_relatie_whose_create_answer_was_lost_is_found_again_as_ours(target, snelstart_standin):
    job = convert(registration_number="", vat_number="")
    SnelStartCustomer.objects.all().delete()  # As if the answer to the create never arrived.

    job = run_again(job)

    assert snelstart_standin.count("POST", RELATIES) == 1
    assert not SnelStartCustomer.objects.get(lead=job.lead).matched_existing
    assert job.delivery_attempts.first().detail.endswith("an earlier attempt created.")


def test_same_name_and_postcode_is_only_a_review_suggestion(target, snelstart_standin):
    snelstart_standin.add_relatie(
        naam="Bakkerij Jansen",
        vestigingsAdres={"straat": "Kerkstraat 2", "postcode": "1234AB", "plaats": "Utrecht"},
    )
    job = convert(company="Bakkerij Jansen B.V.", postcode="1234 AB", registration_number="", vat_number="")
    assert snelstart_standin.count("POST", RELATIES) == 1
    assert "check whether it is a duplicate" in SnelStartCustomer.objects.get(lead=job.lead).review_suggestion


def test_an_incomplete_address_is_left_out_rather_than_refused(target, snelstart_standin):
    job = convert(first_name="Anna", last_name="Jansen", street="Dorpsstraat 1", postcode="1234 AB", city="")
    assert job.state == JobState.DONE
    assert only_relatie(snelstart_standin)["vestigingsAdres"] == {"contactpersoon": "Anna Jansen"}


def test_a_country_snelstart_does_not_know_fails_with_the_reason(target, snelstart_standin):
    job = convert(street="Main Street 1", postcode="10001", city="New York", country="US")
    assert job.state == JobState.FAILED
    assert "SnelStart has no country with code 'US'" in job.last_error


def test_snelstarts_validation_error_fails_the_job_with_its_code(target, snelstart_standin):
    job = convert(email="info@jansen")
    assert job.state == JobState.FAILED
    assert "REL-0061 Email dient een geldig emailadres te zijn." in job.last_error
    assert job.delivery_attempts.get().status_code == 400


@pytest.mark.parametrize(
    ("key", "reason"),
    [
        # A revoked koppelingsleutel: the message says what to enter.
        ("client_key", "SnelStart refused the koppelingsleutel (invalid_grant)"),
        # A wrong subscription key: API Management's own reason.
        ("subscription_key", "Access denied due to invalid subscription key"),
    ],
)
def test_a_refused_key_fails_the_job_with_the_reason(target, snelstart_standin, key, reason):
    target.settings[key] = "wrong"
    target.save()
    job = convert()
    assert job.state == JobState.FAILED
    assert reason in job.last_error


def test_an_expired_token_is_renewed_once_and_the_call_repeated(target, snelstart_standin):
    convert()
    snelstart_standin.expire_tokens()
    job = convert()
    assert job.state == JobState.DONE
    assert snelstart_standin.count("POST", "/b2b/token") == 2
    assert snelstart_standin.count("GET", RELATIES, status=401) == 1


def test_a_server_error_is_retried_and_then_delivered(target, snelstart_standin):
    snelstart_standin.fail_next = [503]
    job = convert()
    assert (job.state, job.attempts) == (JobState.PENDING, 1)
    assert run_again(job).state == JobState.DONE


def test_a_429_defers_the_job_without_spending_an_attempt_and_pauses_the_target(target, snelstart_standin):
    snelstart_standin.calls_per_period = 2  # The landen and relaties look-ups take both; the create gets a 429.
    job = convert()
    target.refresh_from_db()
    assert (job.state, job.attempts) == (JobState.PENDING, 0)
    assert target.paused_until is not None
    assert snelstart_standin.count("POST", RELATIES, status=429) == 1


def test_the_shared_budget_defers_before_snelstart_would_answer_429(target, snelstart_standin):
    snelstart_standin.calls_per_period = 3
    target.settings["calls_per_minute"] = 3
    target.save()
    first, second = convert(), convert()
    assert first.state == JobState.DONE
    assert (second.state, second.attempts) == (JobState.PENDING, 0)
    assert not [call for call in snelstart_standin.calls if call["status"] == 429]


def test_an_edited_phone_changes_the_relatie_and_keeps_what_snelstart_holds(target, snelstart_standin):
    job = convert(phone="+31201234567")
    relatie = only_relatie(snelstart_standin)
    relatie["iban"] = "NL91ABNA0417164300"  # Entered by accounting in SnelStart.

    lead_update(lead=job.lead, changes={"phone": "+31207654321"}, actor="anna")

    update = SyncJob.objects.get(lead=job.lead, event="customer.updated")
    assert update.state == JobState.DONE
    relatie = only_relatie(snelstart_standin)
    assert (relatie["telefoon"], relatie["iban"]) == ("+31207654321", "NL91ABNA0417164300")
    assert update.delivery_attempts.get().detail.endswith(": telefoon.")


def test_an_address_edit_is_pushed_when_leadflow_leads_the_address(target, snelstart_standin):
    target.settings["leading_address"] = "leadflow"
    target.save()
    job = convert(street="Dorpsstraat 1", postcode="1234 AB", city="Utrecht", country="NL")

    lead_update(lead=job.lead, changes={"street": "Kerkstraat 2", "city": "Amersfoort"}, actor="anna")

    address = only_relatie(snelstart_standin)["vestigingsAdres"]
    assert (address["straat"], address["plaats"], address["postcode"]) == ("Kerkstraat 2", "Amersfoort", "1234 AB")


def test_a_new_contact_person_replaces_snelstarts_one_contact(target, snelstart_standin):
    job = convert(first_name="Anna", last_name="Jansen")
    lead_update(lead=job.lead, changes={"first_name": "Piet"}, actor="anna")
    assert only_relatie(snelstart_standin)["vestigingsAdres"]["contactpersoon"] == "Piet Jansen"


def test_admin_adds_a_snelstart_target_and_never_shows_its_keys_again(client, staff_user):
    client.force_login(staff_user)
    settings = {
        "api_url": "https://b2bapi.snelstart.nl/v2",
        "auth_url": "https://auth.snelstart.nl/b2b/token",
        "subscription_key": "partner-subscription-key",
        "client_key": "customer-koppelingsleutel",
        "calls_per_minute": "60",
    }
    target = admin_target_add(client, kind="snelstart", name="snelstart-bv", settings=settings)

    assert (target.kind, target.settings["client_key"]) == ("snelstart", "customer-koppelingsleutel")
    page = client.get(reverse("admin:sync_synctarget_change", args=[target.pk])).content.decode()
    assert "customer-koppelingsleutel" not in page and "partner-subscription-key" not in page


def test_admin_refuses_a_snelstart_target_without_a_koppelingsleutel(client, staff_user):
    client.force_login(staff_user)
    form = {"name": "snelstart-bv", "enabled": "on", "settings_subscription_key": "k", "settings_calls_per_minute": "0"}
    page = client.post(reverse("admin:sync_synctarget_add") + "?kind=snelstart", form).content.decode()
    assert "client_key: This field is required." in page
    assert not SyncTarget.objects.exists()
