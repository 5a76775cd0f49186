"""`bin/run` as a new user starts it: everything comes up, the logins are printed last and kept, and a worker
killed with -9 is restarted while the web process keeps answering."""

import os
import signal
import socket
import subprocess
import urllib.request
from pathlib import Path

import pytest

from tests.helpers import wait_for

ROOT = Path(__file__).resolve().parents[2]
# Guards against a hang only: every wait below returns as soon as its condition holds.
STARTUP_GUARD_SECONDS = 600
RESTART_GUARD_SECONDS = 120


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_until(condition, guard_seconds: float, what: str, log: Path) -> None:
    if not wait_for(condition, timeout=guard_seconds, interval=0.2):
        pytest.fail(f"{what}: not after {guard_seconds} s.\n--- bin/run log (tail) ---\n{log.read_text()[-4000:]}")


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status == 200
    except OSError:
        return False


def _pid(path: Path) -> int | None:
    try:
        return int(path.read_text())
    except (OSError, ValueError):
        return None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


@pytest.fixture
def running_demo(tmp_path):
    port = _free_port()
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("DATABASE_URL", "CELERY_BROKER_URL", "CACHE_URL") and not key.startswith("PYTEST")
    }
    env.update(
        LEADFLOW_DATA_DIR=str(tmp_path / "var"),
        LEADFLOW_PORT=str(port),
        SALESFORCE_SANDBOX_PORT=str(_free_port()),
        EXACT_STANDIN_PORT=str(_free_port()),
        DJANGO_SETTINGS_MODULE="leadflow.settings",
    )
    log = tmp_path / "run.log"
    process = subprocess.Popen(
        ["bin/run"], cwd=ROOT, env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT, start_new_session=True
    )
    try:
        yield process, tmp_path / "var", f"http://127.0.0.1:{port}/", log
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=60)


def test_a_worker_killed_with_sigkill_is_restarted_while_web_stays_up_and_ctrl_c_stops_all(running_demo):
    process, data_dir, url, log = running_demo
    logins = data_dir / "run" / "logins.txt"
    _wait_until(logins.exists, STARTUP_GUARD_SECONDS, "bin/run printed the logins", log)
    password = (data_dir / "demo-password").read_text().strip()
    assert password in logins.read_text()
    # The logins come once web answers, after its start-up lines, instead of scrolling away before them.
    output = log.read_text()
    assert output.index("Leadflow is up") > output.index("Starting development server")

    worker_pid_file = data_dir / "run" / "worker.pid"
    _wait_until(lambda: log.read_text().count(" ready.") >= 1, STARTUP_GUARD_SECONDS, "worker ready", log)
    first_worker = _pid(worker_pid_file)
    os.kill(first_worker, signal.SIGKILL)

    _wait_until(
        lambda: (pid := _pid(worker_pid_file)) not in (None, first_worker) and _alive(pid),
        RESTART_GUARD_SECONDS,
        "a new worker process",
        log,
    )
    _wait_until(lambda: log.read_text().count(" ready.") >= 2, RESTART_GUARD_SECONDS, "restarted worker ready", log)
    assert "supervise[worker]: exited with status 137" in log.read_text()
    assert process.poll() is None, "bin/run exited"
    assert _answers(f"{url}login/")

    pids = [_pid(f) for f in (data_dir / "run").glob("*.pid")]
    assert len(pids) == len((ROOT / "Procfile.dev").read_text().splitlines())  # one per process: web, worker, …
    os.killpg(process.pid, signal.SIGTERM)  # what Ctrl-C or a service manager does
    process.wait(timeout=60)
    _wait_until(lambda: not any(_alive(pid) for pid in pids), 60, "every process bin/run started stopped", log)
