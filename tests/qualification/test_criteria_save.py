"""Changing the criteria: history, and re-classification of the open leads only."""

import pytest

from leadflow.core.exceptions import ApplicationError
from leadflow.intake.models import ApiToken
from leadflow.leads.models import LeadState
from leadflow.qualification.models import (
    CriteriaChange,
    LeadAssessment,
    QualificationRule,
    QualificationSettings,
    ReclassificationRun,
    Verdict,
)
from leadflow.qualification.services import (
    RuleInput,
    criteria_config_build,
    criteria_preview,
    criteria_reclassify,
    criteria_save,
    lead_assess,
    lead_assessments_store,
)
from tests.factories import LeadFactory
from tests.qualification.factories import RuleFactory

pytestmark = pytest.mark.django_db

SIZE_RULE = RuleInput(id=None, field="company_size", operator="gte", value="10", weight=50)
EMAIL_RULE = RuleInput(id=None, field="email_is_free_mail", operator="equals", value="no", weight=50)


def save(actor, rules, qualify_at=60, reject_below=30, **kwargs):
    return criteria_save(actor=actor, qualify_at=qualify_at, reject_below=reject_below, rules=rules, **kwargs)


@pytest.fixture
def leads_in_every_state(criteria):
    """Small companies with business email addresses, one per state."""
    return {state: LeadFactory(state=state, company_size=3, email=f"{state}@acme.nl") for state in LeadState.values}


def test_saving_records_who_changed_what(criteria, staff_user, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        change = save(staff_user, [SIZE_RULE], qualify_at=70, reason="Focus on larger companies")
    assert (change.changed_by, change.actor_label, change.reason) == (staff_user, "admin", "Focus on larger companies")
    assert change.summary == "Auto-qualify at: 60 → 70\nAdded rule: Company size is at least 10"
    assert change.changes["thresholds"] == {"qualify_at": [60, 70]}
    rule = QualificationRule.objects.get()
    assert (rule.field, rule.operator, rule.value, rule.weight) == ("company_size", "gte", "10", 50)
    assert QualificationSettings.objects.get().qualify_at == 70


def test_history_names_changed_and_removed_rules(criteria, staff_user, django_capture_on_commit_callbacks):
    kept = RuleFactory(field="company_size", operator="gte", value="10", weight=50, label="10+ staff")
    RuleFactory(field="country", operator="equals", value="NL", weight=10, label="Dutch")
    with django_capture_on_commit_callbacks(execute=True):
        change = save(
            staff_user,
            [
                RuleInput(
                    id=kept.pk,
                    field="company_size",
                    operator="gte",
                    value="50",
                    weight=50,
                    label="10+ staff",
                    order=kept.order,
                )
            ],
        )
    assert change.summary == "Removed rule: Dutch\nChanged rule 10+ staff: value '10' → '50'"
    assert change.changes["changed"][0]["fields"] == {"value": ["10", "50"]}
    assert QualificationRule.objects.get().pk == kept.pk


def test_saving_the_same_criteria_records_nothing(criteria, staff_user):
    rule = RuleFactory(field="company_size", operator="gte", value="10", weight=50)
    same = RuleInput(id=rule.pk, field="company_size", operator="gte", value="10", weight=50, order=rule.order)
    assert save(staff_user, [same]) is None
    assert not CriteriaChange.objects.exists()


def test_invalid_criteria_are_refused_and_nothing_changes(criteria, staff_user):
    RuleFactory(field="country", operator="equals", value="NL", weight=10)
    bad = RuleInput(id=None, field="company", operator="matches", value="(a+)+$", weight=10)
    with pytest.raises(ApplicationError) as refused:
        save(staff_user, [bad], qualify_at=20, reject_below=50)
    assert set(refused.value.extra["errors"]) == {"thresholds", "rule 1"}
    assert "can take too long" in refused.value.message
    assert QualificationRule.objects.get().field == "country"
    assert not CriteriaChange.objects.exists()


def test_rule_with_neither_weight_nor_hard_flag_is_refused(criteria):
    with pytest.raises(ApplicationError, match="Give the rule a weight"):
        criteria_config_build(
            qualify_at=60, reject_below=30, rules=[RuleInput(id=None, field="country", operator="is_set")]
        )


def test_change_reclassifies_open_leads_and_never_closed_ones(
    leads_in_every_state, staff_user, django_capture_on_commit_callbacks
):
    ApiToken.objects.create(name="Tests", source="tests", key_hash="x" * 64, auto_qualify=True)
    converted = leads_in_every_state[LeadState.CONVERTED]
    LeadAssessment.objects.create(
        lead=converted,
        score=12,
        verdict=Verdict.REJECT,
        hard_requirements_met=True,
        results=[],
        assessed_at="2026-01-01T00:00Z",
    )
    with django_capture_on_commit_callbacks(execute=True):
        change = save(staff_user, [EMAIL_RULE])
    verdicts = dict(LeadAssessment.objects.values_list("lead_id", "verdict"))
    assert {state: verdicts.get(lead.pk) for state, lead in leads_in_every_state.items()} == {
        LeadState.NEW: Verdict.QUALIFY,
        LeadState.VALIDATED: Verdict.QUALIFY,
        LeadState.QUALIFIED: Verdict.QUALIFY,
        LeadState.CONVERTED: Verdict.REJECT,
        LeadState.REJECTED: None,
        LeadState.DUPLICATE: None,
    }
    converted_assessment = LeadAssessment.objects.get(lead=converted)
    assert (converted_assessment.score, str(converted_assessment.assessed_at.year)) == (12, "2026")
    for state, lead in leads_in_every_state.items():
        lead.refresh_from_db()
        assert lead.state == (LeadState.QUALIFIED if state == LeadState.VALIDATED else state)
    run = ReclassificationRun.objects.get(change=change)
    assert (run.status, run.total, run.processed, run.qualified, run.percent_done) == ("done", 3, 3, 1, 100)
    validated = leads_in_every_state[LeadState.VALIDATED]
    event = validated.events.get(transition="qualify")
    assert (event.actor_label, event.reason) == (
        "system",
        f"Fits the conversion criteria since change {change.pk} by admin.",
    )


def test_change_only_updates_suggestions_where_a_person_decides(
    leads_in_every_state, staff_user, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        change = save(staff_user, [EMAIL_RULE])
    validated = leads_in_every_state[LeadState.VALIDATED]
    validated.refresh_from_db()
    assert (validated.state, validated.assessment.get_verdict_display()) == (LeadState.VALIDATED, "Fits")
    assert ReclassificationRun.objects.get(change=change).qualified == 0


def test_change_never_unqualifies_a_lead(leads_in_every_state, staff_user, django_capture_on_commit_callbacks):
    strict = RuleInput(id=None, field="country", operator="equals", value="BE", hard=True)
    with django_capture_on_commit_callbacks(execute=True):
        save(staff_user, [strict])
    qualified = leads_in_every_state[LeadState.QUALIFIED]
    qualified.refresh_from_db()
    assert qualified.state == LeadState.QUALIFIED
    assert qualified.assessment.verdict == Verdict.REJECT


def test_reclassification_goes_batch_by_batch_and_can_be_run_again(criteria, staff_user):
    leads = LeadFactory.create_batch(7, state=LeadState.NEW, company_size=30)
    change = save(staff_user, [SIZE_RULE])
    run = change.run
    criteria_reclassify(run_id=run.pk, batch_size=3)
    run.refresh_from_db()
    assert (run.status, run.processed, run.last_lead_id) == (
        "done",
        7,
        leads[-1].pk if leads[-1].pk > leads[0].pk else leads[0].pk,
    )
    criteria_reclassify(run_id=run.pk, batch_size=3)
    run.refresh_from_db()
    assert run.processed == 7
    assert LeadAssessment.objects.filter(verdict=Verdict.QUALIFY).count() == 7


def test_older_run_gives_way_to_a_newer_change(criteria, staff_user):
    LeadFactory(state=LeadState.NEW)
    first = save(staff_user, [SIZE_RULE])
    save(staff_user, [EMAIL_RULE])
    criteria_reclassify(run_id=first.run.pk)
    first.run.refresh_from_db()
    assert (first.run.status, first.run.processed) == ("superseded", 0)


def test_preview_compares_verdicts_without_saving_anything(leads_in_every_state, criteria):
    RuleFactory(field="company_size", operator="gte", value="10", weight=50)
    lead_assessments_store({lead.pk: lead_assess(lead=lead) for lead in leads_in_every_state.values()})
    before = list(LeadAssessment.objects.order_by("pk").values_list("verdict", "score"))
    proposed = criteria_config_build(qualify_at=60, reject_below=30, rules=[EMAIL_RULE])
    preview = criteria_preview(proposed=proposed)
    assert preview.open_leads == 3
    assert (preview.before[Verdict.REJECT], preview.after[Verdict.QUALIFY]) == (3, 3)
    assert (preview.changed, preview.newly_fit, preview.would_qualify) == (3, 3, 0)
    assert {row.after for row in preview.sample} == {("Fits", 100)}
    assert list(LeadAssessment.objects.order_by("pk").values_list("verdict", "score")) == before
    assert QualificationRule.objects.get().field == "company_size"
    assert not CriteriaChange.objects.exists()


def test_preview_sample_is_limited(criteria):
    LeadFactory.create_batch(4, state=LeadState.NEW, company_size=50)
    proposed = criteria_config_build(qualify_at=60, reject_below=30, rules=[SIZE_RULE])
    RuleFactory(field="company_size", operator="lt", value="10", weight=10)
    preview = criteria_preview(proposed=proposed, sample_size=2)
    assert (preview.changed, len(preview.sample)) == (4, 2)


def test_rule_deleted_by_someone_else_meanwhile_is_reported(criteria, staff_user):
    gone = RuleInput(id=987654, field="country", operator="equals", value="NL", weight=10)
    with pytest.raises(ApplicationError, match="Someone else changed the rules meanwhile"):
        save(staff_user, [gone])
    assert not CriteriaChange.objects.exists()


def test_stalled_run_is_claimed_once_and_finished_by_the_sweeper(criteria, staff_user):
    lead = LeadFactory(state=LeadState.NEW, company_size=30)
    change = save(staff_user, [SIZE_RULE])
    ReclassificationRun.objects.filter(pk=change.run.pk).update(heartbeat_at="2020-01-01T00:00Z")
    from leadflow.qualification.tasks import resume_stalled_reclassifications

    assert resume_stalled_reclassifications() == 1
    assert resume_stalled_reclassifications() == 0
    change.run.refresh_from_db()
    assert change.run.status == "done"
    assert LeadAssessment.objects.get(lead=lead).verdict == Verdict.QUALIFY
