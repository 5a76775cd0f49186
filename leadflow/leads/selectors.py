from django.db.models import Count, QuerySet

from leadflow.leads.models import Lead, LeadEvent


def lead_state_counts() -> dict[str, int]:
    return dict(Lead.objects.order_by().values_list("state").annotate(n=Count("pk")))


def lead_audit_trail(*, lead: Lead) -> QuerySet[LeadEvent]:
    return lead.events.select_related("actor").order_by("created_at", "id")
