"""Form and API submissions per second and latency, vs a bare Django view, on PostgreSQL behind gunicorn.

    .venv/bin/python bench/intake_throughput.py [--seconds 10] [--clients 8] [--rate 200]

Recreates database `lf_perf_bench` (or $LEADFLOW_BENCH_DATABASE), with the production cache: Redis at
$LEADFLOW_BENCH_CACHE_URL (default redis://127.0.0.1:6379/3) holding the real rate-limit counters (limits set
high enough never to refuse), and wake-ups published to the Redis broker at $LEADFLOW_BENCH_BROKER_URL (default
redis://127.0.0.1:6379/4, flushed at the start). Starts one gunicorn (2 workers x 8 threads, gthread) on
127.0.0.1 that serves the
bare view, the form submit endpoint and POST /api/leads/, and drives it from separate processes over loopback:
1. in-process CPU time and queries per request (`intake_cost.py`; independent of other load on the machine),
2. flat out for each endpoint (`wrk` when installed, else Python clients): requests/s, p50/p99, the ratio,
3. a fixed offered rate (default 200/s, latency counted from each request's scheduled time) for each endpoint.
The load average is printed with the figures: on a shared machine the wall-clock figures move with it.
"""

import argparse
import http.client
import json
import multiprocessing
import multiprocessing.pool
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Recreated by each run; set LEADFLOW_BENCH_DATABASE when several checkouts benchmark on one server.
DATABASE = os.environ.get("LEADFLOW_BENCH_DATABASE", "lf_perf_bench")
PG = "postgres://postgres@127.0.0.1:5432/"
JSON_HEADERS = {"Content-Type": "application/json", "Accept": "application/json"}
# wrk sends a different visitor each time (unique emails), like the Python clients do.
WRK_SCRIPT = """
counter = 0
request = function()
  counter = counter + 1
  local body = string.format('{"first_name": "Bench", "last_name": "Visitor %d", "email": "wrk%d-%d@example.nl", '
    .. '"phone": "+31 20 123 4567", "company": "Bench BV", "message": "Hello"}', counter, counter, math.random(1e9))
  return wrk.format("POST", nil, {HEADERS}, body)
end
"""


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
        "LEADFLOW_API_RATE_LIMIT": "1000000/m",
        "CACHE_URL": os.environ.get("LEADFLOW_BENCH_CACHE_URL", "redis://127.0.0.1:6379/3"),
        # The production broker: wake-ups are published to Redis (nobody consumes them here; flushed per run).
        "CELERY_BROKER_URL": os.environ.get("LEADFLOW_BENCH_BROKER_URL", "redis://127.0.0.1:6379/4"),
        "LOG_LEVEL": "WARNING",
    }


def prepare_database(env: dict[str, str]) -> "Bench":
    subprocess.run(["redis-cli", "-u", env["CELERY_BROKER_URL"], "flushdb"], check=True, capture_output=True)
    subprocess.run(["dropdb", "-h", "127.0.0.1", "-U", "postgres", "--if-exists", DATABASE], check=True)
    subprocess.run(["createdb", "-h", "127.0.0.1", "-U", "postgres", DATABASE], check=True)
    python = sys.executable
    subprocess.run([python, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)
    script = (
        "from leadflow.intake.models import LeadForm, FormField;"
        "f = LeadForm.objects.create(name='Bench', source='bench', min_fill_seconds=0);"
        "[FormField.objects.create(form=f, name=n, label_en=n, order=i, required=n == 'email') "
        "for i, n in enumerate(['first_name', 'last_name', 'email', 'phone', 'company', 'message'])];"
        "from leadflow.intake.services import api_token_create;"
        "print(f.key, api_token_create(name='bench', source='bench')[1])"
    )
    out = subprocess.run(
        [python, "manage.py", "shell", "-c", script], cwd=ROOT, env=env, check=True, text=True, capture_output=True
    )
    form_key, api_key = out.stdout.strip().splitlines()[-1].split()
    return Bench(form_key, api_key)


@dataclass(frozen=True)
class Bench:
    form_key: str
    api_key: str

    def endpoints(self) -> dict[str, str]:
        return {
            "bare Django view": "/bench/bare/",
            "intake form submit": f"/intake/forms/{self.form_key}/submit",
            "intake API create": "/api/leads/",
        }

    def headers(self, path: str) -> dict[str, str]:
        """Request headers for an endpoint: JSON, plus the API key for the API."""
        if path.startswith("/api/"):
            return {**JSON_HEADERS, "Authorization": f"Bearer {self.api_key}"}
        return JSON_HEADERS


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
        "--config",
        "/dev/null",  # not gunicorn.conf.py: no access log, the bench's own workers and threads
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


def one_request(connection: http.client.HTTPConnection, path: str, n: int, headers: dict) -> tuple[float, int]:
    started = time.perf_counter()
    connection.request("POST", path, submission_body(n), headers)
    response = connection.getresponse()
    response.read()
    return time.perf_counter() - started, response.status


def closed_loop(args: tuple) -> list[tuple[float, int]]:
    port, path, headers, seconds, offset = args
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    results, n, deadline = [], offset, time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        results.append(one_request(connection, path, n, headers))
        n += 1
    return results


def open_loop(args: tuple) -> list[tuple[float, int]]:
    """Send at a fixed pace; latency counts from the scheduled time, so a stalled server shows up."""
    port, path, headers, seconds, rate, offset = args
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    results, start, i = [], time.perf_counter(), 0
    while (scheduled := start + i / rate) < start + seconds:
        time.sleep(max(0.0, scheduled - time.perf_counter()))
        _, status = one_request(connection, path, offset + i, headers)
        results.append((time.perf_counter() - scheduled, status))
        i += 1
    return results


def flat_out_wrk(port: int, path: str, headers: dict, seconds: float, clients: int) -> dict[str, float]:
    lua_headers = ", ".join(f'["{k}"] = "{v}"' for k, v in headers.items())
    with tempfile.NamedTemporaryFile("w", suffix=".lua") as script:
        script.write(WRK_SCRIPT.replace("HEADERS", lua_headers))
        script.flush()
        command = ["wrk", "-t1", f"-c{clients}", f"-d{seconds:.0f}s", "--latency", "-s", script.name]
        out = subprocess.run([*command, f"http://127.0.0.1:{port}{path}"], check=True, text=True, capture_output=True)
    text = out.stdout

    def latency_ms(percentile: str) -> float:
        value, unit = re.search(rf"^\s+{percentile}%\s+([\d.]+)(us|ms|s)$", text, re.M).groups()
        return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]

    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
    return {
        "per_second": float(re.search(r"Requests/sec:\s+([\d.]+)", text)[1]),
        "p50_ms": latency_ms("50"),
        "p99_ms": latency_ms("99"),
        "errors": int(errors[1]) if errors else 0,
    }


def flat_out_python(
    pool: multiprocessing.pool.Pool, port: int, path: str, headers: dict, seconds: float, clients: int
) -> dict:
    jobs = [(port, path, headers, seconds, i * 1_000_000 + hash(path) % 1000) for i in range(clients)]
    return figures_of([r for chunk in pool.map(closed_loop, jobs) for r in chunk], seconds)


def figures_of(results: list[tuple[float, int]], seconds: float) -> dict[str, float]:
    latencies = sorted(r[0] for r in results)
    ok = sum(1 for r in results if r[1] < 300)
    return {
        "per_second": ok / seconds,
        "p50_ms": 1000 * statistics.median(latencies),
        "p99_ms": 1000 * latencies[int(0.99 * (len(latencies) - 1))],
        "errors": len(results) - ok,
    }


def show(name: str, figures: dict[str, float]) -> None:
    print(
        f"{name:38} {figures['per_second']:8.0f}/s   p50 {figures['p50_ms']:6.1f} ms   "
        f"p99 {figures['p99_ms']:6.1f} ms   non-2xx {figures['errors']}"
    )


def server_cpu_seconds(server: subprocess.Popen) -> float:
    """CPU time (user + system) used so far by gunicorn's workers, read from /proc: unlike wall-clock figures,
    CPU per request does not grow when other work on the machine takes the cores."""
    children = Path(f"/proc/{server.pid}/task/{server.pid}/children").read_text().split()
    total = 0
    for pid in children:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / os.sysconf("SC_CLK_TCK")


def load_average() -> str:
    return ", ".join(f"{x:.1f}" for x in os.getloadavg())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--clients", type=int, default=8, help="Concurrent connections for the flat-out runs.")
    parser.add_argument("--rate", type=float, default=200, help="Requests per second for the fixed-rate runs.")
    args = parser.parse_args()
    data_dir = tempfile.mkdtemp(prefix="lf-intake-bench-")
    env = server_env(data_dir)
    bench = prepare_database(env)
    print(f"machine: {os.cpu_count()} CPUs, load average {load_average()} (1, 5, 15 min) at the start")
    cost = [sys.executable, str(ROOT / "bench" / "intake_cost.py"), "--form-key", bench.form_key]
    cost += ["--api-key", bench.api_key, "--requests", "1000"]
    print(subprocess.run(cost, env=env, check=True, text=True, capture_output=True).stdout.strip())
    port = free_port()
    server = start_server(env, port)
    endpoints = bench.endpoints()
    tool = "wrk" if shutil.which("wrk") else "Python clients"
    try:
        with multiprocessing.Pool(max(args.clients, 4)) as pool:
            for path in endpoints.values():  # warm up
                flat_out_python(pool, port, path, bench.headers(path), 1.0, args.clients)
            print(
                f"\ngunicorn 2 workers x 8 threads (gthread), PostgreSQL, Redis cache, loopback; load {load_average()}"
            )
            print(f"flat out, {args.clients} connections, {args.seconds:.0f} s each ({tool}), bare view between runs:")
            runs: dict[str, list[dict]] = {name: [] for name in endpoints}
            order = ["bare Django view", "intake form submit", "bare Django view", "intake API create"]
            for name in [*order, "bare Django view"]:
                path = endpoints[name]
                cpu_before = server_cpu_seconds(server)
                if tool == "wrk":
                    figures = flat_out_wrk(port, path, bench.headers(path), args.seconds, args.clients)
                else:
                    figures = flat_out_python(pool, port, path, bench.headers(path), args.seconds, args.clients)
                requests = figures["per_second"] * args.seconds + figures["errors"]
                figures["cpu_ms"] = 1000 * (server_cpu_seconds(server) - cpu_before) / max(requests, 1)
                runs[name].append(figures)
                show(name, figures)
            bare = runs["bare Django view"]
            bare_rate = statistics.mean(f["per_second"] for f in bare)
            bare_cpu = statistics.mean(f["cpu_ms"] for f in bare)
            for name in ("intake form submit", "intake API create"):
                figures = runs[name][0]
                print(
                    f"{name}: gunicorn CPU {figures['cpu_ms']:.2f} ms/request (bare {bare_cpu:.2f} ms); "
                    f"throughput {figures['per_second'] / bare_rate:.0%} of the bare view (target >= 25 %)"
                )
            print(
                f"\nfixed rate {args.rate:.0f}/s offered, latency from the scheduled send time; load {load_average()}:"
            )
            senders = 4
            for name, path in endpoints.items():
                jobs = [
                    (port, path, bench.headers(path), args.seconds, args.rate / senders, 50_000_000 + i * 1_000_000)
                    for i in range(senders)
                ]
                fixed = figures_of([r for chunk in pool.map(open_loop, jobs) for r in chunk], args.seconds)
                show(f"{name} at {args.rate:.0f}/s", fixed)
            print(f"load average at the end {load_average()}")
    finally:
        server.terminate()
        server.wait(timeout=10)
        shutil.rmtree(data_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
