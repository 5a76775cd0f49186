"""Reads for the WooCommerce source."""

from django.db.models import Case, IntegerField, Q, Value, When

from leadflow.core.normalize import email_key
from leadflow.leads.models import Lead, LeadState
from leadflow.quality.models import LeadFingerprint


def lead_for_email(email: str) -> Lead | None:
    """The lead this address already belongs to: a customer first, then an open lead, then a rejected one.

    Looks at the matching keys (so `Anna.Jansen+shop@gmail.com` finds `annajansen@gmail.com`) and at the
    stored address as typed or in lower case (a lead whose checks have not run yet has no keys).
    """
    key = email_key(email)
    if not key:
        return None
    ids = set(LeadFingerprint.objects.filter(email_key=key).values_list("lead_id", flat=True)[:50])
    rank = Case(
        When(state=LeadState.CONVERTED, then=Value(0)),
        When(state=LeadState.REJECTED, then=Value(2)),
        default=Value(1),
        output_field=IntegerField(),
    )
    typed = {email.strip(), email.strip().lower()}  # exact matches use the index on Lead.email
    candidates = Lead.objects.filter(Q(pk__in=ids) | Q(email__in=typed)).exclude(state=LeadState.DUPLICATE)
    return candidates.annotate(rank=rank).order_by("rank", "created_at", "pk").first()
