"""Scores, thresholds and verdicts; the pipeline step and the qualify gate."""

import pytest

from leadflow.core.exceptions import TransitionBlocked
from leadflow.intake.models import ApiToken
from leadflow.leads import services as lead_services
from leadflow.leads.models import Lead, LeadState
from leadflow.qualification.models import LeadAssessment, QualificationRule, Verdict
from leadflow.qualification.services import lead_assess, lead_auto_qualify
from tests.factories import LeadFactory
from tests.intake.factories import LeadFormFactory
from tests.qualification.factories import RuleFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def weighted_rules(criteria):
    """Hard: country NL/BE/DE. Weighted: size >= 10 (60 points), business email (40 points)."""
    RuleFactory(field="country", operator="in", value="NL,BE,DE", hard=True, weight=0)
    RuleFactory(field="company_size", operator="gte", value="10", weight=60)
    RuleFactory(field="email_is_free_mail", operator="equals", value="no", weight=40)


@pytest.mark.parametrize(
    ("country", "size", "email", "score", "verdict"),
    [
        ("NL", 50, "anna@acme.nl", 100, Verdict.QUALIFY),
        ("BE", 50, "anna@gmail.com", 60, Verdict.QUALIFY),
        ("DE", None, "anna@acme.de", 40, Verdict.REVIEW),
        ("NL", 5, "anna@gmail.com", 0, Verdict.REJECT),
        ("FR", 50, "anna@acme.fr", 0, Verdict.REJECT),
    ],
)
def test_verdict_follows_score_thresholds_and_hard_requirements(weighted_rules, country, size, email, score, verdict):
    assessment = lead_assess(lead=LeadFactory.build(country=country, company_size=size, email=email))
    assert (assessment.score, assessment.verdict) == (score, verdict)


def test_score_exactly_at_the_thresholds(weighted_rules, criteria):
    criteria.qualify_at, criteria.reject_below = 60, 40
    criteria.save()
    assert lead_assess(lead=LeadFactory.build(company_size=10, email="a@gmail.com")).verdict == Verdict.QUALIFY
    assert lead_assess(lead=LeadFactory.build(company_size=1, email="a@acme.nl")).verdict == Verdict.REVIEW


def test_contributions_list_the_weighted_rules_that_held(weighted_rules):
    assessment = lead_assess(lead=LeadFactory.build(company_size=3, email="anna@acme.nl"))
    assert [r.weight for r in assessment.contributions] == [40]
    assert assessment.contributions[0].reason == "Email is free-mail (gmail.com, ziggo.nl, …) equals no."


def test_without_weighted_rules_only_hard_requirements_decide(criteria):
    RuleFactory(field="country", operator="equals", value="NL", hard=True, weight=0)
    assert lead_assess(lead=LeadFactory.build(country="NL")).score == 100
    assert lead_assess(lead=LeadFactory.build(country="NL")).verdict == Verdict.QUALIFY
    assert lead_assess(lead=LeadFactory.build(country="US")).verdict == Verdict.REJECT


def test_inactive_rules_are_ignored(criteria):
    RuleFactory(field="country", operator="equals", value="US", hard=True, weight=0, active=False)
    assert lead_assess(lead=LeadFactory.build(country="NL")).fit


def test_built_in_company_and_person_criteria_still_apply(criteria):
    assessment = lead_assess(lead=LeadFactory.build(company=""))
    assert [r.name for r in assessment.hard_failures] == ["company_known"]


def test_assessment_loads_the_rules_in_two_queries_however_many_there_are(criteria, django_assert_num_queries):
    for n in range(30):
        RuleFactory(field="company_size", operator="gte", value=str(n), weight=1)
    lead = LeadFactory.build(company_size=15)
    with django_assert_num_queries(2):
        assessment = lead_assess(lead=lead)
    assert assessment.score == 53


def _fitting_lead_from(source: str, capture) -> Lead:
    with capture(execute=True):
        lead = lead_services.lead_create(
            actor=None,
            source=source,
            first_name="Anna",
            last_name="Bakker",
            company="Acme",
            country="NL",
            email="a@acme.nl",
            company_size=20,
        )
    lead.refresh_from_db()
    return lead


def test_pipeline_stores_a_fit_suggestion_and_leaves_the_decision_to_a_person(
    weighted_rules, django_capture_on_commit_callbacks
):
    lead = _fitting_lead_from("website", django_capture_on_commit_callbacks)
    assert lead.state == LeadState.VALIDATED
    stored = LeadAssessment.objects.get(lead=lead)
    assert (stored.score, stored.verdict, stored.hard_requirements_met) == (100, Verdict.QUALIFY, True)
    assert stored.get_verdict_display() == "Fits"
    assert {r["name"] for r in stored.results} >= {"company_known", "person_known"}


def test_pipeline_qualifies_a_fitting_lead_only_when_its_form_is_set_to_auto_qualify(
    weighted_rules, django_capture_on_commit_callbacks
):
    LeadFormFactory(source="partner-form", auto_qualify=True)
    LeadFormFactory(source="inactive-form", auto_qualify=True, is_active=False)
    lead = _fitting_lead_from("partner-form", django_capture_on_commit_callbacks)
    assert lead.state == LeadState.QUALIFIED
    assert lead.events.get(transition="qualify").reason == (
        "Fits the conversion criteria (score 100); its source auto-qualifies."
    )
    assert _fitting_lead_from("inactive-form", django_capture_on_commit_callbacks).state == LeadState.VALIDATED


def test_a_new_form_or_api_client_does_not_auto_qualify(db):
    assert LeadFormFactory().auto_qualify is False
    assert ApiToken().auto_qualify is False


def test_a_lead_failing_a_hard_requirement_scores_zero_so_score_and_suggestion_agree(weighted_rules):
    assessment = lead_assess(lead=LeadFactory.build(country="FR", company_size=500, email="anna@acme.fr"))
    assert (assessment.score, Verdict(assessment.verdict).label) == (0, "Suggest reject")


def test_a_broken_email_address_earns_no_business_email_points(weighted_rules):
    assessment = lead_assess(lead=LeadFactory.build(company_size=None, email="joost@@vandijk.nl"))
    assert assessment.score == 0
    failed = next(r for r in assessment.results if r.weight == 40)
    assert failed.reason.endswith(": not met (no valid email address).")


@pytest.mark.parametrize(
    ("size", "email", "verdict"), [(None, "a@acme.nl", Verdict.REVIEW), (2, "a@gmail.com", Verdict.REJECT)]
)
def test_pipeline_leaves_review_and_rejection_suggestions_validated(weighted_rules, size, email, verdict):
    lead = LeadFactory(state=LeadState.VALIDATED, company_size=size, email=email)
    lead_auto_qualify(lead=lead)
    lead.refresh_from_db()
    assert lead.state == LeadState.VALIDATED
    assert lead.assessment.verdict == verdict


def test_pipeline_never_assesses_closed_leads(weighted_rules):
    lead = LeadFactory(state=LeadState.CONVERTED)
    lead_auto_qualify(lead=lead)
    assert not LeadAssessment.objects.filter(lead=lead).exists()


def test_person_may_qualify_a_lead_below_the_threshold_when_hard_requirements_hold(weighted_rules, staff_user):
    lead = LeadFactory(state=LeadState.VALIDATED, company_size=None, email="a@gmail.com")
    assert lead_assess(lead=lead).verdict == Verdict.REJECT
    lead_services.lead_qualify(lead=lead, actor=staff_user)
    lead.refresh_from_db()
    assert lead.state == LeadState.QUALIFIED


def test_failed_hard_requirement_blocks_qualifying_with_its_reason(weighted_rules, staff_user):
    QualificationRule.objects.filter(hard=True).update(label="Based in our sales region")
    lead = LeadFactory(state=LeadState.VALIDATED, country="FR", company_size=500)
    with pytest.raises(TransitionBlocked) as blocked:
        lead_services.lead_qualify(lead=lead, actor=staff_user)
    assert blocked.value.reasons == ["Based in our sales region: not met (FR)."]


@pytest.mark.parametrize(
    ("fields", "verdict"),
    [
        ({"email": "a@acme.nl", "phone": ""}, Verdict.QUALIFY),
        ({"email": "a@gmail.com", "phone": "+31201234567", "website": "acme.nl"}, Verdict.QUALIFY),
        ({"email": "a@gmail.com", "phone": "+31201234567"}, Verdict.REVIEW),
        ({"email": "a@gmail.com", "phone": ""}, Verdict.REJECT),
        ({"email": "a@acme.com", "country": "US", "company_size": 500}, Verdict.REJECT),
        ({"email": "a@acme.nl", "country": ""}, Verdict.REJECT),
    ],
)
def test_example_criteria_from_the_migration(db, fields, verdict):
    lead = LeadFactory.build(**{"country": "NL", "company_size": None, **fields})
    assert lead_assess(lead=lead).verdict == verdict
