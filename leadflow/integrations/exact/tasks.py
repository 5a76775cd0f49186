import logging

from celery import shared_task

from leadflow.integrations.exact.receivables import exact_open_items_refresh
from leadflow.sync.models import SyncTarget
from leadflow.sync.targets import TargetError

logger = logging.getLogger(__name__)


@shared_task(ignore_result=True)
def refresh_exact_open_items() -> None:
    """Beat task: read back what every Exact target's customers still owe. A target that cannot be read now (not
    connected, rate limit used up) is skipped until the next run."""
    for target in SyncTarget.objects.filter(kind="exact", enabled=True):
        try:
            exact_open_items_refresh(target=target)
        except TargetError as error:
            logger.warning("Open items of %s not read: %s", target.name, error.message)
