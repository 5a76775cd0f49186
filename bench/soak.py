"""Soak test of `bin/run`: the demo under a steady load of form posts plus file imports, for as long as asked.

    python bench/soak.py --minutes 30 --rate 20 --imports 5

Starts `bin/run` in a throw-away data folder on free ports (the per-IP form limit raised, since all posts come
from one address), creates a hosted form, then posts `--rate` submissions a second and runs `--imports` imports
of 200 lead-shaped rows spread over the run. Prints a progress line a minute and a summary: posts answered, errors,
latency percentiles, leads created vs. processed by the worker, and whether any process exited (bin/supervise logs
every restart). Exit status 1 if any process exited or any post failed.
"""

import argparse
import csv
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def manage(env: dict[str, str], *args: str) -> str:
    """Run a management command; its last line of output (shell -c prints what we asked for last)."""
    return (
        subprocess.run(
            [sys.executable, "manage.py", *args], cwd=ROOT, env=env, check=True, capture_output=True, text=True
        )
        .stdout.strip()
        .splitlines()[-1]
    )


def lead_rows(batch: int, count: int = 200) -> list[list[str]]:
    return [
        [
            f"Soak{batch}",
            f"Lead{n}",
            f"soak{batch}.{n}@bakkerij-{n % 37}.nl",
            f"+31 20 {1000000 + n}",
            f"Bakkerij {n % 37} B.V.",
            "Dorpsstraat 1",
            "1011 AB",
            "Amsterdam",
            "NL",
        ]
        for n in range(count)
    ]


def write_import(folder: Path, batch: int) -> Path:
    path = folder / f"import-{batch}.csv"
    with path.open("w", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(
            ["first_name", "last_name", "email", "phone", "company", "street", "postcode", "city", "country"]
        )
        writer.writerows(lead_rows(batch))
    return path


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--minutes", type=float, default=10)
    parser.add_argument("--rate", type=float, default=20, help="form posts per second")
    parser.add_argument("--imports", type=int, default=5)
    options = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="leadflow-soak-"))
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "CELERY_BROKER_URL", "CACHE_URL")}
    env.update(
        LEADFLOW_DATA_DIR=str(work / "var"),
        LEADFLOW_PORT=str(port),
        SALESFORCE_SANDBOX_PORT=str(free_port()),
        EXACT_STANDIN_PORT=str(free_port()),
        LEADFLOW_FORM_RATE_LIMIT_PER_IP="1000000/m",
        LEADFLOW_FORM_RATE_LIMIT_PER_FORM="1000000/m",
        DJANGO_SETTINGS_MODULE="leadflow.settings",
    )
    log = work / "run.log"
    run = subprocess.Popen(
        ["bin/run"], cwd=ROOT, env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT, start_new_session=True
    )
    base = f"http://127.0.0.1:{port}"
    try:
        while not (work / "var" / "run" / "logins.txt").exists():
            if run.poll() is not None:
                print(log.read_text()[-3000:])
                return 1
            time.sleep(1)
        key = manage(
            env,
            "shell",
            "-c",
            (
                "from leadflow.intake.models import LeadForm, FormField;"
                "f = LeadForm.objects.create(name='Soak', source='soak', min_fill_seconds=0, consent_text_en='OK');"
                "FormField.objects.create(form=f, name='email', label_en='Email', required=True);"
                "FormField.objects.create(form=f, name='company', label_en='Company');"
                "print(f.key)"
            ),
        ).strip()
        print(
            f"bin/run up on {base}; data in {work}; form {key}; {options.rate}/s for {options.minutes} min", flush=True
        )
        return soak(options, env, base, key, work, run, log)
    finally:
        os.killpg(run.pid, signal.SIGTERM)
        run.wait(timeout=120)


def soak(options, env, base, key, work, run, log) -> int:
    url = f"{base}/intake/forms/{key}/submit"
    latencies, failures, lock = [], [], threading.Lock()
    session = requests.Session()

    def post(n: int) -> None:
        body = {"email": f"visitor{n}@example{n % 97}.nl", "company": f"Visitor {n % 97} BV", "consent": True}
        started = time.monotonic()
        try:
            response = session.post(url, json=body, timeout=30)
            ok = response.status_code == 200
            detail = f"{response.status_code} {response.text[:120]}"
        except requests.RequestException as exc:
            ok, detail = False, repr(exc)
        with lock:
            latencies.append(time.monotonic() - started)
            if not ok:
                failures.append(detail)

    duration = options.minutes * 60
    import_at = [duration * (i + 0.5) / options.imports for i in range(options.imports)]
    imports_done = []
    start = time.monotonic()
    next_report = 60.0
    sent = 0
    with ThreadPoolExecutor(max_workers=32) as pool:
        while (elapsed := time.monotonic() - start) < duration:
            due = int(elapsed * options.rate)
            while sent < due:
                pool.submit(post, sent)
                sent += 1
            if import_at and elapsed >= import_at[0]:
                import_at.pop(0)
                path = write_import(work, len(imports_done))
                threading.Thread(target=lambda p=path: imports_done.append(manage(env, "import_leads", str(p)))).start()
            if elapsed >= next_report:
                next_report += 60
                with lock:
                    print(
                        f"{elapsed / 60:5.1f} min: {sent} posted, {len(failures)} failed, "
                        f"{len(imports_done)} imports done, bin/run alive: {run.poll() is None}",
                        flush=True,
                    )
            time.sleep(0.01)
    while len(imports_done) < options.imports and time.monotonic() - start < duration + 600:
        time.sleep(1)

    counts = manage(
        env,
        "shell",
        "-c",
        (
            "from leadflow.leads.models import Lead;"
            "print(Lead.objects.count(), Lead.objects.filter(checks_due_at__isnull=False).count())"
        ),
    ).split()
    restarts = [line for line in log.read_text(errors="replace").splitlines() if "supervise[" in line]
    p50, p95 = statistics.median(latencies), statistics.quantiles(latencies, n=20)[-1]
    print(
        f"\nSoak: {options.minutes} min at {options.rate}/s: {len(latencies)} posts, {len(failures)} failed; "
        f"latency p50 {p50 * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms; {len(imports_done)} imports of 200 rows"
    )
    print(f"Leads: {counts[0]} in the database, {counts[1]} still waiting for the worker at the end")
    print(f"Processes that exited (bin/supervise): {len(restarts)}; bin/run alive: {run.poll() is None}")
    for line in restarts[:10] + failures[:10]:
        print("  ", line)
    return 0 if not failures and not restarts and run.poll() is None else 1


if __name__ == "__main__":
    sys.exit(main())
