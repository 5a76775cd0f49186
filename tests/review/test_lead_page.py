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


QUALIFY_FORM = {"need": "A fleet planning tool", "budget_timing": "€20k, this quarter", "next_step": "Demo"}


def test_qualifying_from_the_lead_page_records_the_plan_and_is_audited_with_the_person(rep, rep_client):
    lead = LeadFactory(owner=rep, state=LeadState.VALIDATED)
    rep_client.post(f"/leads/{lead.pk}/transitions/qualify/", {**QUALIFY_FORM, "next_step_on": "2026-12-14"})
    lead.refresh_from_db()
    assert lead.state == LeadState.QUALIFIED
    event = lead.events.get(kind=LeadEvent.Kind.TRANSITION)
    assert (event.actor, event.reason) == (rep, "Need: A fleet planning tool · Budget/timing: €20k, this quarter")
    assert (lead.plan.next_step, str(lead.plan.next_step_on)) == ("Demo", "2026-12-14")
    assert "A fleet planning tool" in rep_client.get(f"/leads/{lead.pk}/").content.decode()


def test_qualifying_without_need_budget_and_next_step_is_refused_and_says_what_is_missing(rep, rep_client):
    lead = LeadFactory(owner=rep, state=LeadState.VALIDATED)
    response = rep_client.post(f"/leads/{lead.pk}/transitions/qualify/", {"need": "x"}, follow=True)
    lead.refresh_from_db()
    assert lead.state == LeadState.VALIDATED
    body = response.content.decode()
    assert "The lead was not qualified." in body and "Next step: This field is required." in body


def test_after_a_decision_the_next_lead_of_the_queue_opens(rep, rep_client):
    lead, following = LeadFactory(owner=rep, state=LeadState.VALIDATED), LeadFactory(owner=rep)
    response = rep_client.post(
        f"/leads/{lead.pk}/transitions/reject/", {"reason": "No budget", "next_lead": following.pk}
    )
    assert response.url == f"/leads/{following.pk}/"


def test_the_next_lead_is_never_one_the_person_may_not_see(rep, rep_client, others_lead):
    lead = LeadFactory(owner=rep, state=LeadState.VALIDATED)
    response = rep_client.post(f"/leads/{lead.pk}/transitions/qualify/", {**QUALIFY_FORM, "next_lead": others_lead.pk})
    assert response.url == f"/leads/{lead.pk}/"


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
        response = rep_client.post(
            f"/leads/{own_lead.pk}/fields/email/", {"email": "Anna@Acme.nl "}, HTTP_HX_REQUEST="true"
        )
    assert response.status_code == 200
    assert b'id="field-email"' in response.content and b"just-saved" in response.content
    own_lead.refresh_from_db()
    assert own_lead.email == "Anna@acme.nl"
    assert own_lead.events.filter(kind=LeadEvent.Kind.EDIT).exists()


def test_inline_edit_the_validators_reject_shows_the_error_in_place_and_keeps_the_old_value(rep, rep_client):
    lead = LeadFactory(owner=rep, state=LeadState.QUALIFIED, email="joost@vandijk.nl")
    response = rep_client.post(f"/leads/{lead.pk}/fields/email/", {"email": "joost@@vandijk"}, HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert "The email address is not valid" in body and 'aria-invalid="true"' in body
    assert 'value="joost@@vandijk"' in body  # what was typed stays in the field to correct it
    lead.refresh_from_db()
    assert (lead.email, lead.state) == ("joost@vandijk.nl", LeadState.QUALIFIED)
    assert not lead.events.filter(kind=LeadEvent.Kind.EDIT).exists()


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


def test_a_customers_data_stays_editable_on_its_page_and_the_edit_is_audited_as_a_customer_change(rep, rep_client):
    lead = LeadFactory(owner=rep, state=LeadState.CONVERTED, city="Utrecht")
    assert f"/leads/{lead.pk}/fields/city/?edit=1" in rep_client.get(f"/leads/{lead.pk}/").content.decode()

    rep_client.post(f"/leads/{lead.pk}/fields/city/", {"city": "Delft"}, HTTP_HX_REQUEST="true")

    lead.refresh_from_db()
    assert (lead.city, lead.state) == ("Delft", LeadState.CONVERTED)
    edit = lead.events.get(kind=LeadEvent.Kind.EDIT)
    assert edit.data == {"changed": {"city": ["Utrecht", "Delft"]}, "customer_change": "edit"}


def test_a_rejected_leads_page_offers_no_edit(rep, rep_client):
    lead = LeadFactory(owner=rep, state=LeadState.REJECTED)
    assert f"/leads/{lead.pk}/fields/city/?edit=1" not in rep_client.get(f"/leads/{lead.pk}/").content.decode()
