import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from leadflow.intake.models import ApiToken, ImportJob, ImportStatus, Submission, SubmissionStatus
from leadflow.intake.services import api_token_authenticate
from leadflow.leads.models import Lead
from tests.intake.factories import LeadFormFactory


@pytest.fixture
def admin_client(client, staff_user):
    client.force_login(staff_user)
    return client


def test_form_page_in_admin_shows_the_three_snippets_escaped_and_a_preview(admin_client, db):
    form = LeadFormFactory(name="<b>Spring</b>")
    html = admin_client.get(reverse("admin:intake_leadform_change", args=[form.pk])).content.decode()
    assert f"data-form=&quot;{form.key}&quot;" in html
    assert "&lt;iframe src=&quot;" in html
    assert "&lt;form action=&quot;" in html
    assert f"/intake/forms/{form.key}/" in html  # live preview iframe
    assert "<b>Spring</b>" not in html


def test_new_api_token_shows_its_key_once_and_stores_only_the_hash(admin_client):
    response = admin_client.post(
        reverse("admin:intake_apitoken_add"),
        {"name": "partner", "source": "partner", "can_read": "on", "is_active": "on"},
        follow=True,
    )
    message = next(str(m) for m in response.context["messages"])
    raw = message.rsplit(" ", 1)[-1]
    token = ApiToken.objects.get()
    assert api_token_authenticate(raw=raw) == token
    assert raw not in token.key_hash


def test_spam_can_be_accepted_as_a_lead_or_purged(admin_client, db):
    form = LeadFormFactory()
    spam = Submission.objects.create(
        channel="form",
        form=form,
        source="website",
        status=SubmissionStatus.SPAM,
        payload={"email": "real@example.nl", "lf_fax": "x", "budget": "5k"},
    )
    junk = Submission.objects.create(channel="form", form=form, status=SubmissionStatus.SPAM, payload={"x": "y"})
    url = reverse("admin:intake_submission_changelist")
    admin_client.post(url, {"action": "accept_as_leads", "_selected_action": [spam.pk]})
    lead = Lead.objects.get()
    assert (lead.email, lead.custom_fields) == ("real@example.nl", {"budget": "5k"})
    admin_client.post(url, {"action": "purge_selected", "_selected_action": [spam.pk, junk.pk]})
    assert list(Submission.objects.all()) == [Submission.objects.get(pk=spam.pk)]


def test_import_upload_mapping_preview_and_progress(admin_client, django_capture_on_commit_callbacks):
    upload = SimpleUploadedFile("people.csv", b"ref;naam;firma\n1;Jan de Vries;Acme\n2;Piet;Beta\n")
    response = admin_client.post(reverse("admin:intake_importjob_upload"), {"file": upload, "source": "people"})
    job = ImportJob.objects.get()
    mapping_url = reverse("admin:intake_importjob_mapping", args=[job.pk])
    assert response["Location"] == mapping_url
    page = admin_client.get(mapping_url).content.decode()
    assert "Jan" in page and "de Vries" in page
    choices = {"col-0": "external_id", "col-1": "name", "col-2": "company", "start": "1"}
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(mapping_url, choices)
    job.refresh_from_db()
    assert job.status == ImportStatus.DONE, job.error
    assert job.report["imported"] == 2
    assert Lead.objects.get(source="people", external_id="1").last_name == "de Vries"
    progress = admin_client.get(response["Location"]).content.decode()
    assert "Imported 2 of 2 rows" in progress


def test_import_pages_need_staff(client, db):
    assert client.get(reverse("admin:intake_importjob_upload")).status_code == 302


def test_a_form_field_may_not_take_a_name_the_form_posts_itself(db):
    from django.core.exceptions import ValidationError

    from leadflow.intake.models import FormField

    field = FormField(form=LeadFormFactory(), name="consent", label_en="Consent")
    with pytest.raises(ValidationError, match="used by the form itself"):
        field.full_clean()


def test_import_preview_shows_custom_columns_by_name_never_as_a_python_dict(admin_client):
    upload = SimpleUploadedFile("people.csv", b"email;Lievelingskleur\nanna@acme.nl;blauw\n")
    admin_client.post(reverse("admin:intake_importjob_upload"), {"file": upload, "source": "people"})
    job = ImportJob.objects.get()
    page = admin_client.get(reverse("admin:intake_importjob_mapping", args=[job.pk])).content.decode()
    assert "Custom field “Lievelingskleur”: blauw" in page
    assert "{&#x27;" not in page and "{'" not in page


def test_import_progress_shows_how_far_the_worker_is_with_the_imported_leads_checks(admin_client):
    from django.utils import timezone

    from tests.factories import LeadFactory

    job = ImportJob.objects.create(
        original_name="people.csv", source="people", status=ImportStatus.DONE, report={"imported": 3}
    )
    LeadFactory(source="people")
    LeadFactory.create_batch(2, source="people", checks_due_at=timezone.now())
    url = reverse("admin:intake_importjob_progress", args=[job.pk])
    page = admin_client.get(url).content.decode()
    assert "1 / 3 leads, 2 waiting" in page
    assert f'hx-get="{url}"' in page  # keeps polling until the checks are done
    Lead.objects.update(checks_due_at=None)
    page = admin_client.get(url, HTTP_HX_REQUEST="true").content.decode()
    assert "3 / 3 leads" in page and "hx-get" not in page
