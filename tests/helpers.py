"""Helpers shared by tests."""

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from socketserver import BaseServer


def wait_for(condition: Callable[[], object], *, timeout: float = 60.0, interval: float = 0.05) -> bool:
    """Poll `condition` until it holds; True then, False once `timeout` seconds have passed.

    Tests wait on conditions, never on elapsed time: the guard is generous so that a busy machine only makes a
    passing test slower, never failing. Always assert the result (`assert wait_for(...)`), or a test can go on
    from a state it never reached.
    """
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() >= deadline:
            return bool(condition())
        time.sleep(interval)
    return True


@contextmanager
def served(server: BaseServer) -> Iterator[None]:
    """Serve `server` on a background thread for the block; then shut it down and close its socket."""
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
