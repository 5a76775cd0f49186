"""Alerting: email the configured addresses and log at error level when a target keeps failing or its queue
grows old. Each alert is sent once per reason (and again after SYNC_ALERT_REPEAT_SECONDS if still true)."""

import logging
from datetime import timedelta

from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.utils import timezone

from leadflow.sync.models import DeliveryAttempt, SyncTarget
from leadflow.sync.selectors import TargetHealth, sync_recent_outcomes, sync_target_health

logger = logging.getLogger(__name__)


def sync_alert_reason(health: TargetHealth) -> str:
    """Why this target needs a person's attention, in plain words; "" when it is fine."""
    now = timezone.now()
    streak = settings.SYNC_ALERT_FAILURES
    recent = sync_recent_outcomes(target=health.target, count=streak)
    if len(recent) == streak and DeliveryAttempt.Outcome.DELIVERED not in recent:
        return f"The last {streak} deliveries to {health.target.name} all failed."
    limit = timedelta(seconds=settings.SYNC_ALERT_QUEUE_AGE_SECONDS)
    if health.oldest_pending_at and now - health.oldest_pending_at > limit:
        waited = int((now - health.oldest_pending_at).total_seconds() // 60)
        return f"The oldest job for {health.target.name} has waited {waited} minutes ({health.queued} queued)."
    return ""


def sync_alerts_check() -> list[str]:
    """Send the alerts that are due; returns their reasons."""
    sent = []
    for health in sync_target_health():
        target = health.target
        if not target.enabled:
            continue
        reason = sync_alert_reason(health)
        if not reason:
            if target.alert_reason:
                logger.info("Sync target %s recovered: %s", target.name, target.alert_reason)
                SyncTarget.objects.filter(pk=target.pk).update(alert_reason="", alerted_at=None)
            continue
        if _already_told(target, reason):
            continue
        _send(target, reason, health)
        SyncTarget.objects.filter(pk=target.pk).update(alert_reason=reason[:255], alerted_at=timezone.now())
        sent.append(reason)
    return sent


def _already_told(target: SyncTarget, reason: str) -> bool:
    repeat_after = timedelta(seconds=settings.SYNC_ALERT_REPEAT_SECONDS)
    return bool(
        target.alert_reason == reason[:255] and target.alerted_at and timezone.now() - target.alerted_at < repeat_after
    )


def _send(target: SyncTarget, reason: str, health: TargetHealth) -> None:
    logger.error("Sync alert for target %s: %s", target.name, reason)
    if not settings.SYNC_ALERT_EMAILS:
        return
    context = {"target": target, "reason": reason, "health": health, "base_url": settings.LEADFLOW_BASE_URL}
    send_mail(
        subject=render_to_string("sync/email/alert_subject.txt", context).strip(),
        message=render_to_string("sync/email/alert_body.txt", context),
        html_message=render_to_string("sync/email/alert_body.html", context),
        from_email=None,
        recipient_list=settings.SYNC_ALERT_EMAILS,
    )
