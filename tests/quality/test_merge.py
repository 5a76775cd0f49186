import pytest

from leadflow.core.exceptions import ApplicationError
from leadflow.leads.models import Lead, LeadEvent, LeadState
from leadflow.quality.models import CandidateStatus, NotDuplicatePair
from leadflow.quality.services import (
    candidate_confirm_existing_customer,
    candidate_dismiss,
    lead_merge,
    lead_run_checks,
)
from tests.quality.test_matching import ANNA, checked

pytestmark = pytest.mark.django_db


@pytest.fixture
def pair():
    survivor = checked(**{**ANNA, "phone": "", "city": "Amsterdam"})
    loser = checked(
        **{**ANNA, "email": "ANNA.DEVRIES@acme.nl", "phone": "+31 20 765 4321", "city": "Adam", "job_title": "Buyer"},
        custom_fields={"date_of_birth": "1980-01-02"},
    )
    return survivor, loser


def test_merge_keeps_every_non_empty_value(pair, user):
    survivor, loser = pair
    merged = lead_merge(survivor=survivor, loser=loser, field_choices={"city": "loser"}, actor=user)
    # Empty survivor fields take the loser's value; the chosen field takes the loser's value.
    assert (merged.phone, merged.job_title, merged.city) == ("+31207654321", "Buyer", "Adam")
    # What lost out is set aside, with where it came from.
    aside = merged.custom_fields["merged_values"][str(loser.pk)]
    assert aside["city"] == {"from_lead": survivor.pk, "value": "Amsterdam"}
    assert aside["email"] == {"from_lead": loser.pk, "value": "ANNA.DEVRIES@acme.nl"}
    assert merged.custom_fields["date_of_birth"] == "1980-01-02"


def test_loser_becomes_duplicate_of_the_survivor_and_keeps_its_history(pair, user):
    survivor, loser = pair
    lead_merge(survivor=survivor, loser=loser, field_choices={}, actor=user)
    loser.refresh_from_db()
    assert (loser.state, loser.duplicate_of) == (LeadState.DUPLICATE, survivor)
    assert loser.submission["phone"] == "+31 20 765 4321"
    assert loser.events.filter(kind=LeadEvent.Kind.CREATED).exists()
    for lead in (survivor, loser):
        event = lead.events.get(kind=LeadEvent.Kind.MERGE)
        assert (event.data["survivor"], event.data["loser"], event.actor) == (survivor.pk, loser.pk, user)
    assert loser.duplicate_candidates.get().status == CandidateStatus.MERGED


def test_merge_refuses_unknown_fields_bad_choices_and_closed_leads(pair, user):
    survivor, loser = pair
    with pytest.raises(ApplicationError, match="owner"):
        lead_merge(survivor=survivor, loser=loser, field_choices={"owner": "loser"}, actor=user)
    with pytest.raises(ApplicationError, match="survivor' or 'loser"):
        lead_merge(survivor=survivor, loser=loser, field_choices={"city": "both"}, actor=user)
    with pytest.raises(ApplicationError, match="itself"):
        lead_merge(survivor=survivor, loser=survivor, field_choices={}, actor=user)
    lead_merge(survivor=survivor, loser=loser, field_choices={}, actor=user)
    with pytest.raises(ApplicationError, match="cannot be merged away"):
        lead_merge(survivor=survivor, loser=loser, field_choices={}, actor=user)


def test_not_a_duplicate_is_remembered_and_never_asked_again(pair, user):
    survivor, loser = pair
    candidate = loser.duplicate_candidates.get()
    candidate_dismiss(candidate=candidate, actor=user, reason="Twins.")
    assert NotDuplicatePair.objects.filter(lead_low=survivor, lead_high=loser, decided_by=user).exists()
    lead_run_checks(lead=loser)
    assert not loser.duplicate_candidates.filter(status=CandidateStatus.OPEN).exists()
    assert loser.duplicate_candidates.get().status == CandidateStatus.NOT_DUPLICATE
    with pytest.raises(ApplicationError, match="already been resolved"):
        candidate_dismiss(candidate=candidate, actor=user)


def test_dismissing_the_last_candidate_lets_the_lead_be_validated(pair, user, django_capture_on_commit_callbacks):
    _, loser = pair
    assert loser.state == LeadState.NEW
    with django_capture_on_commit_callbacks(execute=True):
        candidate_dismiss(candidate=loser.duplicate_candidates.get(), actor="review:anna")
    loser.refresh_from_db()
    assert loser.state == LeadState.VALIDATED


def test_new_enquiry_is_never_merged_into_a_converted_lead(pair, user):
    customer, enquiry = pair
    Lead.objects.filter(pk=customer.pk).update(state=LeadState.CONVERTED)
    customer.refresh_from_db()

    with pytest.raises(ApplicationError) as refused:
        lead_merge(survivor=customer, loser=enquiry, field_choices={}, actor=user)

    enquiry.refresh_from_db()
    assert "new enquiry from an existing customer" in refused.value.message
    assert enquiry.is_open and enquiry.message == pair[1].message


def test_enquiry_from_an_existing_customer_goes_on_on_its_own(pair, user):
    customer, enquiry = pair
    Lead.objects.filter(pk=customer.pk).update(state=LeadState.CONVERTED)
    customer.refresh_from_db()
    candidate = enquiry.duplicate_candidates.get(other_lead=customer)

    resolved = candidate_confirm_existing_customer(candidate=candidate, actor=user)

    assert resolved.status == CandidateStatus.EXISTING_CUSTOMER
    assert not enquiry.duplicate_candidates.filter(status=CandidateStatus.OPEN).exists()
    assert NotDuplicatePair.objects.filter(lead_low=customer, lead_high=enquiry).exists()


def test_a_lead_that_is_not_in_salesforce_is_no_existing_customer(pair, user):
    _other, lead = pair
    candidate = lead.duplicate_candidates.first()

    with pytest.raises(ApplicationError):
        candidate_confirm_existing_customer(candidate=candidate, actor=user)
