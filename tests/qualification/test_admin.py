"""The conversion-criteria admin: one page for thresholds and rules, a dry run, and the change history."""

import pytest
from django.urls import reverse

from leadflow.leads.models import LeadState
from leadflow.qualification.models import (
    SETTINGS_PK,
    CriteriaChange,
    LeadAssessment,
    QualificationRule,
    QualificationSettings,
)
from tests.factories import LeadFactory, UserFactory
from tests.qualification.factories import RuleFactory

pytestmark = pytest.mark.django_db

CHANGE_URL = reverse("admin:qualification_qualificationsettings_change", args=[SETTINGS_PK])
TEST_URL = reverse("admin:qualification_qualificationsettings_test", args=[SETTINGS_PK])
HISTORY_URL = reverse("admin:qualification_criteriachange_changelist")


def criteria_form(rules, qualify_at=60, reject_below=30, **extra):
    """POST data as the change page submits it: thresholds, existing rules (with `id`) and new ones."""
    data = {
        "qualify_at": qualify_at,
        "reject_below": reject_below,
        "change_reason": "",
        "rules-TOTAL_FORMS": len(rules),
        "rules-INITIAL_FORMS": sum(1 for r in rules if r.get("id")),
        "rules-MIN_NUM_FORMS": 0,
        "rules-MAX_NUM_FORMS": 1000,
    }
    for i, rule in enumerate(rules):
        row = {"order": i, "label": "", "value": "", "weight": 0, "active": "on", "qualification_settings": SETTINGS_PK}
        row.update(rule)
        for name, value in row.items():
            if value is False:
                continue
            data[f"rules-{i}-{name}"] = "on" if value is True else value
    return {**data, **extra}


@pytest.fixture
def admin_client(client, staff_user):
    client.force_login(staff_user)
    return client


def test_criteria_list_opens_the_one_criteria_page(admin_client):
    response = admin_client.get(reverse("admin:qualification_qualificationsettings_changelist"))
    assert response.status_code == 302
    assert response.url == CHANGE_URL


def test_criteria_page_shows_rules_thresholds_dry_run_and_related_settings(admin_client, settings):
    settings.LEADFLOW_CRITERIA_RELATED_ADMIN = [
        ("All lead settings", "leads"),
        ("Duplicate thresholds", "quality.MatchSettings"),
        ("Opportunity defaults", "nosuchapp.OpportunityDefaults"),
    ]
    response = admin_client.get(CHANGE_URL)
    assert response.status_code == 200
    content = response.content.decode()
    assert "Based in the Netherlands, Belgium or Germany" in content
    assert 'formaction="' + TEST_URL in content
    assert '<a href="/admin/leads/">All lead settings</a>' in content
    assert '<a href="/admin/quality/matchsettings/">Duplicate thresholds</a>' in content
    assert "Opportunity defaults (not installed yet)" in content
    assert 'value="email_is_free_mail"' in content


def test_lead_page_shows_the_stored_assessment_escaped(admin_client, criteria):
    lead = LeadFactory(state=LeadState.VALIDATED)
    LeadAssessment.objects.create(
        lead=lead,
        score=40,
        verdict="review",
        hard_requirements_met=True,
        results=[
            {"name": "rule:1", "passed": True, "reason": "<script>alert(1)</script>", "hard": False, "weight": 40}
        ],
        assessed_at="2026-11-01T00:00Z",
    )
    content = admin_client.get(reverse("admin:leads_lead_change", args=[lead.pk])).content.decode()
    assert "Borderline" in content
    assert "&lt;script&gt;alert(1)&lt;/script&gt; (+40)" in content
    assert "<script>alert(1)" not in content


@pytest.mark.parametrize("url", [CHANGE_URL, HISTORY_URL])
def test_people_who_are_not_staff_are_sent_to_log_in(client, user, url):
    client.force_login(user)
    response = client.get(url)
    assert response.status_code == 302
    assert response.url.startswith(reverse("admin:login"))


def test_posting_a_dry_run_without_staff_rights_is_refused(client, user):
    client.force_login(user)
    response = client.post(TEST_URL, criteria_form([]))
    assert response.status_code == 302
    assert response.url.startswith(reverse("admin:login"))


@pytest.mark.parametrize("url", [CHANGE_URL, HISTORY_URL, TEST_URL])
def test_staff_without_the_criteria_permission_are_forbidden(client, url):
    client.force_login(UserFactory(username="manager", is_staff=True))
    response = client.post(url, criteria_form([])) if url == TEST_URL else client.get(url)
    assert response.status_code == 403


def test_dry_run_shows_new_verdicts_and_saves_nothing(admin_client, criteria):
    kept = RuleFactory(field="company_size", operator="gte", value="100", weight=50)
    lead = LeadFactory(state=LeadState.VALIDATED, company_size=20, first_name="<b>Eve</b>")
    LeadFactory(state=LeadState.CONVERTED, company_size=20)
    rules = [
        {"id": kept.pk, "field": "company_size", "operator": "gte", "value": "10", "weight": 50},
        {"field": "email_is_free_mail", "operator": "equals", "value": "no", "weight": 50},
    ]
    response = admin_client.post(TEST_URL, criteria_form(rules, qualify_at=90))
    assert response.status_code == 200
    content = response.content.decode()
    assert "1 lead(s) would change suggestion; 1 would newly be suggested as a fit." in content
    assert "No lead would be qualified without a person" in content
    assert "&lt;b&gt;Eve&lt;/b&gt;" in content
    assert "Suggest reject (0)" in content and "Fits (100)" in content
    assert f'name="rules-0-id" value="{kept.pk}"' in content
    assert QualificationRule.objects.get().value == "100"
    assert QualificationSettings.objects.get().qualify_at == 60
    assert not CriteriaChange.objects.exists()
    assert not LeadAssessment.objects.exists()
    lead.refresh_from_db()
    assert lead.state == LeadState.VALIDATED


def test_dry_run_with_a_hostile_pattern_explains_what_is_wrong(admin_client, criteria):
    rules = [{"field": "company", "operator": "matches", "value": "(a|aa)+$", "weight": 10}]
    content = admin_client.post(TEST_URL, criteria_form(rules)).content.decode()
    assert "Rule 1, value: The pattern can take too long" in content
    assert "Save these criteria" not in content


def test_saving_goes_through_the_service_and_is_listed_in_the_history(admin_client, criteria, staff_user):
    lead = LeadFactory(state=LeadState.VALIDATED, company_size=20)
    rules = [
        {"field": "company_size", "operator": "gte", "value": "10", "weight": 50, "label": "10+ staff"},
        {"field": "", "operator": "", "order": 0},  # the blank row the page offers for a new rule
    ]
    form = criteria_form(rules, qualify_at=50, change_reason="Smaller companies too", _save="Save")
    response = admin_client.post(CHANGE_URL, form)
    assert response.status_code == 302
    change = CriteriaChange.objects.get()
    assert (change.changed_by, change.reason) == (staff_user, "Smaller companies too")
    assert change.summary == "Auto-qualify at: 60 → 50\nAdded rule: 10+ staff"
    assert change.run.status == "pending"
    history = admin_client.get(HISTORY_URL).content.decode()
    assert "Smaller companies too" not in history and "Added rule: 10+ staff" in history
    detail = admin_client.get(reverse("admin:qualification_criteriachange_change", args=[change.pk])).content.decode()
    assert "Smaller companies too" in detail and "Waiting: 0 of 1 open leads" in detail
    lead.refresh_from_db()
    assert lead.state == LeadState.VALIDATED


def test_saving_an_invalid_rule_shows_the_error_on_the_page(admin_client, criteria):
    rules = [{"field": "company_size", "operator": "contains", "value": "1", "weight": 10}]
    response = admin_client.post(CHANGE_URL, criteria_form(rules, _save="Save"))
    assert response.status_code == 200
    assert "Company size cannot be tested with" in response.content.decode()
    assert not QualificationRule.objects.exists()


def test_deleting_a_rule_in_the_formset_removes_it(admin_client, criteria):
    rule = RuleFactory(field="country", operator="equals", value="NL", weight=10)
    rules = [{"id": rule.pk, "field": "country", "operator": "equals", "value": "NL", "weight": 10, "DELETE": True}]
    admin_client.post(CHANGE_URL, criteria_form(rules, _save="Save"))
    assert not QualificationRule.objects.exists()
    assert CriteriaChange.objects.get().summary == "Removed rule: Country equals NL"
