"""Screenshots of the workspace over demo data (`make screenshots`).

Everything runs in a throw-away data directory: a fresh SQLite database with the demo data, the app
on a free local port, and the local Salesforce sandbox so the conversion preview has something to ask.
Chromium (Debian's, at /usr/bin/chromium) then visits each screen and writes a PNG.
"""

import os
import socket
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

import requests
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from standins.devtools.chromium import CHROMIUM_ARGS, CHROMIUM_PATH

MANAGER = "maria.manager"
# Screens captured whole; the others show what fits the window, as a person first sees them.
FULL_PAGE = {"lead.png", "dashboard.png", "criteria.png"}


# The screenshots' throw-away database gets its own known password.
PASSWORD = "screenshot-demo-password"  # noqa: S105


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until_up(url: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            requests.get(url, timeout=1)
            return
        except requests.ConnectionError:
            time.sleep(0.2)
    raise CommandError(f"{url} did not come up within {timeout:.0f} s.")


class Command(BaseCommand):
    help = "Load demo data into a temporary database, start the app and write PNGs of each screen."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--output", default=str(settings.BASE_DIR / "docs" / "screenshots"))
        parser.add_argument("--chromium", default=CHROMIUM_PATH)

    def handle(self, *args: Any, output: str, chromium: str, **options: Any) -> None:
        out = Path(output)
        out.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(prefix="leadflow-screenshots-") as data_dir, ExitStack() as stack:
            sandbox_port, app_port = free_port(), free_port()
            env = {
                **os.environ,
                "LEADFLOW_DATA_DIR": data_dir,
                "DATABASE_URL": f"sqlite:///{data_dir}/leadflow.sqlite3",
                "CELERY_TASK_ALWAYS_EAGER": "true",
                "DEBUG": "true",
                "SALESFORCE_INSTANCE_URL": f"http://127.0.0.1:{sandbox_port}",
            }
            self._manage(env, "migrate", "--verbosity", "0")
            # The sandbox runs first: demo conversions are real, and with eager tasks they run during seeding.
            stack.enter_context(
                self._server(env, "salesforce_sandbox", "--port", str(sandbox_port), "--db", f"{data_dir}/sf.sqlite3")
            )
            wait_until_up(f"http://127.0.0.1:{sandbox_port}/")
            self._manage(env, "seed_demo", "--password", PASSWORD)
            stack.enter_context(self._server(env, "runserver", "--noreload", f"127.0.0.1:{app_port}"))
            base = f"http://127.0.0.1:{app_port}"
            wait_until_up(f"{base}/login/")
            written = self._shoot(base, out, chromium)
        for path in written:
            self.stdout.write(f"wrote {path}")

    def _manage(self, env: dict[str, str], *command: str) -> None:
        subprocess.run([sys.executable, "manage.py", *command], cwd=settings.BASE_DIR, env=env, check=True)

    @contextmanager
    def _server(self, env: dict[str, str], *command: str) -> Any:
        process = subprocess.Popen(
            [sys.executable, "manage.py", *command],
            cwd=settings.BASE_DIR,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            yield process
        finally:
            process.terminate()
            process.wait(timeout=10)

    def _shoot(self, base: str, out: Path, chromium: str) -> list[Path]:
        from playwright.sync_api import sync_playwright

        # (file, who, page, open its first lead?, element to capture)
        shots = [
            ("queue.png", MANAGER, "/?state=open&owner=&sort=due", False, None),
            ("lead.png", MANAGER, "/?state=qualified&sort=oldest", True, None),
            ("duplicate-merge.png", MANAGER, "/?state=all&has_duplicates=on", True, "#duplicates"),
            ("dashboard.png", MANAGER, "/dashboard/", False, None),
            ("criteria.png", MANAGER, "/manage/criteria/", False, None),
            ("sync-targets.png", MANAGER, "/manage/sync/", False, None),
            ("queue-phone.png", "sam.rep", "/", False, None),
            ("lead-phone.png", "sam.rep", "/", True, None),
            ("duplicate-merge-phone.png", MANAGER, "/?state=all&has_duplicates=on", True, "#duplicates"),
            ("criteria-phone.png", MANAGER, "/manage/criteria/", False, None),
        ]
        written = []
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
            for filename, username, path, open_first, element in tqdm(shots, desc="Screenshots", unit="png"):
                phone = filename.endswith("-phone.png")
                context = browser.new_context(
                    viewport={"width": 360, "height": 780} if phone else {"width": 1440, "height": 1000},
                    device_scale_factor=2 if phone else 1,
                    is_mobile=phone,
                )
                page = context.new_page()
                self._sign_in(page, base, username)
                page.goto(f"{base}{path}")
                if open_first:
                    page.locator("a.lead-link").first.click()
                    page.wait_for_url("**/leads/*/")
                page.wait_for_load_state("networkidle")
                target = out / filename
                if element:
                    page.locator(element).screenshot(path=str(target))
                else:
                    page.screenshot(path=str(target), full_page=filename in FULL_PAGE)
                written.append(target)
                context.close()
            browser.close()
        return written

    def _sign_in(self, page: Any, base: str, username: str) -> None:
        page.goto(f"{base}/login/")
        page.fill("#id_username", username)
        page.fill("#id_password", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url(f"{base}/")
