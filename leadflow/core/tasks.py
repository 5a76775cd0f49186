import logging
from functools import partial
from typing import Any

from celery import Task
from django.db import transaction

logger = logging.getLogger(__name__)


def enqueue(task: Task, *args: Any) -> None:
    """Publish a task now. A broker outage is logged, not raised: the work is recorded in the database
    and the periodic sweeper enqueues it again, so a caller's committed write is never reported as failed."""
    try:
        task.delay(*args)
    except Exception:
        logger.warning("Could not publish %s%r; the sweeper will pick it up.", task.name, args, exc_info=True)


def enqueue_on_commit(task: Task, *args: Any) -> None:
    """Publish a task once the current transaction commits, so the worker sees the committed rows."""
    transaction.on_commit(partial(enqueue, task, *args))
