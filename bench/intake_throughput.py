"""Form submissions per second and latency, intake vs a bare Django view, on PostgreSQL behind gunicorn.

    /work/main/.venv/bin/python bench/intake_throughput.py [--seconds 10] [--clients 8] [--rate 200]

Starts gunicorn (2 workers) on 127.0.0.1 against database `lf_intake_bench` (recreated), then drives it from
separate load processes over loopback: first flat out (closed loop) for the bare view and for the intake
submit endpoint, then at a fixed rate (open loop) for intake. Prints throughput, p50/p99 and the ratio.
"""

import argparse
import http.client
import json
import multiprocessing
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATABASE = "lf_perf_bench"
PG = "postgres://postgres@127.0.0.1:5432/"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def server_env(data_dir: str) -> dict[str, str]:
    return {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "DJANGO_SETTINGS_MODULE": "bench.intake_bench_settings",
        "DATABASE_URL": PG + DATABASE,
        "DEBUG": "false",
        "SECRET_KEY": "bench-only-secret-key-not-for-production-use-0123456789",
        "SECURE_SSL_REDIRECT": "false",
        "SESSION_COOKIE_SECURE": "false",
        "CSRF_COOKIE_SECURE": "false",
        "LEADFLOW_DATA_DIR": data_dir,
        "LEADFLOW_FORM_RATE_LIMIT_PER_IP": "1000000/m",
        "LEADFLOW_FORM_RATE_LIMIT_PER_FORM": "1000000/m",
        "LOG_LEVEL": "WARNING",
    }


def prepare_database(env: dict[str, str]) -> str:
    subprocess.run(["dropdb", "-h", "127.0.0.1", "-U", "postgres", "--if-exists", DATABASE], check=True)
    subprocess.run(["createdb", "-h", "127.0.0.1", "-U", "postgres", DATABASE], check=True)
    python = sys.executable
    subprocess.run([python, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)
    script = (
        "from leadflow.intake.models import LeadForm, FormField;"
        "f = LeadForm.objects.create(name='Bench', source='bench', min_fill_seconds=0);"
        "[FormField.objects.create(form=f, name=n, label_en=n, order=i, required=n == 'email') "
        "for i, n in enumerate(['first_name', 'last_name', 'email', 'phone', 'company', 'message'])];"
        "print(f.key)"
    )
    out = subprocess.run(
        [python, "manage.py", "shell", "-c", script], cwd=ROOT, env=env, check=True, text=True, capture_output=True
    )
    return out.stdout.strip().splitlines()[-1]


def start_server(env: dict[str, str], port: int) -> subprocess.Popen:
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "leadflow.wsgi",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        "2",
        "--worker-class",
        "gthread",
        "--threads",
        "8",
        "--log-level",
        "warning",
    ]
    server = subprocess.Popen(command, cwd=ROOT, env=env)
    for _ in range(100):
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return server
        except OSError:
            time.sleep(0.1)
    server.kill()
    raise RuntimeError("gunicorn did not start")


def submission_body(n: int) -> bytes:
    return json.dumps(
        {
            "first_name": "Bench",
            "last_name": f"Visitor {n}",
            "email": f"visitor{n}@example.nl",
            "phone": "+31 20 123 4567",
            "company": "Bench BV",
            "message": "Hello",
        }
    ).encode()


def one_request(connection: http.client.HTTPConnection, path: str, n: int) -> tuple[float, int]:
    started = time.perf_counter()
    connection.request(
        "POST", path, submission_body(n), {"Content-Type": "application/json", "Accept": "application/json"}
    )
    response = connection.getresponse()
    response.read()
    return time.perf_counter() - started, response.status


def closed_loop(args: tuple) -> list[tuple[float, int]]:
    port, path, seconds, offset = args
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    results, n, deadline = [], offset, time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        results.append(one_request(connection, path, n))
        n += 1
    return results


def open_loop(args: tuple) -> list[tuple[float, int]]:
    """Send at a fixed pace; latency counts from the scheduled time, so a stalled server shows up."""
    port, path, seconds, rate, offset = args
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    results, start, i = [], time.perf_counter(), 0
    while (scheduled := start + i / rate) < start + seconds:
        time.sleep(max(0.0, scheduled - time.perf_counter()))
        _, status = one_request(connection, path, offset + i)
        results.append((time.perf_counter() - scheduled, status))
        i += 1
    return results


def summarise(name: str, results: list[tuple[float, int]], seconds: float) -> dict[str, float]:
    latencies = sorted(r[0] for r in results)
    ok = sum(1 for r in results if r[1] < 300)
    figures = {
        "per_second": ok / seconds,
        "p50_ms": 1000 * statistics.median(latencies),
        "p99_ms": 1000 * latencies[int(0.99 * (len(latencies) - 1))],
        "errors": len(results) - ok,
    }
    print(
        f"{name:34} {figures['per_second']:8.0f}/s   p50 {figures['p50_ms']:6.1f} ms   "
        f"p99 {figures['p99_ms']:6.1f} ms   non-2xx {figures['errors']}"
    )
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--clients", type=int, default=8, help="Concurrent connections for the flat-out runs.")
    parser.add_argument("--rate", type=float, default=200, help="Submissions per second for the fixed-rate run.")
    args = parser.parse_args()
    data_dir = tempfile.mkdtemp(prefix="lf-intake-bench-")
    env = server_env(data_dir)
    key = prepare_database(env)
    port = free_port()
    server = start_server(env, port)
    submit = f"/intake/forms/{key}/submit"
    try:
        with multiprocessing.Pool(args.clients) as pool:
            pool.map(closed_loop, [(port, submit, 1.0, 10_000_000 + i * 10_000) for i in range(args.clients)])
            load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
            print(f"gunicorn 2 workers x 8 threads, PostgreSQL, {args.clients} clients, {args.seconds:.0f} s each")
            print(f"machine: {os.cpu_count()} CPUs, load average before the runs {load}")
            runs = {}
            for name, path in (("bare Django view", "/bench/bare/"), ("intake form submit", submit)):
                chunks = pool.map(closed_loop, [(port, path, args.seconds, i * 1_000_000) for i in range(args.clients)])
                runs[name] = summarise(name, [r for chunk in chunks for r in chunk], args.seconds)
            ratio = runs["intake form submit"]["per_second"] / runs["bare Django view"]["per_second"]
            print(f"intake / bare throughput: {ratio:.0%} (target ≥ 40%)")
            senders = 4
            chunks = pool.map(
                open_loop,
                [(port, submit, args.seconds, args.rate / senders, 50_000_000 + i * 1_000_000) for i in range(senders)],
            )
            fixed = summarise(f"intake at {args.rate:.0f}/s offered", [r for c in chunks for r in c], args.seconds)
            print(f"p99 at {args.rate:.0f}/s: {fixed['p99_ms']:.1f} ms (target < 100 ms)")
    finally:
        server.terminate()
        server.wait(timeout=10)
        shutil.rmtree(data_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
