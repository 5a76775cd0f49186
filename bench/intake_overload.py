"""Intake above capacity: a fixed arrival rate beyond what the server can do, with clients that give up.

    .venv/bin/python bench/intake_overload.py [--rate 300] [--seconds 20] [--client-timeout 5]

Recreates database `lf_perf_bench` and runs the same open-loop load twice against the form submit endpoint,
back to back on this machine:

* **before**: gunicorn as the Dockerfile ran it until now (3 sync workers, default backlog of 2048), without
  `leadflow.core.middleware.shed_load`;
* **after**: `gunicorn.conf.py` (3 gthread workers x 4 threads, backlog 128, 8 connections per worker) with the
  middleware; each request carries `X-Request-Start` stamped when it is sent, as a proxy would stamp it.

Every request is a new connection sent at its scheduled time, whatever happened to the earlier ones; a client
waits `--client-timeout` seconds in all, then gives up. Printed per run: answered 2xx / 503 (with Retry-After) /
gave up, p50/p99 of the 2xx from the scheduled time, leads stored versus thank-yous given (leads nobody was told
about were made for clients who gave up), and how long the server kept creating leads after the clients stopped.
"""

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.intake_throughput import ROOT, free_port, load_average, prepare_database, server_env, submission_body

BEFORE = ["--workers", "3", "--worker-class", "sync", "--timeout", "30", "--config", "/dev/null"]


async def one_request(port: int, path: str, n: int, timeout: float, stamp: bool) -> tuple[str, float]:
    scheduled = time.perf_counter()
    body = submission_body(n)
    head = (
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nAccept: application/json\r\n"
        f"Content-Length: {len(body)}\r\nConnection: close\r\n"
    )
    if stamp:
        head += f"X-Request-Start: t={time.time():.3f}\r\n"
    writer = None
    try:
        async with asyncio.timeout(timeout):
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.write(head.encode() + b"\r\n" + body)
            await writer.drain()
            status_line = await reader.readline()
            await reader.read()
        outcome = status_line.split()[1].decode() if status_line else "reset"
    except TimeoutError:
        outcome = "gave up"
    except OSError:
        outcome = "refused"
    finally:
        if writer is not None:
            writer.close()
    return outcome, time.perf_counter() - scheduled


async def offer(port: int, path: str, rate: float, seconds: float, timeout: float, stamp: bool) -> list:
    start, tasks, i = time.perf_counter(), [], 0
    while (scheduled := start + i / rate) < start + seconds:
        await asyncio.sleep(max(0.0, scheduled - time.perf_counter()))
        tasks.append(asyncio.create_task(one_request(port, path, 10_000_000 * (1 + stamp) + i, timeout, stamp)))
        i += 1
    return await asyncio.gather(*tasks)


def lead_count(env: dict[str, str]) -> int:
    out = subprocess.run(
        ["psql", "-h", "127.0.0.1", "-U", "postgres", "-tA", "-c", "SELECT count(*) FROM leads_lead", env["DB"]],
        check=True,
        text=True,
        capture_output=True,
    )
    return int(out.stdout.strip())


def run(name: str, env: dict[str, str], options: list[str], args: argparse.Namespace, key: str, stamp: bool) -> None:
    port = free_port()
    command = [sys.executable, "-m", "gunicorn", "leadflow.wsgi", "--bind", f"127.0.0.1:{port}", *options]
    server = subprocess.Popen([*command, "--log-level", "error", "--access-logfile", "/dev/null"], cwd=ROOT, env=env)
    try:
        time.sleep(3)  # workers booted
        path = f"/intake/forms/{key}/submit"
        leads_before = lead_count(env)
        results = asyncio.run(offer(port, path, args.rate, args.seconds, args.client_timeout, stamp))
        stopped = time.monotonic()
        last_change, seen = stopped, lead_count(env)
        while time.monotonic() - last_change < 3:  # until no lead has been added for 3 s
            time.sleep(0.25)
            if (count := lead_count(env)) != seen:
                seen, last_change = count, time.monotonic()
        report(name, results, seen - leads_before, max(0.0, last_change - stopped), args)
    finally:
        server.terminate()
        server.wait(timeout=60)


def report(name: str, results: list, leads: int, tail_seconds: float, args: argparse.Namespace) -> None:
    outcomes: dict[str, int] = {}
    for outcome, _ in results:
        outcomes[outcome] = outcomes.get(outcome, 0) + 1
    ok = sorted(latency for outcome, latency in results if outcome == "200")
    thanked = len(ok)
    p50 = 1000 * statistics.median(ok) if ok else float("nan")
    p99 = 1000 * ok[int(0.99 * (len(ok) - 1))] if ok else float("nan")
    print(f"\n{name}: {len(results)} offered at {args.rate:.0f}/s over {args.seconds:.0f} s; load {load_average()}")
    print(f"  outcomes: {dict(sorted(outcomes.items()))}")
    print(f"  2xx {thanked} ({thanked / args.seconds:.0f}/s), p50 {p50:.0f} ms, p99 {p99:.0f} ms")
    print(f"  leads stored {leads}; thank-yous {thanked}; leads nobody was told about {leads - thanked}")
    print(f"  server kept creating leads {tail_seconds:.1f} s after the clients stopped")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rate", type=float, default=300, help="Requests per second offered (above capacity).")
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--client-timeout", type=float, default=10.0)
    args = parser.parse_args()
    env = server_env(tempfile.mkdtemp(prefix="lf-intake-overload-"))
    env["DB"] = env["DATABASE_URL"].rsplit("/", 1)[1]
    key = prepare_database(env).form_key
    print(f"machine: {os.cpu_count()} CPUs, load average {load_average()}")
    run(
        "before (3 sync workers, backlog 2048, no shedding)",
        {**env, "BENCH_WITHOUT_SHEDDING": "1"},
        BEFORE,
        args,
        key,
        False,
    )
    run("after (gunicorn.conf.py + shed_load)", env, [], args, key, True)


if __name__ == "__main__":
    main()
