import json

import pytest
from django.core.exceptions import ValidationError
from django.db import OperationalError, connection
from django.test import override_settings
from django.urls import reverse

from leadflow.intake.forms import HONEYPOT_FIELD, TIMESTAMP_FIELD
from leadflow.intake.models import Submission, SubmissionStatus
from leadflow.intake.services import form_timestamp_issue
from leadflow.leads.models import Lead, SourceKind
from tests.intake.factories import LeadFormFactory
from tests.plugins.celery_worker import REDIS_SERVER

GOOD = {"first_name": "Anna", "email": "anna@example.nl", "phone": "+31 20 123 4567", "consent": True}


@pytest.fixture
def lead_form(db):
    return LeadFormFactory()


def post_json(client, form, data, **headers):
    url = reverse("intake:form-submit", args=[form.key])
    return client.post(url, json.dumps(data), content_type="application/json", **headers)


def test_valid_json_submission_is_committed_as_a_lead_before_thanks(client, lead_form):
    response = post_json(client, lead_form, {**GOOD, "budget": "10k", "utm_campaign": "spring"})
    assert response.status_code == 200
    assert response.json()["message"] == lead_form.thank_you_en
    lead = Lead.objects.get()
    assert (lead.email, lead.source, lead.source_kind) == ("anna@example.nl", "website", SourceKind.FORM)
    assert lead.custom_fields == {"budget": "10k"}
    assert lead.utm_campaign == "spring"
    assert lead.consent_given and lead.consent_text == "I agree to be contacted."
    assert lead.submission["budget"] == "10k"
    assert Submission.objects.get().lead == lead


def test_bad_email_and_phone_come_back_as_field_errors_in_dutch(client, lead_form):
    response = post_json(client, lead_form, {"email": "not-an-email", "phone": "12", "language": "nl"})
    assert response.status_code == 400
    fields = response.json()["error"]["fields"]
    assert fields["email"] == ["Voer een geldig e-mailadres in."]
    assert "telefoonnummer" in fields["phone"][0]
    assert "Vink" in fields["consent"][0]
    assert not Lead.objects.exists()
    assert Submission.objects.get().status == SubmissionStatus.INVALID


def test_german_visitor_gets_german_required_message(client, lead_form):
    response = post_json(client, lead_form, {"consent": True}, HTTP_ACCEPT_LANGUAGE="de-DE,de;q=0.9")
    assert response.json()["error"]["fields"]["email"] == ["Dieses Feld ist zwingend erforderlich."]


def test_filled_honeypot_is_thanked_but_kept_as_spam_not_a_lead(client, lead_form):
    response = post_json(client, lead_form, {**GOOD, HONEYPOT_FIELD: "http://spam"})
    assert response.status_code == 200
    assert not Lead.objects.exists()
    spam = Submission.objects.get()
    assert spam.status == SubmissionStatus.SPAM
    assert spam.payload["email"] == "anna@example.nl"


def test_submission_faster_than_minimum_fill_time_is_held_as_spam(client, db):
    form = LeadFormFactory(min_fill_seconds=30)
    post_json(client, form, {**GOOD, TIMESTAMP_FIELD: form_timestamp_issue(form=form)})
    assert Submission.objects.get().spam_reason.startswith("Sent less than 30 s")
    assert not Lead.objects.exists()


def test_tampered_timestamp_is_held_as_spam(client, lead_form):
    post_json(client, lead_form, {**GOOD, TIMESTAMP_FIELD: "x:1:forged"})
    assert Submission.objects.get().status == SubmissionStatus.SPAM


@override_settings(LEADFLOW_FORM_RATE_LIMIT_PER_IP="2/m")
def test_rate_limit_per_ip_answers_429_with_retry_after_and_loses_no_accepted_lead(client, lead_form):
    statuses = [post_json(client, lead_form, {**GOOD, "email": f"p{i}@example.nl"}).status_code for i in range(3)]
    assert statuses == [200, 200, 429]
    assert Lead.objects.count() == 2
    response = post_json(client, lead_form, GOOD)
    assert response["Retry-After"] == "60"
    assert response.json()["error"]["code"] == "too_many"


@override_settings(LEADFLOW_INTAKE_MAX_BODY_BYTES=200)
def test_oversized_body_gets_413_and_nothing_is_stored(client, lead_form):
    response = post_json(client, lead_form, {**GOOD, "message": "x" * 500})
    assert response.status_code == 413
    assert not Submission.objects.exists()


def test_database_down_answers_503_try_again_never_thanks(client, lead_form):
    def refuse_writes(execute, sql, params, many, context):
        if sql.lstrip().upper().startswith("INSERT"):
            raise OperationalError("database is down")
        return execute(sql, params, many, context)

    with connection.execute_wrapper(refuse_writes):
        response = post_json(client, lead_form, GOOD)
    assert response.status_code == 503
    assert response["Retry-After"]
    assert response.json()["error"]["code"] == "try_again"
    assert not Lead.objects.exists()


def test_plain_html_post_redirects_to_thanks_with_a_way_back(client, lead_form):
    url = reverse("intake:form-submit", args=[lead_form.key])
    data = {"email": "b@example.nl", "consent": "on", "lf_return": "http://partner.example/contact"}
    response = client.post(url, data)
    assert response.status_code == 302
    thanks = client.get(response["Location"])
    assert b"http://partner.example/contact" in thanks.content
    assert Lead.objects.get().email == "b@example.nl"


def test_plain_html_post_with_errors_shows_hosted_page_keeping_values(client, lead_form):
    url = reverse("intake:form-submit", args=[lead_form.key])
    response = client.post(url, {"email": "wrong", "first_name": "<script>alert(1)</script>"})
    assert response.status_code == 400
    html = response.content.decode()
    assert 'value="wrong"' in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<script>alert(1)" not in html


def test_hosted_page_may_be_framed_only_by_allowed_origins(client, lead_form):
    response = client.get(reverse("intake:form-page", args=[lead_form.key]))
    policy = dict(d.strip().split(" ", 1) for d in response["Content-Security-Policy"].split(";"))
    assert policy["frame-ancestors"] == "'self' http://partner.example"
    assert policy["script-src"] == "'self'"
    assert "X-Frame-Options" not in response


@pytest.mark.parametrize(
    "origins",
    [
        "https://partner.example; script-src *",
        "https://partner.example *",
        "javascript:alert(1)",
        "https://a.example/path",
    ],
)
def test_an_allowed_origin_that_is_not_an_origin_is_refused_and_never_reaches_the_headers(client, lead_form, origins):
    lead_form.allowed_origins = f"https://ok.example\n{origins}"
    with pytest.raises(ValidationError):
        lead_form.full_clean()
    lead_form.save()  # as a row saved before the check would be
    response = client.get(reverse("intake:form-page", args=[lead_form.key]))
    policy = dict(d.strip().split(" ", 1) for d in response["Content-Security-Policy"].split(";"))
    assert policy["frame-ancestors"] == "'self' https://ok.example"
    assert policy["script-src"] == "'self'"


def test_cors_allows_only_the_forms_own_origins(client, lead_form):
    url = reverse("intake:form-definition", args=[lead_form.key])
    allowed = client.get(url, HTTP_ORIGIN="http://partner.example")
    refused = client.get(url, HTTP_ORIGIN="http://evil.example")
    assert allowed["Access-Control-Allow-Origin"] == "http://partner.example"
    assert "Access-Control-Allow-Origin" not in refused


def test_definition_is_in_the_visitors_language_with_a_fresh_timestamp(client, lead_form):
    body = client.get(reverse("intake:form-definition", args=[lead_form.key]) + "?lang=nl").json()
    assert [f["label"] for f in body["fields"]][:2] == ["Voornaam", "E-mail"]
    assert body["consent"] == "Ik ga akkoord met contact."
    assert body["timestamp"]["value"].startswith(lead_form.key)


def test_unknown_or_inactive_form_is_404(client, db):
    form = LeadFormFactory(is_active=False)
    assert post_json(client, form, GOOD).status_code == 404


REDIS_CACHE = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": f"{REDIS_SERVER}/5"}}


@pytest.mark.redis
@override_settings(CACHES=REDIS_CACHE, LEADFLOW_FORM_RATE_LIMIT_PER_FORM="2/m")
def test_rate_limit_per_form_counts_in_redis_shared_by_all_workers(client, lead_form):
    from django.core.cache import cache

    cache.clear()
    statuses = [post_json(client, lead_form, {**GOOD, "email": f"r{i}@example.nl"}).status_code for i in range(3)]
    assert statuses == [200, 200, 429]
    assert Lead.objects.count() == 2
    cache.clear()


def test_csrf_is_checked_when_the_browser_carries_a_leadflow_session(db, lead_form):
    from django.test import Client

    url = reverse("intake:form-submit", args=[lead_form.key])
    browser = Client(enforce_csrf_checks=True)
    assert browser.post(url, {"email": "x@example.nl", "consent": "on"}).status_code == 302
    browser.cookies["sessionid"] = "some-session"
    assert browser.post(url, {"email": "y@example.nl", "consent": "on"}).status_code == 403
    assert list(Lead.objects.values_list("email", flat=True)) == ["x@example.nl"]
