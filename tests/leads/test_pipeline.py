import pytest

from leadflow.leads import services
from leadflow.leads.models import Lead, LeadState
from leadflow.quality.models import CandidateStatus
from tests.factories import LeadFactory

pytestmark = pytest.mark.django_db


def create(**fields):
    defaults = {"first_name": "Anna", "last_name": "de Vries", "company": "Acme B.V.", "country": "NL"}
    return services.lead_create(actor="api:tests", source="tests", **{**defaults, **fields})


def test_new_lead_is_validated_and_assessed_in_the_background_and_waits_for_a_person(
    django_capture_on_commit_callbacks,
):
    with django_capture_on_commit_callbacks(execute=True):
        lead = create(email="Anna@Acme.NL", phone="020 123 4567")
    lead.refresh_from_db()
    assert lead.state == LeadState.VALIDATED
    assert lead.assessment.get_verdict_display() == "Fits"
    assert (lead.email, lead.phone) == ("Anna@acme.nl", "+31201234567")
    assert lead.submission["phone"] == "020 123 4567"
    assert lead.checks_due_at is None
    assert [e.actor_label for e in lead.events.filter(kind="transition")] == ["system"]  # validated; a person qualifies


def test_lead_with_errors_stays_new_with_its_findings(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        lead = create(email="anna@", phone="12")
    lead.refresh_from_db()
    assert lead.state == LeadState.NEW
    assert set(lead.findings.filter(severity="error").values_list("field", flat=True)) == {"email", "phone"}


def test_same_email_as_an_earlier_lead_is_held_as_a_duplicate(django_capture_on_commit_callbacks):
    first = LeadFactory(email="anna@acme.nl")
    with django_capture_on_commit_callbacks(execute=True):
        second = create(email="ANNA@acme.nl")
    second.refresh_from_db()
    assert second.state == LeadState.VALIDATED
    candidate = second.duplicate_candidates.get()
    assert (candidate.other_lead, candidate.score, candidate.status) == (first, 1.0, CandidateStatus.OPEN)


def test_editing_a_validated_lead_into_an_invalid_one_sends_it_back_to_new(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        lead = create(email="anna@acme.nl")
    with django_capture_on_commit_callbacks(execute=True):
        services.lead_update(lead=lead, changes={"email": "anna@@acme"}, actor=None)
    lead.refresh_from_db()
    assert lead.state == LeadState.NEW
    assert lead.events.filter(transition="invalidate").exists()


def test_sweeper_requeues_leads_whose_message_was_lost():
    lead = LeadFactory()
    Lead.objects.filter(pk=lead.pk).update(checks_due_at="2020-01-01T00:00:00Z")
    from leadflow.leads.tasks import sweep_stuck_leads

    assert sweep_stuck_leads() == 1
    lead.refresh_from_db()
    assert lead.checks_due_at is None
    assert lead.state == LeadState.VALIDATED
