"""Assessing leads against the conversion criteria, storing the verdicts, and changing the criteria."""

from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from leadflow.core.exceptions import ApplicationError
from leadflow.core.plugins import load_objects
from leadflow.core.tasks import enqueue_on_commit
from leadflow.intake.selectors import auto_qualifying_sources
from leadflow.leads.models import OPEN_STATES, Lead, LeadState
from leadflow.leads.services import Actor, actor_fields, attempt_automatic, lead_qualify
from leadflow.qualification.criteria import CriterionResult
from leadflow.qualification.models import (
    SETTINGS_PK,
    CriteriaChange,
    LeadAssessment,
    QualificationRule,
    QualificationSettings,
    ReclassificationRun,
    Verdict,
)
from leadflow.qualification.selectors import CriteriaConfig, criteria_config_load, criteria_config_scope

RECLASSIFY_BATCH_SIZE = 500
# A re-classification run that made no progress for this long is handed to a worker again.
RECLASSIFY_STALLED_AFTER_SECONDS = 600
PREVIEW_SAMPLE_SIZE = 25
RULE_ATTRIBUTES = ("order", "label", "field", "operator", "value", "hard", "weight", "active")


@dataclass(frozen=True)
class Assessment:
    """How a lead measures up. The score is the share (0-100) of the weighted rules' points the lead earns;
    with no weighted rules it is 100 and only the hard requirements decide. A lead that fails a hard requirement
    scores 0, so the score, the suggestion and the ranking by score all say the same thing."""

    results: list[CriterionResult]
    qualify_at: int = 0
    reject_below: int = 0

    @property
    def hard_failures(self) -> list[CriterionResult]:
        return [r for r in self.results if r.hard and not r.passed]

    @property
    def fit(self) -> bool:
        """All hard requirements hold: a person may qualify the lead whatever its score."""
        return not self.hard_failures

    @property
    def contributions(self) -> list[CriterionResult]:
        """The weighted rules that hold, i.e. where the score comes from."""
        return [r for r in self.results if not r.hard and r.weight and r.passed]

    @cached_property
    def score(self) -> int:
        if not self.fit:
            return 0
        possible = sum(r.weight for r in self.results if not r.hard)
        if not possible:
            return 100
        return round(100 * sum(r.weight for r in self.contributions) / possible)

    @property
    def earned_points(self) -> float:
        return sum(r.weight for r in self.contributions)

    @cached_property
    def verdict(self) -> str:
        """The suggestion: fits, borderline, or reject (a failed hard requirement suggests rejection too)."""
        if not self.fit or self.score < self.reject_below:
            return Verdict.REJECT
        return Verdict.QUALIFY if self.score >= self.qualify_at else Verdict.REVIEW


def lead_assess(*, lead: Lead) -> Assessment:
    """Evaluate every criterion of settings.LEADFLOW_CRITERIA against the lead. Reads only."""
    with criteria_config_scope() as config:
        results = [
            result for criterion in load_objects("LEADFLOW_CRITERIA") for result in criterion.evaluate(lead=lead)
        ]
        return Assessment(results, qualify_at=config.qualify_at, reject_below=config.reject_below)


def lead_assessments_store(assessments: dict[int, Assessment]) -> None:
    """Keep the latest assessment of each lead (by id), replacing the previous one."""
    now = timezone.now()
    LeadAssessment.objects.bulk_create(
        [
            LeadAssessment(
                lead_id=lead_id,
                score=a.score,
                verdict=a.verdict,
                hard_requirements_met=a.fit,
                results=[dict(vars(r)) for r in a.results],
                assessed_at=now,
            )
            for lead_id, a in assessments.items()
        ],
        update_conflicts=True,
        unique_fields=["lead"],
        update_fields=["score", "verdict", "hard_requirements_met", "results", "assessed_at"],
    )


def lead_auto_qualify(*, lead: Lead) -> None:
    """Pipeline step: store the open lead's assessment (the score and suggestion a person sees). Qualifying is a
    person's decision; only a lead whose source is explicitly set to auto-qualify is qualified here when it fits."""
    if not lead.is_open:
        return
    with criteria_config_scope():
        assessment = lead_assess(lead=lead)
        lead_assessments_store({lead.pk: assessment})
        if _qualifies_without_a_person(lead, assessment, auto_qualifying_sources):
            reason = f"Fits the conversion criteria (score {assessment.score}); its source auto-qualifies."
            attempt_automatic(lead_qualify, lead=lead, actor=None, reason=reason)


def _qualifies_without_a_person(
    lead: Lead, assessment: Assessment, auto_sources: Callable[[], frozenset[str]] | frozenset[str]
) -> bool:
    """`auto_sources` may be a callable, so a single lead that does not fit costs no query."""
    if lead.state != LeadState.VALIDATED or assessment.verdict != Verdict.QUALIFY:
        return False
    return lead.source in (auto_sources() if callable(auto_sources) else auto_sources)


# --- Changing the criteria ----------------------------------------------------------------------


@dataclass(frozen=True)
class RuleInput:
    """One rule as an admin submitted it; `id` is None for a new rule."""

    id: int | None
    field: str
    operator: str
    value: str = ""
    hard: bool = False
    weight: int = 0
    active: bool = True
    order: int = 0
    label: str = ""

    def as_model(self) -> QualificationRule:
        return QualificationRule(id=self.id, **{a: getattr(self, a) for a in RULE_ATTRIBUTES})


def criteria_config_build(*, qualify_at: int, reject_below: int, rules: Sequence[RuleInput]) -> CriteriaConfig:
    """The criteria as submitted, checked and compiled but not saved (for trying them out and for saving)."""
    errors = {}
    settings_row = QualificationSettings(pk=SETTINGS_PK, qualify_at=qualify_at, reject_below=reject_below)
    try:
        settings_row.full_clean(validate_unique=False, validate_constraints=False)
    except ValidationError as exc:
        errors["thresholds"] = exc.messages
    compiled = []
    for position, rule_input in enumerate(rules, start=1):
        rule = rule_input.as_model()
        try:
            rule.full_clean(exclude=["qualification_settings"], validate_unique=False)
        except ValidationError as exc:
            errors[f"rule {position}"] = exc.messages
        else:
            if rule.active:
                compiled.append(rule.compiled())
    if errors:
        details = "; ".join(f"{where}: {' '.join(messages)}" for where, messages in errors.items())
        raise ApplicationError(f"The criteria cannot be used: {details}", extra={"errors": errors})
    return CriteriaConfig(rules=tuple(compiled), qualify_at=qualify_at, reject_below=reject_below)


def criteria_save(
    *, actor: Actor, qualify_at: int, reject_below: int, rules: Sequence[RuleInput], reason: str = ""
) -> CriteriaChange | None:
    """Make these thresholds and exactly these rules the criteria in force (rules left out are deleted).

    Records what changed in a CriteriaChange and queues the re-classification of the open leads; converted,
    rejected and duplicate leads keep their last assessment. Returns None when nothing changed.
    """
    criteria_config_build(qualify_at=qualify_at, reject_below=reject_below, rules=rules)
    with transaction.atomic():
        settings_row, _ = QualificationSettings.objects.select_for_update().get_or_create(pk=SETTINGS_PK)
        before = _criteria_snapshot(settings_row)
        _rules_replace(rules)
        settings_row.qualify_at, settings_row.reject_below = qualify_at, reject_below
        settings_row.save()
        changes = _criteria_diff(before, _criteria_snapshot(settings_row))
        if not changes["summary"]:
            return None
        actor_row = actor_fields(actor)
        change = CriteriaChange.objects.create(
            changed_by=actor_row["actor"],
            actor_label=actor_row["actor_label"],
            reason=reason,
            summary="\n".join(changes.pop("summary")),
            changes=changes,
        )
        run = ReclassificationRun.objects.create(
            change=change, total=Lead.objects.filter(state__in=OPEN_STATES).count()
        )
        _enqueue_reclassification(run)
    return change


def _enqueue_reclassification(run: ReclassificationRun) -> None:
    from leadflow.qualification.tasks import reclassify_open_leads

    enqueue_on_commit(reclassify_open_leads, run.pk)


def _rules_replace(rules: Sequence[RuleInput]) -> None:
    existing = {rule.pk: rule for rule in QualificationRule.objects.select_for_update()}
    unknown = {r.id for r in rules if r.id is not None} - set(existing)
    if unknown:
        raise ApplicationError("Someone else changed the rules meanwhile; reload the page.", extra={"ids": unknown})
    QualificationRule.objects.exclude(pk__in=[r.id for r in rules if r.id is not None]).delete()
    for rule_input in rules:
        rule = existing.get(rule_input.id) or QualificationRule(qualification_settings_id=SETTINGS_PK)
        for attribute in RULE_ATTRIBUTES:
            setattr(rule, attribute, getattr(rule_input, attribute))
        rule.save()


def _criteria_snapshot(settings_row: QualificationSettings) -> dict[str, Any]:
    return {
        "thresholds": {"qualify_at": settings_row.qualify_at, "reject_below": settings_row.reject_below},
        "rules": {
            str(rule.pk): {a: getattr(rule, a) for a in RULE_ATTRIBUTES} | {"description": str(rule)}
            for rule in QualificationRule.objects.order_by("order", "id")
        },
    }


def _criteria_diff(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    threshold_labels = {"qualify_at": "Auto-qualify at", "reject_below": "Suggest rejection below"}
    thresholds = {
        name: [before["thresholds"][name], value]
        for name, value in after["thresholds"].items()
        if before["thresholds"][name] != value
    }
    old_rules, new_rules = before["rules"], after["rules"]
    added = [new_rules[pk] for pk in new_rules if pk not in old_rules]
    removed = [old_rules[pk] for pk in old_rules if pk not in new_rules]
    changed = []
    for pk in new_rules.keys() & old_rules.keys():
        fields = {
            a: [old_rules[pk][a], new_rules[pk][a]] for a in RULE_ATTRIBUTES if old_rules[pk][a] != new_rules[pk][a]
        }
        if fields:
            changed.append({"id": int(pk), "description": new_rules[pk]["description"], "fields": fields})
    summary = [
        *(f"{threshold_labels[name]}: {old} → {new}" for name, (old, new) in thresholds.items()),
        *(f"Added rule: {rule['description']}" for rule in added),
        *(f"Removed rule: {rule['description']}" for rule in removed),
        *(
            f"Changed rule {c['description']}: "
            + ", ".join(f"{a} {old!r} → {new!r}" for a, (old, new) in c["fields"].items())
            for c in sorted(changed, key=lambda c: c["id"])
        ),
    ]
    return {"thresholds": thresholds, "added": added, "removed": removed, "changed": changed, "summary": summary}


# --- Re-classifying open leads after a change ---------------------------------------------------


def criteria_reclassify(*, run_id: int, batch_size: int = RECLASSIFY_BATCH_SIZE) -> None:
    """Re-assess the open leads in id order, batch by batch, recording progress on the run. Safe to run twice:
    the run's cursor says where to go on. A validated lead that now fits and whose source auto-qualifies is
    qualified (by the system, naming the change); every other lead only gets its new suggestion. Nothing is ever
    un-qualified, and closed leads are not touched. A later change supersedes the run: the later run covers every
    open lead with the newer criteria."""
    run = ReclassificationRun.objects.select_related("change").filter(pk=run_id).first()
    if run is None or run.status in (ReclassificationRun.Status.DONE, ReclassificationRun.Status.SUPERSEDED):
        return
    ReclassificationRun.objects.filter(pk=run.pk, started_at__isnull=True).update(started_at=timezone.now())
    reason = f"Fits the conversion criteria since change {run.change_id} by {run.change.actor_label}."
    with criteria_config_scope():
        while True:
            if ReclassificationRun.objects.filter(pk__gt=run.pk).exists():
                _run_finish(run, ReclassificationRun.Status.SUPERSEDED)
                return
            to_qualify = _reclassify_next_batch(run.pk, batch_size)
            if to_qualify is None:
                break
            for lead in to_qualify:
                attempt_automatic(lead_qualify, lead=lead, actor=None, reason=reason)
            qualified = Lead.objects.filter(pk__in=[lead.pk for lead in to_qualify], state=LeadState.QUALIFIED).count()
            ReclassificationRun.objects.filter(pk=run.pk).update(qualified=F("qualified") + qualified)
    _run_finish(run, ReclassificationRun.Status.DONE)


def _reclassify_next_batch(run_id: int, batch_size: int) -> list[Lead] | None:
    """Assess and store the next batch; return its leads to qualify without a person (None when all are done)."""
    with transaction.atomic():
        run = ReclassificationRun.objects.select_for_update().get(pk=run_id)
        leads = list(
            Lead.objects.select_for_update()
            .filter(state__in=OPEN_STATES, pk__gt=run.last_lead_id)
            .order_by("pk")[:batch_size]
        )
        if not leads:
            return None
        assessments = {lead.pk: lead_assess(lead=lead) for lead in leads}
        lead_assessments_store(assessments)
        run.processed += len(leads)
        run.last_lead_id = leads[-1].pk
        run.status, run.heartbeat_at = ReclassificationRun.Status.RUNNING, timezone.now()
        run.save(update_fields=["processed", "last_lead_id", "status", "heartbeat_at"])
    auto_sources = auto_qualifying_sources()
    return [lead for lead in leads if _qualifies_without_a_person(lead, assessments[lead.pk], auto_sources)]


def criteria_reclassify_claim_stalled(*, older_than_seconds: int = RECLASSIFY_STALLED_AFTER_SECONDS) -> list[int]:
    """Claim unfinished runs that have made no progress for a while (lost message, killed worker)."""
    cutoff = timezone.now() - timezone.timedelta(seconds=older_than_seconds)
    unfinished = (ReclassificationRun.Status.PENDING, ReclassificationRun.Status.RUNNING)
    stalled_ids = list(
        ReclassificationRun.objects.filter(status__in=unfinished, heartbeat_at__lt=cutoff).values_list("pk", flat=True)
    )
    # A conditional update claims each run once even when two sweepers overlap.
    return [
        run_id
        for run_id in stalled_ids
        if ReclassificationRun.objects.filter(pk=run_id, heartbeat_at__lt=cutoff).update(heartbeat_at=timezone.now())
    ]


def _run_finish(run: ReclassificationRun, status: str) -> None:
    ReclassificationRun.objects.filter(pk=run.pk).update(status=status, finished_at=timezone.now())


# --- Trying criteria out before saving ----------------------------------------------------------


@dataclass(frozen=True)
class VerdictChange:
    lead_id: int
    lead_name: str
    state: str
    before: tuple[str, int]
    after: tuple[str, int]


@dataclass
class CriteriaPreview:
    """How the open leads are classified now and would be under the tried-out criteria."""

    open_leads: int = 0
    before: Counter = field(default_factory=Counter)
    after: Counter = field(default_factory=Counter)
    changed: int = 0
    newly_fit: int = 0  # leads that would newly be suggested as fits
    would_qualify: int = 0  # validated leads of auto-qualifying sources that saving would qualify
    sample: list[VerdictChange] = field(default_factory=list)

    def rows(self) -> list[tuple[str, int, int]]:
        return [(label, self.before[value], self.after[value]) for value, label in Verdict.choices]


def criteria_preview(*, proposed: CriteriaConfig, sample_size: int = PREVIEW_SAMPLE_SIZE) -> CriteriaPreview:
    """Classify every open lead under the criteria in force and under `proposed`. Writes nothing."""
    current = criteria_config_load()
    auto_sources = auto_qualifying_sources()
    preview = CriteriaPreview()
    for lead in _open_leads():
        before, after = _assess_with(lead, current), _assess_with(lead, proposed)
        preview.open_leads += 1
        preview.before[before.verdict] += 1
        preview.after[after.verdict] += 1
        if after.verdict == Verdict.QUALIFY and before.verdict != Verdict.QUALIFY:
            preview.newly_fit += 1
        if _qualifies_without_a_person(lead, after, auto_sources):
            preview.would_qualify += 1
        if before.verdict != after.verdict:
            preview.changed += 1
            if len(preview.sample) < sample_size:
                preview.sample.append(
                    VerdictChange(
                        lead.pk,
                        lead.display_name,
                        lead.get_state_display(),
                        (Verdict(before.verdict).label, before.score),
                        (Verdict(after.verdict).label, after.score),
                    )
                )
    return preview


def _open_leads() -> Iterable[Lead]:
    return Lead.objects.filter(state__in=OPEN_STATES).order_by("pk").iterator(chunk_size=2000)


def _assess_with(lead: Lead, config: CriteriaConfig) -> Assessment:
    with criteria_config_scope(config):
        return lead_assess(lead=lead)
