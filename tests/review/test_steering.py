"""Managers steer inside the workspace: assignment rules, response targets, conversion criteria, website forms and
sync targets. Reps are refused every one of these pages; bad input comes back with the error beside the field."""

import pytest
from django.core.cache import cache

from leadflow.intake.builder import FormFieldFormSet, LeadFormSettingsForm
from leadflow.intake.models import FormField, LeadForm
from leadflow.intake.selectors import form_cache_key, form_get_active
from leadflow.qualification.forms import CriteriaThresholdsForm, RuleFormSet
from leadflow.qualification.models import SETTINGS_PK, CriteriaChange, QualificationRule, QualificationSettings
from leadflow.review.models import AssignmentRule, ResponseTarget
from leadflow.sync.models import SyncJob, SyncTarget
from tests.factories import LeadFactory
from tests.intake.factories import LeadFormFactory
from tests.review.factories import AssignmentRuleFactory, ResponseTargetFactory, TeamFactory
from tests.sync.factories import WebhookTargetFactory, converted_lead

pytestmark = pytest.mark.django_db


def form_data(form) -> dict:
    """What a browser would post for the form as rendered (its current values under their prefixed names)."""
    data = {}
    for field in form:
        value = field.value()
        if field.widget_type == "checkbox":
            if value:
                data[field.html_name] = "on"
        elif value is not None:
            data[field.html_name] = value
    return data


def formset_data(formset) -> dict:
    data = {f"{formset.prefix}-{k}": v for k, v in formset.management_form.initial.items()}
    for form in formset:
        data |= form_data(form)
    return data


def criteria_page_data(**thresholds) -> dict:
    settings_row = QualificationSettings.objects.get_or_create(pk=SETTINGS_PK)[0]
    return form_data(CriteriaThresholdsForm(instance=settings_row, initial=thresholds)) | formset_data(
        RuleFormSet(instance=settings_row)
    )


def error_text(response) -> str:
    return response.content.decode()


# --- Who may steer ---------------------------------------------------------------------------------


@pytest.fixture
def steering_urls(db):
    rule, target = AssignmentRuleFactory(team=TeamFactory()), ResponseTargetFactory()
    sync_target, lead_form = WebhookTargetFactory(), LeadFormFactory()
    return [
        "/manage/",
        "/manage/assignment-rules/",
        f"/manage/assignment-rules/{rule.pk}/",
        "/manage/response-targets/",
        f"/manage/response-targets/{target.pk}/",
        "/manage/criteria/",
        "/manage/forms/",
        "/manage/forms/new/",
        f"/manage/forms/{lead_form.pk}/",
        "/manage/sync/",
        "/manage/sync/new/webhook/",
        f"/manage/sync/{sync_target.pk}/",
    ]


def test_reps_are_refused_every_steering_page(rep_client, steering_urls):
    for url in steering_urls:
        response = rep_client.get(url)
        assert response.status_code == 403, url
        assert "This page is for sales managers" in response.content.decode()


def test_reps_cannot_change_anything_by_posting(rep_client, steering_urls):
    rule, sync_target = AssignmentRule.objects.get(), SyncTarget.objects.get()
    assert rep_client.post("/manage/response-targets/", {"source": "x", "first_response_hours": 2}).status_code == 403
    assert rep_client.post(f"/manage/assignment-rules/{rule.pk}/delete/").status_code == 403
    assert rep_client.post(f"/manage/sync/{sync_target.pk}/pause/").status_code == 403
    assert rep_client.post("/manage/criteria/", criteria_page_data(qualify_at=90)).status_code == 403
    assert ResponseTarget.objects.count() == 1 and AssignmentRule.objects.exists()
    assert SyncTarget.objects.get().enabled and not CriteriaChange.objects.exists()


def test_managers_open_every_steering_page_from_the_navigation(manager_client, steering_urls):
    assert 'href="/manage/"' in manager_client.get("/").content.decode()
    for url in steering_urls:
        assert manager_client.get(url).status_code == 200, url


def test_an_unknown_settings_page_is_a_friendly_404(manager_client):
    assert manager_client.get("/manage/nothing-here/").status_code == 404
    assert manager_client.get("/manage/sync/new/carrier-pigeon/").status_code == 404
    target = WebhookTargetFactory()
    response = manager_client.post(f"/manage/sync/{target.pk}/explode/")
    assert response.status_code == 404 and "URLconf" not in response.content.decode()
    assert SyncTarget.objects.get().enabled


# --- Assignment rules and response targets ----------------------------------------------------------


def test_manager_adds_an_assignment_rule_for_a_team(manager_client):
    team = TeamFactory(name="Benelux")
    data = {"name": "Dutch enterprise", "priority": 5, "active": "on", "country": "nl", "language": "nl"}
    response = manager_client.post(
        "/manage/assignment-rules/", data | {"min_company_size": 250, "team": team.pk}, follow=True
    )
    rule = AssignmentRule.objects.get()
    assert (rule.country, rule.language, rule.min_company_size, rule.team) == ("NL", "nl", 250, team)
    assert "Dutch enterprise" in response.content.decode()


def test_a_rule_needs_a_person_or_a_team_and_an_ordered_size_range(manager_client, rep):
    response = manager_client.post(
        "/manage/assignment-rules/",
        {"name": "Half done", "priority": 1, "min_company_size": 50, "max_company_size": 10},
    )
    assert response.status_code == 200
    assert "Choose either a person or a team to receive the leads." in error_text(response)
    both = manager_client.post(
        "/manage/assignment-rules/", {"name": "Both", "priority": 1, "owner": rep.pk, "team": TeamFactory().pk}
    )
    assert "Choose either a person or a team" in error_text(both)
    assert not AssignmentRule.objects.exists()


def test_a_rule_owner_must_be_in_a_sales_role(manager_client):
    from tests.factories import UserFactory

    stranger = UserFactory(username="stranger")
    response = manager_client.post("/manage/assignment-rules/", {"name": "X", "priority": 1, "owner": stranger.pk})
    assert "Select a valid choice" in error_text(response) and not AssignmentRule.objects.exists()


def test_manager_edits_and_deletes_a_rule(manager_client, rep):
    rule = AssignmentRuleFactory(owner=rep, priority=50)
    manager_client.post(f"/manage/assignment-rules/{rule.pk}/", {"name": "Renamed", "priority": 7, "owner": rep.pk})
    rule.refresh_from_db()
    assert (rule.name, rule.priority, rule.active) == ("Renamed", 7, False)
    manager_client.post(f"/manage/assignment-rules/{rule.pk}/delete/")
    assert not AssignmentRule.objects.exists()


def test_manager_sets_a_response_target_and_the_sla_uses_it(manager_client):
    manager_client.post("/manage/response-targets/", {"source": "webinar-nl", "first_response_hours": 48})
    assert ResponseTarget.objects.get().first_response_hours == 48
    assert "webinar-nl 48 h" in manager_client.get("/sla/").content.decode()


def test_a_response_target_refuses_a_second_target_for_a_source_and_silly_hours(manager_client):
    ResponseTargetFactory(source="website")
    twice = manager_client.post("/manage/response-targets/", {"source": "website", "first_response_hours": 3})
    assert "Response target with this Source already exists." in error_text(twice)
    zero = manager_client.post("/manage/response-targets/", {"source": "fair", "first_response_hours": 0})
    assert "Give a number of hours from 1 to 2160" in error_text(zero)
    assert ResponseTarget.objects.count() == 1


# --- Conversion criteria ---------------------------------------------------------------------------


def test_the_criteria_page_offers_field_and_operator_pickers(manager_client):
    body = manager_client.get("/manage/criteria/").content.decode()
    assert '<select name="rules-0-field"' in body and '<option value="email_is_free_mail"' in body
    assert '<select name="rules-0-operator"' in body and '<option value="in">is one of</option>' in body


def test_manager_changes_a_rule_and_the_change_is_recorded(manager, manager_client):
    QualificationRule.objects.all().delete()
    rule = QualificationRule.objects.create(field="country", operator="equals", value="NL", weight=10)
    data = criteria_page_data() | {"rules-0-value": "BE", "change_reason": "Belgium first"}
    response = manager_client.post("/manage/criteria/", data, follow=True)
    rule.refresh_from_db()
    assert rule.value == "BE"
    change = CriteriaChange.objects.get()
    assert (change.changed_by, change.reason) == (manager, "Belgium first")
    assert "are being re-classified" in response.content.decode()


def test_a_custom_field_rule_needs_its_key_and_a_bad_pattern_is_refused_in_place(manager_client):
    QualificationRule.objects.all().delete()
    data = criteria_page_data()
    new = {"rules-0-field": "custom", "rules-0-operator": "equals", "rules-0-value": "x", "rules-0-weight": 5}
    response = manager_client.post("/manage/criteria/", data | new)
    assert "Give the custom field&#x27;s key." in error_text(response)
    pattern = {"rules-0-field": "company", "rules-0-operator": "matches", "rules-0-value": "(", "rules-0-weight": 5}
    response = manager_client.post("/manage/criteria/", data | pattern)
    assert "The pattern is not a valid regular expression" in error_text(response)
    assert not QualificationRule.objects.exists()


def test_an_operator_that_does_not_suit_the_field_is_explained(manager_client):
    QualificationRule.objects.all().delete()
    QualificationRule.objects.create(field="country", operator="equals", value="NL", weight=10)
    changed = {"rules-0-field": "company_size", "rules-0-operator": "contains", "rules-0-value": "5"}
    response = manager_client.post("/manage/criteria/", criteria_page_data() | changed)
    body = error_text(response)
    assert "Company size cannot be tested with “contains”." in body
    assert "Rule 1: Country equals NL" in body  # the rule keeps its saved name while it is being corrected


def test_testing_criteria_shows_the_effect_on_open_leads_and_saves_nothing(manager_client):
    QualificationRule.objects.all().delete()
    LeadFactory.create_batch(2, country="BE")
    LeadFactory(country="NL")
    new = {"rules-0-field": "country", "rules-0-operator": "equals", "rules-0-value": "BE", "rules-0-hard": "on"}
    response = manager_client.post(
        "/manage/criteria/", criteria_page_data() | new | {"test": "1"}, HTTP_HX_REQUEST="true"
    )
    body = response.content.decode()
    assert "Tested on the open leads: nothing saved" in body and "<!doctype" not in body
    assert "1 lead would change suggestion" in body
    assert not QualificationRule.objects.exists() and not CriteriaChange.objects.exists()


def test_testing_invalid_criteria_points_at_the_problem(manager_client):
    data = criteria_page_data() | {"qualify_at": 10, "reject_below": 40, "test": "1"}
    response = manager_client.post("/manage/criteria/", data, HTTP_HX_REQUEST="true")
    body = error_text(response)
    assert "Not tested" in body and "reject_below: Must not be above the “fits at” score." in body
    full = manager_client.post("/manage/criteria/", data)
    assert "Must not be above the “fits at” score." in error_text(full)


# --- Website forms ---------------------------------------------------------------------------------


def new_form_data(**changes) -> dict:
    data = form_data(LeadFormSettingsForm()) | formset_data(FormFieldFormSet(instance=LeadForm()))
    data |= {"name": "Fair stand", "source": "trade-fair", "allowed_origins": "https://www.example.nl"}
    data |= {"fields-0-name": "email", "fields-0-label_en": "Email", "fields-0-required": "on", "fields-0-order": 1}
    return data | changes


def test_manager_creates_a_form_that_starts_active_with_its_snippets(manager_client):
    response = manager_client.post("/manage/forms/new/", new_form_data(), follow=True)
    lead_form = LeadForm.objects.get()
    assert (lead_form.name, lead_form.is_active, lead_form.origins) == ("Fair stand", True, ["https://www.example.nl"])
    assert list(lead_form.fields.values_list("name", "required")) == [("email", True)]
    body = response.content.decode()
    assert f"data-form=&quot;{lead_form.key}&quot;" in body  # the script snippet, as text inside <pre>
    assert 'data-copy="snippet-1"' in body and "hidden>Copy" in body  # the copy button appears only with script


def test_a_form_with_a_reserved_field_or_a_bad_origin_is_not_saved(manager_client):
    reserved = manager_client.post("/manage/forms/new/", new_form_data(**{"fields-1-name": "consent"}))
    assert "is used by the form itself" in error_text(reserved)
    origin = manager_client.post("/manage/forms/new/", new_form_data(allowed_origins="https://ok.nl; script-src *"))
    assert "Not an origin" in error_text(origin)
    twice = manager_client.post(
        "/manage/forms/new/", new_form_data(**{"fields-1-name": "email", "fields-1-label_en": "Again"})
    )
    assert "listed twice" in error_text(twice)
    assert not LeadForm.objects.exists()


def test_editing_a_form_replaces_its_fields_and_the_next_visitor_sees_them(manager_client):
    lead_form = LeadFormFactory()
    assert form_get_active(key=lead_form.key) is not None  # now cached
    data = formset_data(FormFieldFormSet(instance=lead_form)) | form_data(LeadFormSettingsForm(instance=lead_form))
    data |= {"fields-0-DELETE": "on", "name": "Renamed"}
    manager_client.post(f"/manage/forms/{lead_form.pk}/", data)
    assert cache.get(form_cache_key(lead_form.key)) is None
    assert form_get_active(key=lead_form.key).name == "Renamed"
    assert FormField.objects.filter(form=lead_form).count() == 4


# --- Sync targets ----------------------------------------------------------------------------------


def test_manager_pauses_a_target_and_resuming_sends_the_held_jobs(manager_client):
    target = WebhookTargetFactory(name="crm-hook")
    manager_client.post(f"/manage/sync/{target.pk}/pause/")
    target.refresh_from_db()
    assert not target.enabled and target.disabled_reason.startswith("Paused by maria")
    converted_lead()  # its job is queued and held while the target is paused
    body = manager_client.get("/manage/sync/").content.decode()
    assert "Paused" in body and "(held until resumed)" in body
    SyncJob.objects.update(target=target)
    response = manager_client.post(f"/manage/sync/{target.pk}/resume/", follow=True)
    target.refresh_from_db()
    assert target.enabled and "running again" in response.content.decode()


def test_a_target_secret_is_write_only(manager_client):
    target = WebhookTargetFactory(name="crm-hook")
    page = manager_client.get(f"/manage/sync/{target.pk}/").content.decode()
    assert "s3cret" not in page and "Stored and hidden; leave empty to keep it." in page
    data = {"name": "crm-hook", "settings_url": "https://crm.example/hook", "settings_events": "customer.converted"}
    manager_client.post(f"/manage/sync/{target.pk}/", data | {"settings_timeout_seconds": 5})
    target.refresh_from_db()
    assert target.settings["secret"] == "s3cret" and target.settings["url"] == "https://crm.example/hook"


def test_a_new_webhook_target_shows_its_generated_secret_once(manager_client):
    data = {"name": "erp", "settings_url": "crm.example/in", "settings_events": "customer.converted"}
    response = manager_client.post("/manage/sync/new/webhook/", data | {"settings_timeout_seconds": 5}, follow=True)
    target = SyncTarget.objects.get()
    assert target.settings["url"] == "https://crm.example/in"
    assert target.settings["secret"] in response.content.decode()
    assert target.settings["secret"] not in manager_client.get("/manage/sync/").content.decode()


def test_target_settings_are_checked_by_the_kind(manager_client):
    WebhookTargetFactory(name="taken")
    data = {"name": "taken", "settings_url": "not a url at all", "settings_timeout_seconds": 500}
    body = error_text(manager_client.post("/manage/sync/new/webhook/", data))
    assert "Enter a valid URL." in body and "timeout_seconds" in body
    assert SyncTarget.objects.count() == 1
