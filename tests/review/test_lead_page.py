import pytest

from leadflow.leads.models import LeadEvent, LeadState
from leadflow.quality.models import DuplicateCandidate
from leadflow.review.models import Note
from tests.factories import LeadFactory

pytestmark = pytest.mark.django_db


def test_lead_page_shows_cleaned_values_beside_the_submission(rep_client, own_lead):
    own_lead.submission = {"phone": "020 123 4567"}
    own_lead.phone = "+31201234567"
    own_lead.save()
    body = rep_client.get(f"/leads/{own_lead.pk}/").content.decode()
    assert "+31201234567" in body
    assert "020 123 4567" in body


def test_blocked_transition_shows_its_gate_reasons(rep_client, rep):
    lead = LeadFactory(owner=rep, state=LeadState.VALIDATED, company="")
    body = rep_client.get(f"/leads/{lead.pk}/").content.decode()
    assert "Qualify is blocked" in body
    assert "The company name is missing." in body


def test_only_transitions_allowed_from_the_state_are_offered(rep_client, rep):
    lead = LeadFactory(owner=rep, state=LeadState.REJECTED)
    transitions = [name for name, _ in rep_client.get(f"/leads/{lead.pk}/").context["transitions"]]
    assert transitions == ["reopen"]


def test_qualifying_from_the_lead_page_is_audited_with_the_person(rep, rep_client):
    lead = LeadFactory(owner=rep, state=LeadState.VALIDATED)
    rep_client.post(f"/leads/{lead.pk}/transitions/qualify/")
    lead.refresh_from_db()
    assert lead.state == LeadState.QUALIFIED
    assert lead.events.get(kind=LeadEvent.Kind.TRANSITION).actor == rep


def test_reject_without_a_reason_is_refused_with_a_message(rep_client, own_lead):
    response = rep_client.post(f"/leads/{own_lead.pk}/transitions/reject/", {"reason": "  "}, follow=True)
    own_lead.refresh_from_db()
    assert own_lead.state == LeadState.NEW
    assert "Say why the lead is rejected." in response.content.decode()


def test_unknown_transition_is_404(rep_client, own_lead):
    assert rep_client.post(f"/leads/{own_lead.pk}/transitions/mark_duplicate/").status_code == 404


def test_inline_edit_goes_through_lead_update_and_reruns_the_checks(
    rep_client, own_lead, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = rep_client.post(f"/leads/{own_lead.pk}/fields/email/", {"email": "anna@"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert b'id="field-email"' in response.content
    own_lead.refresh_from_db()
    assert own_lead.email == "anna@"
    assert own_lead.events.filter(kind=LeadEvent.Kind.EDIT).exists()
    assert own_lead.findings.filter(field="email", severity="error").exists()


def test_invalid_inline_edit_returns_the_form_with_the_error(rep_client, own_lead):
    response = rep_client.post(f"/leads/{own_lead.pk}/fields/company_size/", {"company_size": "lots"})
    assert b"Enter a whole number." in response.content
    assert b'aria-invalid="true"' in response.content


def test_editing_a_field_that_is_not_editable_is_404(rep_client, own_lead):
    assert rep_client.post(f"/leads/{own_lead.pk}/fields/state/", {"state": "converted"}).status_code == 404


def test_adding_a_note_records_it_in_the_timeline(rep, rep_client, own_lead):
    response = rep_client.post(f"/leads/{own_lead.pk}/notes/", {"body": "Called, no answer."}, HTTP_HX_REQUEST="true")
    assert b"Called, no answer." in response.content
    note = Note.objects.get()
    assert (note.author, note.lead) == (rep, own_lead)
    assert own_lead.events.get(kind=LeadEvent.Kind.NOTE).data == {"note_id": note.pk}


def test_empty_note_is_refused(rep_client, own_lead):
    response = rep_client.post(f"/leads/{own_lead.pk}/notes/", {"body": "   "}, HTTP_HX_REQUEST="true")
    assert b"This field is required." in response.content
    assert not Note.objects.exists()


def test_duplicate_candidate_is_shown_side_by_side_with_differences_marked(manager_client):
    first = LeadFactory(email="anna@acme.nl", city="Amsterdam")
    second = LeadFactory(email="anna@acme.nl", city="Rotterdam")
    DuplicateCandidate.objects.create(lead=second, other_lead=first, matcher="exact", score=1, decision="auto")
    response = manager_client.get(f"/leads/{second.pk}/")
    comparison = response.context["comparisons"][0]
    differing = {row[0] for row in comparison.differing}
    assert "city" in differing and "email" not in differing
    assert 'class="differs"' in response.content.decode()


def test_stored_markup_is_rendered_escaped(manager_client):
    lead = LeadFactory(first_name="<script>alert(1)</script>", company="<b>Bold</b>")
    body = manager_client.get(f"/leads/{lead.pk}/").content.decode()
    assert "<script>alert(1)</script>" not in body
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body
    assert "<b>Bold</b>" not in manager_client.get("/").content.decode()
