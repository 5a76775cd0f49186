import pytest

from leadflow.crm.models import Conversion, ConversionStatus
from leadflow.leads.models import Lead, LeadEvent, LeadState
from leadflow.quality.models import CandidateStatus, DuplicateCandidate
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


# Conversion: the deal dialog, the live state, existing customers


def test_convert_dialog_queues_the_conversion_with_the_deal(
    rep_client, own_lead, salesforce, django_capture_on_commit_callbacks
):
    Lead.objects.filter(pk=own_lead.pk).update(state=LeadState.QUALIFIED)
    own_lead.refresh_from_db()
    page = rep_client.get(f"/leads/{own_lead.pk}/").content.decode()
    assert "Convert to Salesforce…" in page and '<option value="Closed Won">' in page

    with django_capture_on_commit_callbacks(execute=True):
        response = rep_client.post(
            f"/leads/{own_lead.pk}/transitions/convert/",
            {
                "opportunity": "create",
                "name": "Big deal",
                "amount": "5000",
                "close_date": "2027-01-31",
                "stage": "Qualification",
            },
        )

    assert response.status_code == 302
    conversion = Conversion.objects.get(lead=own_lead)
    assert (conversion.opportunity_name, conversion.opportunity_stage, conversion.status) == (
        "Big deal",
        "Qualification",
        ConversionStatus.DONE,
    )


def test_convert_dialog_without_a_name_for_the_opportunity_is_refused(rep_client, own_lead, salesforce):
    Lead.objects.filter(pk=own_lead.pk).update(state=LeadState.QUALIFIED)
    own_lead.refresh_from_db()

    response = rep_client.post(
        f"/leads/{own_lead.pk}/transitions/convert/",
        {"opportunity": "create", "name": "", "stage": "Prospecting"},
        follow=True,
    )

    assert "An Opportunity needs a name." in response.content.decode()
    assert not Conversion.objects.exists()


def test_pending_conversion_is_polled_and_a_finished_one_reloads_the_page(rep_client, own_lead):
    conversion = Conversion.objects.create(lead=own_lead, status=ConversionStatus.IN_PROGRESS)

    page = rep_client.get(f"/leads/{own_lead.pk}/").content.decode()
    polling = rep_client.get(f"/leads/{own_lead.pk}/conversion/", HTTP_HX_REQUEST="true")
    conversion.status = ConversionStatus.DONE
    conversion.save()
    finished = rep_client.get(f"/leads/{own_lead.pk}/conversion/", HTTP_HX_REQUEST="true")

    assert "Converting to Salesforce…" in page and "Reject…" not in page
    assert 'hx-trigger="every 2s"' in polling.content.decode() and "HX-Refresh" not in polling
    assert finished["HX-Refresh"] == "true"


def test_conversion_state_of_another_reps_lead_is_not_shown(rep_client, others_lead):
    assert rep_client.get(f"/leads/{others_lead.pk}/conversion/").status_code == 404


def test_enquiry_from_a_converted_customer_is_shown_as_an_existing_customer_with_links(rep_client, rep):
    customer = LeadFactory(state=LeadState.CONVERTED, email="piet@delta.nl")
    Conversion.objects.create(
        lead=customer, status=ConversionStatus.DONE, account_id="001000000000001AAA", account_action="created"
    )
    enquiry = LeadFactory(owner=rep, email="piet@delta.nl")
    candidate = DuplicateCandidate.objects.create(
        lead=enquiry, other_lead=customer, matcher="exact", score=1, decision="auto"
    )

    page = rep_client.get(f"/leads/{enquiry.pk}/").content.decode()
    response = rep_client.post(f"/leads/{enquiry.pk}/candidates/{candidate.pk}/existing-customer/")

    assert "Existing customer" in page and "/lightning/r/Account/001000000000001AAA/view" in page
    assert "New enquiry from this customer" in page and "Merge with chosen values" not in page
    assert response.status_code == 302
    candidate.refresh_from_db()
    assert candidate.status == CandidateStatus.EXISTING_CUSTOMER
