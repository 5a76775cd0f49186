"""Telling people about their leads: an in-app bell and, if they like, an email through the configured backend.

Assignments notify at once; a sweep (every minute, `review.tasks.send_due_notifications`) tells owners about
response targets about to pass, duplicates found and conversions that failed. Each notice is stored once
(`Notification.key`), so the sweep is safe to run twice and never repeats itself.
"""

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import CharField, Exists, OuterRef, Q
from django.db.models.functions import Cast
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from leadflow.crm.models import Conversion, ConversionStatus
from leadflow.leads.models import Lead
from leadflow.quality.models import CandidateStatus, DuplicateCandidate
from leadflow.review.models import Notification, NotificationKind, SalesProfile
from leadflow.review.selectors import human_events, response_targets, waiting_for_person_condition

PREFERENCE = {
    NotificationKind.ASSIGNED: "notify_assigned",
    NotificationKind.RESPONSE_DUE: "notify_response_due",
    NotificationKind.DUPLICATE: "notify_duplicate",
    NotificationKind.CONVERSION_FAILED: "notify_conversion_failed",
}


def notify(*, user: AbstractBaseUser | None, kind: str, lead: Lead, message: str, key: str = "") -> Notification | None:
    """Store the notice (once per key) and email it after commit, unless the person switched this kind off."""
    if user is None or not user.is_active:
        return None
    profile = SalesProfile.objects.filter(user=user).first() or SalesProfile(user=user)
    if not getattr(profile, PREFERENCE[kind]):
        return None
    try:
        with transaction.atomic():
            notification = Notification.objects.create(user=user, kind=kind, lead=lead, key=key, message=message)
    except IntegrityError:
        return None  # told already
    if profile.notify_by_email and user.email:
        transaction.on_commit(lambda: _email(notification))
    return notification


def _email(notification: Notification) -> None:
    context = {
        "notification": notification,
        "lead_url": settings.LEADFLOW_BASE_URL + reverse("review:lead", args=[notification.lead_id]),
    }
    send_mail(
        subject=render_to_string("review/email/notification_subject.txt", context).strip(),
        message=render_to_string("review/email/notification_body.txt", context),
        from_email=None,
        recipient_list=[notification.user.email],
        html_message=render_to_string("review/email/notification_body.html", context),
    )


def notify_assigned(*, lead: Lead, actor: Any) -> None:
    """The new owner hears about a lead given to them by a rule or by someone else (not when they took it)."""
    if lead.owner is None or (isinstance(actor, AbstractBaseUser) and actor.pk == lead.owner_id):
        return
    notify(
        user=lead.owner,
        kind=NotificationKind.ASSIGNED,
        lead=lead,
        key=f"{timezone.now():%Y%m%d%H%M%S%f}",
        message=f"{lead.display_name} is now yours.",
    )


def notifications_sweep(*, now: Any = None) -> int:
    """Tell owners what changed for their leads since the last sweep; returns how many notices were made."""
    now = now or timezone.now()
    return _response_due(now) + _duplicates_found() + _conversions_failed()


def _response_due(now: Any) -> int:
    """Owned leads nobody has answered whose response target passes within LEADFLOW_RESPONSE_WARNING_MINUTES."""
    warning = timedelta(minutes=settings.LEADFLOW_RESPONSE_WARNING_MINUTES)
    targets = response_targets()
    default_hours = settings.LEADFLOW_FIRST_RESPONSE_HOURS
    deadline_soon = _deadline_between(now, now + warning, default_hours, targets)
    leads = (
        Lead.objects.filter(owner__isnull=False)
        .filter(waiting_for_person_condition(), deadline_soon)
        .exclude(Exists(human_events()))
        .select_related("owner")
    )
    made = 0
    for lead in leads:
        hours = targets.get(lead.source, default_hours)
        minutes = max(1, round((lead.created_at + timedelta(hours=hours) - now).total_seconds() / 60))
        message = f"Respond to {lead.display_name} within {minutes} minutes to meet the {hours}-hour target."
        made += bool(notify(user=lead.owner, kind=NotificationKind.RESPONSE_DUE, lead=lead, message=message))
    return made


def _deadline_between(start: Any, end: Any, default_hours: int, targets: dict[str, int]) -> Q:
    def window(hours: int) -> Q:
        return Q(created_at__gt=start - timedelta(hours=hours), created_at__lte=end - timedelta(hours=hours))

    condition = window(default_hours) & ~Q(source__in=list(targets))
    for source, hours in targets.items():
        condition |= Q(source=source) & window(hours)
    return condition


def _duplicates_found() -> int:
    made = 0
    candidates = DuplicateCandidate.objects.filter(
        status=CandidateStatus.OPEN, lead__owner__isnull=False
    ).select_related("lead__owner")
    # The notice's key is the candidate's id as text (PostgreSQL compares text with a number only when told to).
    noticed = Notification.objects.filter(kind=NotificationKind.DUPLICATE, key=Cast(OuterRef("pk"), CharField()))
    candidates = candidates.exclude(Exists(noticed))
    for candidate in candidates[:500]:
        lead = candidate.lead
        message = f"{lead.display_name} may be a duplicate of {candidate.target_label}."
        made += bool(
            notify(user=lead.owner, kind=NotificationKind.DUPLICATE, lead=lead, message=message, key=str(candidate.pk))
        )
    return made


def _conversions_failed() -> int:
    made = 0
    failed = Conversion.objects.filter(status=ConversionStatus.FAILED, lead__owner__isnull=False).select_related(
        "lead__owner"
    )
    for conversion in failed[:500]:
        lead = conversion.lead
        message = f"Converting {lead.display_name} to Salesforce failed: {conversion.last_error or 'no reason given'}"
        made += bool(
            notify(
                user=lead.owner,
                kind=NotificationKind.CONVERSION_FAILED,
                lead=lead,
                message=message[:500],
                key=f"attempt-{conversion.attempts}",
            )
        )
    return made


def notifications_for(user: AbstractBaseUser, *, limit: int = 50) -> list[Notification]:
    return list(Notification.objects.filter(user=user).select_related("lead")[:limit])


def notifications_unread_count(user: AbstractBaseUser) -> int:
    return Notification.objects.filter(user=user, read_at__isnull=True).count()


def notifications_mark_read(*, user: AbstractBaseUser) -> int:
    return Notification.objects.filter(user=user, read_at__isnull=True).update(read_at=timezone.now())
