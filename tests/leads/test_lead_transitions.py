import pytest

from leadflow.core.exceptions import ApplicationError, TransitionBlocked, TransitionNotAllowed
from leadflow.leads import services
from leadflow.leads.gates import Gate
from leadflow.leads.models import LeadEvent, LeadState
from leadflow.quality.services import lead_run_checks
from tests.factories import LeadFactory, UserFactory

pytestmark = pytest.mark.django_db


def checked(**fields):
    """A lead whose checks have run, as the background pipeline leaves it."""
    lead = LeadFactory(**fields)
    lead_run_checks(lead=lead)
    lead.refresh_from_db()
    return lead


def test_state_cannot_be_assigned_directly():
    lead = LeadFactory()
    with pytest.raises(AttributeError):
        lead.state = LeadState.CONVERTED


def test_converting_a_new_lead_is_refused_and_changes_nothing():
    lead = LeadFactory()
    with pytest.raises(TransitionNotAllowed, match=r"Cannot convert lead \d+: it is new"):
        services.lead_transition(lead=lead, name="convert", actor=None)
    lead.refresh_from_db()
    assert lead.state == LeadState.NEW
    assert not LeadEvent.objects.filter(lead=lead, kind=LeadEvent.Kind.TRANSITION).exists()


def test_lead_whose_checks_have_not_run_cannot_be_validated():
    lead = LeadFactory()
    with pytest.raises(TransitionBlocked) as blocked:
        services.lead_validate(lead=lead, actor=None)
    assert blocked.value.reasons == ["The checks have not run yet."]


def test_lead_with_invalid_email_cannot_be_validated():
    lead = checked(email="not-an-email")
    with pytest.raises(TransitionBlocked) as blocked:
        services.lead_validate(lead=lead, actor=None)
    assert any("email address is not valid" in reason for reason in blocked.value.reasons)
    lead.refresh_from_db()
    assert lead.state == LeadState.NEW


def test_validation_is_audited_with_who_and_why():
    rep = UserFactory(username="rep")
    lead = checked()
    services.lead_validate(lead=lead, actor=rep, reason="Looked fine on the phone.")
    event = lead.events.get(kind=LeadEvent.Kind.TRANSITION)
    assert (event.from_state, event.to_state, event.actor, event.actor_label, event.reason) == (
        "new",
        "validated",
        rep,
        "rep",
        "Looked fine on the phone.",
    )


def test_rejection_needs_a_reason_and_can_be_reopened():
    lead = checked()
    with pytest.raises(ApplicationError, match="Say why"):
        services.lead_reject(lead=lead, actor=None, reason="  ")
    lead = services.lead_reject(lead=lead, actor=None, reason="Student project, not a company.")
    assert (lead.state, lead.rejection_reason) == (LeadState.REJECTED, "Student project, not a company.")
    lead = services.lead_reopen(lead=lead, actor=None)
    assert (lead.state, lead.rejection_reason) == (LeadState.NEW, "")
    assert lead.checks_due_at is not None


def test_lead_without_company_cannot_be_qualified():
    lead = checked(company="")
    services.lead_validate(lead=lead, actor=None)
    with pytest.raises(TransitionBlocked) as blocked:
        services.lead_qualify(lead=lead, actor=None)
    assert blocked.value.reasons == ["The company name is missing."]


def test_available_transitions_list_gate_reasons_and_never_offer_convert():
    lead = checked(email="broken@")
    offered = dict(services.lead_available_transitions(lead=lead))
    assert set(offered) == {"validate", "reject"}
    assert offered["validate"] and offered["reject"] == []


class CountingGate(Gate):
    name = "counting"
    asked = 0

    def reasons(self, *, lead):
        type(self).asked += 1
        return []


def test_gates_are_asked_once_per_transition(settings):
    settings.LEADFLOW_GATES = {**settings.LEADFLOW_GATES, "qualify": [f"{__name__}.CountingGate"]}
    CountingGate.asked = 0

    lead = services.lead_qualify(lead=LeadFactory(state=LeadState.VALIDATED), actor=None)

    assert lead.state == LeadState.QUALIFIED
    assert CountingGate.asked == 1
