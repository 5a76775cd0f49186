"""CPU time and SQL statements per request, measured inside one process: form submit and API vs a bare view.

    .venv/bin/python bench/intake_cost.py [--requests 2000] [--profile]

Load-independent companion of `intake_throughput.py` (which it also runs first): each request goes through
Django's full WSGI handler and middleware against PostgreSQL (database `lf_perf_bench`, recreated), without
sockets or a server, with the Redis cache and the rate limits counted (see `intake_throughput.server_env`). CPU
time is this process's own (`time.process_time`), so other work on the machine does not inflate it. The bare view
is measured first and last (interleaved with the intake endpoints).
"""

import argparse
import cProfile
import io
import os
import pstats
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.intake_throughput import Bench, prepare_database, server_env, submission_body


def environ(path: str, body: bytes, headers: dict[str, str]) -> dict:
    return {
        **{"HTTP_" + name.upper().replace("-", "_"): value for name, value in headers.items()},
        "REQUEST_METHOD": "POST",
        "PATH_INFO": path,
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "8000",
        "REMOTE_ADDR": "127.0.0.1",
        "CONTENT_TYPE": "application/json",
        "CONTENT_LENGTH": str(len(body)),
        "HTTP_ACCEPT": "application/json",
        "wsgi.input": io.BytesIO(body),
        "wsgi.url_scheme": "http",
    }


def measure(application, path: str, headers: dict, requests: int, offset: int) -> tuple[float, float]:
    """(CPU ms per request, queries per request) over `requests` calls after a warm-up."""
    from django.db import connection

    def call(n: int) -> None:
        statuses = []
        result = application(environ(path, submission_body(n), headers), lambda status, _: statuses.append(status))
        b"".join(result)
        result.close()
        if not statuses[0].startswith(("200", "201")):
            raise RuntimeError(f"{path} answered {statuses[0]}")

    for n in range(50):
        call(offset + n)
    queries = []
    # Django clears its own query log when a request starts, so count at the cursor instead.
    with connection.execute_wrapper(lambda execute, sql, *rest: queries.append(sql) or execute(sql, *rest)):
        call(offset + 50)
    started = time.process_time()
    for n in range(requests):
        call(offset + 100 + n)
    return 1000 * (time.process_time() - started) / requests, len(queries)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--form-key", help="Use this form in an already prepared database (intake_throughput).")
    parser.add_argument("--api-key", help="... and this API key.")
    parser.add_argument("--profile", action="store_true", help="Print a cProfile of the intake requests.")
    args = parser.parse_args()
    env = server_env(tempfile.mkdtemp(prefix="lf-intake-cost-"))
    bench = Bench(args.form_key, args.api_key) if args.form_key else prepare_database(env)
    os.environ.update(env)
    from django.core.wsgi import get_wsgi_application

    application = get_wsgi_application()
    print(f"in-process, {args.requests} requests each (CPU time of this process, independent of machine load):")
    for round_number, (name, path) in enumerate([*bench.endpoints().items(), ("bare Django view", "/bench/bare/")]):
        headers = bench.headers(path)
        if args.profile and name != "bare Django view":
            profile = cProfile.Profile(time.process_time)  # CPU, not waiting for the database
            profile.runctx("measure(application, path, headers, args.requests, 80_000_000)", globals(), locals())
            pstats.Stats(profile).sort_stats("cumtime").print_stats(60)
        cpu_ms, queries = measure(application, path, headers, args.requests, 10_000_000 * (round_number + 1))
        print(f"{name:34} {cpu_ms:6.2f} ms CPU/request   {queries} SQL statements")


if __name__ == "__main__":
    main()
