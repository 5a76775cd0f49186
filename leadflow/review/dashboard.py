"""Selectors for the funnel dashboard: a handful of grouped queries over the leads of a period."""

from dataclasses import dataclass
from datetime import date, timedelta
from statistics import median

from django.db.models import Count, Q
from django.db.models.functions import TruncWeek
from django.utils import timezone

from leadflow.leads.models import Lead, LeadEvent, LeadState
from leadflow.quality.models import DuplicateCandidate

TOP_REJECTION_REASONS = 10


@dataclass(frozen=True)
class SourceConversion:
    source: str
    leads: int
    converted: int

    @property
    def rate(self) -> float:
        return self.converted / self.leads if self.leads else 0.0


@dataclass(frozen=True)
class FunnelReport:
    days: int
    weeks: list[date]
    states: list[tuple[str, str]]
    per_week: dict[str, list[int]]  # state -> leads created that week now in that state, aligned with `weeks`
    by_source: list[SourceConversion]
    median_hours_to_convert: float | None
    converted: int
    duplicates_held: int
    duplicates_caught: int
    candidates_by_status: dict[str, int]
    rejected_by_reason: list[tuple[str, int]]
    total: int

    def weekly_rows(self) -> list[list]:
        return [[week, *(self.per_week[key][i] for key, _ in self.states)] for i, week in enumerate(self.weeks)]

    def chart_data(self) -> dict:
        """The figures the charts draw, for `json_script` (labels are escaped there, never inlined as code)."""
        return {
            "weeks": [week.isoformat() for week in self.weeks],
            "states": [{"key": key, "label": label, "counts": self.per_week[key]} for key, label in self.states],
            "sources": [s.source or "(none)" for s in self.by_source],
            "sourceRates": [round(100 * s.rate, 1) for s in self.by_source],
            "reasons": [reason for reason, _ in self.rejected_by_reason],
            "reasonCounts": [count for _, count in self.rejected_by_reason],
        }


def funnel_report(*, days: int) -> FunnelReport:
    since = timezone.now() - timedelta(days=days)
    leads = Lead.objects.filter(created_at__gte=since).order_by()

    weekly = leads.annotate(week=TruncWeek("created_at")).values_list("week", "state").annotate(n=Count("pk"))
    weeks = sorted({week.date() for week, _, _ in weekly})
    per_week = {state: [0] * len(weeks) for state in LeadState.values}
    index = {week: i for i, week in enumerate(weeks)}
    for week, state, n in weekly:
        per_week[state][index[week.date()]] += n

    by_source = [
        SourceConversion(source, total, converted)
        for source, total, converted in leads.values_list("source")
        .annotate(total=Count("pk"), converted=Count("pk", filter=Q(state=LeadState.CONVERTED)))
        .order_by("-total", "source")
    ]

    conversions = LeadEvent.objects.filter(
        kind=LeadEvent.Kind.TRANSITION, to_state=LeadState.CONVERTED, lead__created_at__gte=since
    ).values_list("created_at", "lead__created_at")
    hours = [(converted_at - created_at).total_seconds() / 3600 for converted_at, created_at in conversions]

    rejected = (
        leads.filter(state=LeadState.REJECTED)
        .values_list("rejection_reason")
        .annotate(n=Count("pk"))
        .order_by("-n", "rejection_reason")[:TOP_REJECTION_REASONS]
    )
    candidates = (
        DuplicateCandidate.objects.filter(lead__created_at__gte=since)
        .order_by()
        .values_list("status")
        .annotate(n=Count("pk"))
    )
    return FunnelReport(
        days=days,
        weeks=weeks,
        states=list(LeadState.choices),
        per_week=per_week,
        by_source=by_source,
        median_hours_to_convert=median(hours) if hours else None,
        converted=len(hours),
        duplicates_held=sum(per_week[LeadState.DUPLICATE]),
        duplicates_caught=leads.filter(duplicate_candidates__isnull=False).distinct().count(),
        candidates_by_status=dict(candidates),
        rejected_by_reason=[(reason or "(no reason)", n) for reason, n in rejected],
        total=sum(sum(counts) for counts in per_week.values()),
    )
