"""Duplicates are caught across the ways people type the same customer, and different people are kept apart."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from leadflow.leads import services as lead_services
from leadflow.leads.models import LeadState
from leadflow.quality.matching.matchers import LeadMatcher
from leadflow.quality.models import CandidateDecision, FieldWeight, LeadFingerprint, MatchSettings, Severity
from leadflow.quality.remote import RemoteRecord
from leadflow.quality.services import lead_run_checks

pytestmark = pytest.mark.django_db

ANNA = {
    "first_name": "Anna",
    "last_name": "de Vries",
    "email": "anna.devries@acme.nl",
    "phone": "+31201234567",
    "company": "Acme Trading B.V.",
    "street": "Keizersgracht 12",
    "postcode": "1015 CJ",
    "city": "Amsterdam",
    "country": "NL",
}


def checked(**fields):
    """A lead stored through the service and checked, as the pipeline does."""
    lead = lead_services.lead_create(actor="api:tests", source="tests", **fields)
    lead_run_checks(lead=lead)
    lead.refresh_from_db()
    return lead


def only_candidate(lead):
    candidates = list(lead.duplicate_candidates.all())
    assert len(candidates) == 1, [(c.other_lead_id, c.score, c.reasons) for c in candidates]
    return candidates[0]


@pytest.mark.parametrize(
    "variant",
    [
        {"email": "ANNA.DEVRIES@acme.nl"},
        {"first_name": "Ana", "email": "anna@gmail.com"},
        {"first_name": "de Vries", "last_name": "Anna", "email": ""},
        {"first_name": "A.", "email": "", "phone": "020 123 4567"},
        {"last_name": "de Vriess", "company": "ACME TRADING", "email": ""},
        {"first_name": "Ánna", "company": "The Acme Trading Ltd", "email": "anna@hotmail.com"},
    ],
    ids=["email-case", "typo-and-free-mail", "swapped-names", "initial-local-phone", "typo-suffix", "diacritics"],
)
def test_same_person_typed_differently_is_a_probable_duplicate(variant):
    first = checked(**ANNA)
    second = checked(**{**ANNA, **variant})
    candidate = only_candidate(second)
    assert candidate.other_lead == first
    assert candidate.decision == CandidateDecision.AUTO
    assert candidate.reasons


def test_webshop_customer_without_email_or_company_matches_on_address_phone_and_birth_date():
    person = {"first_name": "Piet", "last_name": "Jansen", "street": "Dorpsstraat 4", "postcode": "1234 AB"}
    first = checked(**person, phone="0201234567", country="NL", custom_fields={"date_of_birth": "1980-04-12"})
    second = checked(
        first_name="Piet",
        last_name="Janssen",
        street="Dorpsstr. 4",
        postcode="1234ab",
        phone="+31 20 123 4567",
        country="NL",
        custom_fields={"dob": "12-04-1980"},
    )
    candidate = only_candidate(second)
    assert (candidate.other_lead, candidate.decision) == (first, CandidateDecision.AUTO)
    assert "Same date of birth." in candidate.reasons


def test_family_members_sharing_an_address_and_phone_are_not_held_as_duplicates_a_person_decides():
    checked(**{**ANNA, "email": "", "company": ""})
    sibling = checked(**{**ANNA, "first_name": "Maarten", "email": "", "company": ""})
    assert only_candidate(sibling).decision == CandidateDecision.REVIEW


def test_family_members_with_their_own_mailboxes_are_not_duplicates():
    checked(**{**ANNA, "email": "anna@gmail.com", "company": ""})
    sibling = checked(**{**ANNA, "first_name": "Maarten", "email": "maarten@gmail.com", "company": ""})
    assert sibling.duplicate_candidates.count() == 0


def test_same_person_at_another_company_is_not_a_duplicate_lead():
    checked(**ANNA)
    moved = checked(**{**ANNA, "email": "anna@globex.de", "company": "Globex GmbH", "phone": "", "street": ""})
    assert moved.duplicate_candidates.count() == 0


def test_colleague_at_a_known_company_gets_a_same_account_hint_not_a_duplicate():
    first = checked(**ANNA)
    colleague = checked(**{**ANNA, "first_name": "Piet", "last_name": "Bakker", "email": "piet.bakker@acme.nl"})
    assert colleague.duplicate_candidates.count() == 0
    hint = colleague.findings.get(code="same_account")
    assert (hint.severity, hint.cleaned_value) == (Severity.INFO, f"lead:{first.pk}")


def test_held_duplicate_blocks_qualification_until_resolved(django_capture_on_commit_callbacks):
    checked(**ANNA)
    with django_capture_on_commit_callbacks(execute=True):
        second = lead_services.lead_create(actor="api:tests", source="tests", **ANNA)
    second.refresh_from_db()
    assert second.state == LeadState.VALIDATED
    reasons = lead_services.lead_available_transitions(lead=second)
    assert any("Possible duplicate" in r for name, rs in reasons if name == "qualify" for r in rs)


def test_thresholds_and_weights_come_from_the_database():
    settings_row = MatchSettings.objects.get(pk=1)
    settings_row.auto_threshold, settings_row.prior = 0.9999, -10.0
    settings_row.save()
    FieldWeight.objects.filter(field="email").update(agree=0.0)
    checked(**{**ANNA, "email": "", "phone": ""})
    second = checked(**{**ANNA, "first_name": "Ana", "email": "", "phone": ""})
    assert only_candidate(second).decision == CandidateDecision.REVIEW


def test_checks_store_blocking_keys_in_the_fingerprint():
    lead = checked(**ANNA)
    fingerprint = LeadFingerprint.objects.get(lead=lead)
    assert (fingerprint.email_key, fingerprint.phone_key, fingerprint.domain) == (
        "anna.devries@acme.nl",
        "+31201234567",
        "acme.nl",
    )
    assert (fingerprint.company_key, fingerprint.address_key) == ("acme trading", "1015CJ|12")
    assert (fingerprint.full_name, fingerprint.company_surname) == ("anna de vries", "acme trading|FRS")


def store_neighbours(count: int, start: int = 0) -> None:
    """Leads sharing Anna's address and company (so they land in her blocks and are scored) and strangers."""
    for index in range(start, start + count):
        checked(**{**ANNA, "first_name": f"Person{index}", "email": f"p{index}@acme.nl", "phone": ""})
        checked(first_name=f"Other{index}", last_name="Stranger", email=f"o{index}@y.nl", company=f"Firm {index}")


def queries_to_match(lead) -> int:
    with CaptureQueriesContext(connection) as queries:
        LeadMatcher().match(lead=lead)
    return len(queries)


def test_matching_a_lead_costs_the_same_queries_however_many_leads_are_stored():
    store_neighbours(3)
    lead = checked(**ANNA)
    queries_to_match(lead)  # the match settings are read once per process
    with_few = queries_to_match(lead)

    store_neighbours(12, start=3)

    assert queries_to_match(lead) == with_few
    assert with_few <= 20


# --- Records already in the CRM -----------------------------------------------------------------


def test_contact_already_in_the_crm_is_a_duplicate_candidate(crm):
    crm.records = [
        RemoteRecord("Contact", "003000000000001", "Anna de Vries (Acme Trading B.V.)", dict(ANNA, phone="")),
    ]
    lead = checked(**ANNA)
    candidate = only_candidate(lead)
    assert (candidate.remote_object, candidate.remote_id, candidate.decision) == ("Contact", "003000000000001", "auto")
    assert crm.queries[0].emails == ("anna.devries@acme.nl",)
    assert crm.queries[0].domains == ("acme.nl",)


def test_existing_account_is_a_hint_to_convert_onto_it_not_a_duplicate(crm):
    crm.records = [
        RemoteRecord(
            "Account", "001000000000001", "Acme Trading B.V.", {"company": "Acme Trading BV", "website": "acme.nl"}
        )
    ]
    lead = checked(**ANNA)
    assert lead.duplicate_candidates.count() == 0
    assert lead.findings.get(code="same_account").cleaned_value == "Account:001000000000001"


def test_unreachable_crm_is_a_warning_and_local_matching_still_runs(crm):
    crm.unreachable = True
    first = checked(**ANNA)
    second = checked(**ANNA)
    assert only_candidate(second).other_lead == first
    warning = second.findings.get(code="crm_unreachable")
    assert warning.severity == Severity.WARNING
    assert second.checked_at is not None


def test_free_mail_domain_is_never_sent_to_the_crm_as_a_company_domain(crm):
    checked(**{**ANNA, "email": "anna@gmail.com", "website": ""})
    assert crm.queries[0].domains == ()
