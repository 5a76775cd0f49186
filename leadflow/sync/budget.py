"""Call budgets shared by every worker: at most `limit` calls to one outside system in any sliding window.

Exact Online allows 60 calls a minute per app and division, counted in whole minutes by its own clock. Workers
that each trust the last answer's `X-RateLimit-Minutely-Remaining` read a stale figure, so four of them overshoot
when a minute starts. Here every call first takes a slot in the database row of its budget: the row is locked
only while the slot is taken (never across the call), and a slot is granted only while fewer than `limit` calls
were sent in the last `window` seconds. The window is a little longer than the vendor's minute, so any minute the
vendor counts lies inside one of ours whatever the clock skew or network delay (up to that margin): the vendor's
count is never exceeded, and a steady stream still gets `limit` calls per window.
"""

import time
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils import timezone

from leadflow.sync.models import CallBudget


@dataclass(frozen=True)
class Budget:
    key: str  # e.g. "exact:<client id>:<division>": every target sharing the vendor's counter shares the row
    limit: int
    window_seconds: float


def call_budget_take(*, budget: Budget) -> float:
    """Take one call slot. Returns 0 when taken, else the seconds until a slot frees up (nothing taken)."""
    _ensure_row(budget.key)
    with transaction.atomic():
        row = CallBudget.objects.select_for_update().get(key=budget.key)
        now = timezone.now().timestamp()
        recent = [sent for sent in row.sent if sent > now - budget.window_seconds]
        if len(recent) < budget.limit:
            row.sent = [*recent, now]
            row.save(update_fields=["sent"])
            return 0.0
    # The slot that frees first is the oldest of the last `limit` calls.
    return max(recent[-budget.limit] + budget.window_seconds - now, 0.001)


def call_budget_wait(*, budget: Budget, longest_wait: float) -> float:
    """Take a slot, sleeping for it when one frees within `longest_wait` seconds. Returns 0 when taken, else the
    (longer) wait the caller should defer its work by."""
    while True:
        wait = call_budget_take(budget=budget)
        if wait == 0.0 or wait > longest_wait:
            return wait
        time.sleep(wait)


def _ensure_row(key: str) -> None:
    if CallBudget.objects.filter(key=key).exists():
        return
    try:
        with transaction.atomic():
            CallBudget.objects.create(key=key)
    except IntegrityError:
        pass  # Another worker created it first.


def call_budget_take_or_defer(*, budget: Budget, longest_wait: float, system: str, per: str) -> None:
    """Take a slot (waiting up to `longest_wait`), or defer the job until one frees: raises TargetDeferred."""
    from leadflow.sync.targets import TargetDeferred

    wait = call_budget_wait(budget=budget, longest_wait=longest_wait)
    if wait:
        raise TargetDeferred(
            f"{system}'s {budget.limit} calls per {per} are taken by other deliveries; waiting for a free one.",
            retry_after=wait,
        )
