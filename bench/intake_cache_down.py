"""Intake with the cache server unreachable: every submission must still be accepted and stored.

    .venv/bin/python bench/intake_cache_down.py [--submissions 1000]

Prepares the bench database like `intake_throughput.py`, points CACHE_URL at a local port where nothing listens
(connection refused: a real unreachable Redis, not a mock) and sends that many submissions to each door through
Django's full WSGI handler: the form as JSON, the form as plain HTML (form-encoded), and POST /api/leads/, plus
as many reads of the form definition. Prints the answers by status, the leads stored, and the fallbacks counted
by `leadflow.core.cache`.
"""

import argparse
import collections
import io
import os
import socket
import sys
import tempfile
from pathlib import Path
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.intake_cost import environ
from bench.intake_throughput import prepare_database, server_env, submission_body


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def answer_counts(application, requests: list[dict]) -> dict[str, int]:
    statuses: collections.Counter[str] = collections.Counter()
    for request in requests:
        result = application(request, lambda status, _: statuses.update([status.split()[0]]))
        b"".join(result)
        result.close()
    return dict(statuses)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--submissions", type=int, default=1000, help="Per door.")
    args = parser.parse_args()
    env = server_env(tempfile.mkdtemp(prefix="lf-intake-cache-down-"))
    bench = prepare_database(env)
    env["CACHE_URL"] = f"redis://127.0.0.1:{closed_port()}/0"
    os.environ.update(env)
    from django.core.wsgi import get_wsgi_application

    application = get_wsgi_application()
    from leadflow.core.cache import cache_fallbacks
    from leadflow.leads.models import Lead

    form = bench.endpoints()["intake form submit"]
    doors = {
        "form, JSON": (form, bench.headers(form), submission_body),
        "form, plain HTML": (
            form,
            {"Content-Type": "application/x-www-form-urlencoded", "Accept": "text/html"},
            lambda n: urlencode({"email": f"html{n}@example.nl", "first_name": "Plain"}).encode(),
        ),
        "API": ("/api/leads/", bench.headers("/api/leads/"), submission_body),
    }
    print(f"cache at {env['CACHE_URL']} (nothing listens); {args.submissions} submissions per door")
    for name, (path, headers, body) in doors.items():
        requests = [environ(path, body(n), headers) for n in range(args.submissions)]
        for request in requests:
            request["CONTENT_TYPE"] = headers.get("Content-Type", "application/json")
            request["HTTP_ACCEPT"] = headers.get("Accept", "application/json")
        print(f"{name:18} answers {answer_counts(application, requests)}")
    definition = f"/intake/forms/{bench.form_key}/definition.json"
    requests = [
        {**environ(definition, b"", {}), "REQUEST_METHOD": "GET", "wsgi.input": io.BytesIO()}
        for _ in range(args.submissions)
    ]
    print(f"{'definition.json':18} answers {answer_counts(application, requests)}")
    print(f"leads stored: {Lead.objects.count()}; answered without the cache: {dict(cache_fallbacks)}")


if __name__ == "__main__":
    main()
