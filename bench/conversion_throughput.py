"""Conversions per second against the local sandbox, one worker: a bulk of 1,000 leads vs one lead at a time.

Run: /work/main/.venv/bin/python bench/conversion_throughput.py [bulk size, default 1000]
Runs the task bodies in this process, as one worker does (the broker adds one message per 100 leads); the
sandbox org runs in its own process. The baseline converts 100 leads one per task afterwards, in the same org
(so both pay the sandbox's cost of an org holding over a thousand records). The time spent waiting for the org
is shown apart: on a real org it is network and Salesforce time instead.
"""

import sys
import time

from conversion_setup import api_calls, prepare_database, qualified_leads, sandbox_org

from leadflow.crm import services
from leadflow.crm.models import Conversion, ConversionStatus
from leadflow.integrations.salesforce.client import SalesforceClient

BASELINE = 100
waiting = [0.0]


def _timed_call(call):
    def timed(self, request):
        started = time.perf_counter()
        try:
            return call(self, request)
        finally:
            waiting[0] += time.perf_counter() - started

    return timed


def measure(work) -> tuple[float, float]:
    """(total seconds, seconds waiting for the org)."""
    waiting[0] = 0.0
    started = time.perf_counter()
    work()
    return time.perf_counter() - started, waiting[0]


def main(bulk_size: int) -> None:
    prepare_database()
    SalesforceClient._call = _timed_call(SalesforceClient._call)
    with sandbox_org() as org:
        bulk = qualified_leads(bulk_size, prefix="bulk")
        ids = [lead.pk for lead in bulk]

        def convert_bulk():
            services.leads_convert_request(leads=bulk, actor="bench")
            for start in range(0, len(ids), services.BATCH_SIZE):  # one convert_leads task per batch, as enqueued
                services.leads_convert_run(lead_ids=ids[start : start + services.BATCH_SIZE])

        one_by_one = qualified_leads(BASELINE, prefix="single")

        def convert_one_by_one():
            for lead in one_by_one:
                services.lead_convert_request(lead=lead, actor="bench")
                services.lead_convert_run(lead_id=lead.pk)

        calls = api_calls(org)
        bulk_seconds, bulk_waiting = measure(convert_bulk)
        bulk_calls = api_calls(org) - calls
        single_seconds, single_waiting = measure(convert_one_by_one)

    done = Conversion.objects.filter(status=ConversionStatus.DONE).count()
    assert done == BASELINE + bulk_size, f"only {done} of {BASELINE + bulk_size} conversions finished"
    single_rate, bulk_rate = BASELINE / single_seconds, bulk_size / bulk_seconds
    print(
        f"{'one lead per task (baseline)':<30} {single_rate:7.1f} conversions/s  "
        f"({single_seconds:.1f} s, {single_waiting:.1f} s of it waiting for the org)"
    )
    print(
        f"{f'bulk of {bulk_size:,}':<30} {bulk_rate:7.1f} conversions/s  "
        f"({bulk_seconds:.1f} s, {bulk_waiting:.1f} s of it waiting for the org, {bulk_calls} API calls)"
    )
    print(f"{'bulk vs baseline':<30} {bulk_rate / single_rate:7.1f}x")
    local_single = (single_seconds - single_waiting) / BASELINE * 1000
    local_bulk = (bulk_seconds - bulk_waiting) / bulk_size * 1000
    print(f"{'Leadflow time per lead':<30} {local_single:7.1f} ms single, {local_bulk:.1f} ms bulk")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1000)
