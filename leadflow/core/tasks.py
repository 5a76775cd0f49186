import atexit
import logging
import os
import queue
import threading
import time
from collections.abc import Callable
from functools import partial
from typing import Any

from celery import Task, shared_task
from django.db import transaction

logger = logging.getLogger(__name__)

# Wake-ups waiting for the background publisher. Bounded: while the broker is unreachable the oldest work is
# safe in the database anyway, so beyond this many the newest wake-ups are dropped (and logged) instead.
WAKE_UP_BACKLOG = 10_000
FLUSH_AT_EXIT_SECONDS = 5.0


# Called with no arguments when a message could not be published, to record that in the database.
OnFailure = Callable[[], None] | None


def enqueue(task: Task, *args: Any, on_failure: OnFailure = None) -> None:
    """Publish a task now. A broker outage is logged, not raised: the work is recorded in the database
    and the periodic sweeper enqueues it again, so a caller's committed write is never reported as failed.
    `on_failure` lets the caller note the lost message so the sweeper re-sends it soon."""
    try:
        task.delay(*args)
    except Exception:
        logger.warning("Could not publish %s%r; the sweeper will pick it up.", task.name, args, exc_info=True)
        if on_failure is not None:
            try:
                on_failure()
            except Exception:
                logger.warning("Could not record the lost message %s%r either.", task.name, args, exc_info=True)


def enqueue_on_commit(task: Task, *args: Any, on_failure: OnFailure = None) -> None:
    """Publish a task once the current transaction commits, so the worker sees the committed rows."""
    transaction.on_commit(partial(enqueue, task, *args, on_failure=on_failure))


def wake_on_commit(task: Task, *args: Any, on_failure: OnFailure = None) -> None:
    """Like `enqueue_on_commit`, but the caller never waits for the broker: after commit the message is handed
    to this process's publisher thread. Only for work the database records as pending and a sweeper re-sends
    (e.g. a lead's `checks_due_at`), because a message still waiting when the process dies is lost."""
    transaction.on_commit(partial(_wake, task, *args, on_failure=on_failure))


def wake_ups_pending() -> int:
    """Wake-ups handed to the publisher and not yet published (or given up on)."""
    return _publisher.backlog.unfinished_tasks


def _wake(task: Task, *args: Any, on_failure: OnFailure = None) -> None:
    if task.app.conf.task_always_eager:
        enqueue(task, *args)  # runs the task here and now; there is no broker to wait for
        return
    _publisher.start_once()
    try:
        _publisher.backlog.put_nowait((task, args, on_failure))
    except queue.Full:
        logger.warning("Publisher backlog full; dropped %s%r, the sweeper will pick it up.", task.name, args)


class _Publisher:
    """One daemon thread per process that publishes queued wake-ups in order."""

    def __init__(self) -> None:
        self.reset()
        os.register_at_fork(after_in_child=self.reset)  # gunicorn workers each start their own thread
        atexit.register(self.flush, FLUSH_AT_EXIT_SECONDS)

    def reset(self) -> None:
        self.backlog: queue.Queue[tuple[Task, tuple, OnFailure]] = queue.Queue(maxsize=WAKE_UP_BACKLOG)
        self.lock = threading.Lock()
        self.thread: threading.Thread | None = None

    def start_once(self) -> None:
        if self.thread is not None:
            return
        with self.lock:
            if self.thread is None:
                self.thread = threading.Thread(target=self.publish_forever, name="leadflow-wake-ups", daemon=True)
                self.thread.start()

    def publish_forever(self) -> None:
        while True:
            task, args, on_failure = self.backlog.get()
            try:
                enqueue(task, *args, on_failure=on_failure)
            finally:
                self.backlog.task_done()

    def flush(self, seconds: float) -> None:
        """At exit (a management command, a stopping worker), give queued wake-ups a moment to go out."""
        deadline = time.monotonic() + seconds
        while self.backlog.unfinished_tasks and self.thread is not None and time.monotonic() < deadline:
            time.sleep(0.01)


_publisher = _Publisher()


@shared_task
def beat_heartbeat() -> None:
    """Scheduled by beat: records that periodic work runs, for the `/health/` check."""
    from django.utils import timezone

    from leadflow.core.models import Heartbeat

    Heartbeat.objects.update_or_create(name="beat", defaults={"at": timezone.now()})
