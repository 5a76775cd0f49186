from datetime import timedelta

import pytest
from django.utils import timezone

from tests.sync.factories import ExactTargetFactory, exact_connect


@pytest.fixture
def let_time_pass(exact_standin, monkeypatch):
    """Move Leadflow's clock (`timezone.now`, the one seam) and the stand-in's forward together, so the 10-minute
    tokens and Exact's 570-second renewal rule can be exercised without waiting."""
    skipped = timedelta()
    real_now = timezone.now

    def now():
        return real_now() + skipped

    def let_pass(seconds: float) -> None:
        nonlocal skipped
        skipped += timedelta(seconds=seconds)
        exact_standin.advance_clock(seconds)

    monkeypatch.setattr(timezone, "now", now)
    return let_pass


@pytest.fixture
def target(exact_settings, exact_standin):
    """An Exact target, connected."""
    target = ExactTargetFactory()
    exact_connect(exact_standin, target)
    return target
