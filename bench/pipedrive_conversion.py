"""Pipedrive calls per converted lead, and duplicates under faults: 100 leads on a clean run, 100 more with lost
answers, killed workers and 429s, against the stand-in's Essential-plan rate limits (20 requests, 10 searches per
2 seconds per token).

Run: /work/main/.venv/bin/python bench/pipedrive_conversion.py
"""

import time
from collections import Counter

from conversion_setup import prepare_database, qualified_leads
from django.conf import settings
from django.core.cache import cache
from django.utils import timezone

from leadflow.crm import services
from leadflow.crm.models import Conversion, ConversionStatus
from leadflow.leads.models import Lead
from standins.pipedrive import CUSTOM_FIELDS, PipedriveStandin

COUNT = 100
EXISTING = 20  # leads whose company is already in Pipedrive (matched by its domain custom field)
LOSSES = 9  # lost answers, three on each kind of write


def main() -> None:
    prepare_database()
    account = PipedriveStandin().start()
    settings.PIPEDRIVE_API_URL = settings.PIPEDRIVE_APP_URL = account.url
    settings.LEADFLOW_CRM_BY_SOURCE = {"bench:*": "pipedrive"}
    cache.clear()
    try:
        clean = run(account, "clean", faults=False)
        faulty = run(account, "faulty", faults=True)
    finally:
        account.stop()
    for name, figures in (("clean", clean), ("with faults", faulty)):
        print(f"{name:<12} " + ", ".join(f"{key} {value}" for key, value in figures.items()))


def run(account: PipedriveStandin, prefix: str, *, faults: bool) -> dict[str, object]:
    leads = qualified_leads(COUNT, prefix=prefix)
    Lead.objects.filter(pk__in=[lead.pk for lead in leads]).update(source=f"bench:{prefix}")
    for n in range(EXISTING):
        account.add("organization", name=f"Existing {prefix} {n}", custom={"domain": f"{prefix}-company{n}.nl"})
    calls_before, limited_before, lost_before = len(account.calls), account.rate_limited, account.answers_lost
    started = time.monotonic()
    services.leads_convert_request(leads=Lead.objects.filter(source=f"bench:{prefix}"), actor="bench")
    if faults:
        inject_faults(account, leads)
    rounds = 0
    while Conversion.objects.filter(lead__source=f"bench:{prefix}").exclude(status=ConversionStatus.DONE).exists():
        rounds += 1
        # As the sweeper does: killed workers' conversions back to requested, retries due now.
        Conversion.objects.filter(lead__source=f"bench:{prefix}", status=ConversionStatus.REQUESTED).update(
            next_attempt_at=timezone.now()
        )
        due = services.conversions_requeue_due(stuck_after_seconds=0)
        services.leads_convert_run(lead_ids=due)
        if faults and rounds == 1:
            account.throttle(5, retry_after=1)
        assert rounds < 20, "conversions did not finish"
    calls = account.calls[calls_before:]
    return {
        "seconds": round(time.monotonic() - started, 1),
        "leads": COUNT,
        "calls/lead": round(len(calls) / COUNT, 2),
        "429s": account.rate_limited - limited_before,
        "rounds": rounds,
        "answers lost": account.answers_lost - lost_before,
        **duplicates(account, prefix),
    }


def inject_faults(account: PipedriveStandin, leads: list[Lead]) -> None:
    """Lost answers on every kind of write, and killed workers: a conversion left in progress after Pipedrive
    made its Organization (the worker died before it could store the id)."""
    for path in ("/api/v2/organizations", "/api/v2/persons", "/api/v2/deals") * (LOSSES // 3):
        account.lose_next_answer(path)
    account.throttle(5, retry_after=1)
    for lead in leads[EXISTING : EXISTING + 5]:
        conversion = Conversion.objects.get(lead=lead)
        account.add("organization", name=lead.company, custom={"leadflow_id": conversion.external_key})
        Conversion.objects.filter(pk=conversion.pk).update(
            status=ConversionStatus.IN_PROGRESS, claimed_at=timezone.now(), attempts=1
        )


def duplicates(account: PipedriveStandin, prefix: str) -> dict[str, int]:
    """Records per conversion key beyond the first: a duplicate made by a retry."""
    keys = set(Conversion.objects.filter(lead__source=f"bench:{prefix}").values_list("external_key", flat=True))
    found = {}
    for entity in ("organization", "person", "deal"):
        field = CUSTOM_FIELDS[entity]["leadflow_id"]
        counts = Counter(r["custom_fields"].get(field) for r in account.all(entity))
        found[f"{entity} duplicates"] = sum(n - 1 for key, n in counts.items() if key in keys)
    linked = Conversion.objects.filter(lead__source=f"bench:{prefix}", account_action="linked").count()
    found["existing orgs linked"] = linked
    return found


if __name__ == "__main__":
    main()
