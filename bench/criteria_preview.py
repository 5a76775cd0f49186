"""How long "test these criteria" and the re-classification after saving take over many open leads.

Run: /work/main/.venv/bin/python bench/criteria_preview.py [number of open leads, default 20000]
Uses a throw-away SQLite database (or DATABASE_URL if set: then it must be an empty scratch database).
Prints the time per phase and the ratio against merely loading the same leads from the database.
"""

import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("LEADFLOW_DATA_DIR", tempfile.mkdtemp(prefix="leadflow-bench-"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "leadflow.settings")
os.environ.setdefault("LOG_LEVEL", "WARNING")

import django

django.setup()

from django.core.management import call_command  # noqa: E402

from leadflow.leads.models import OPEN_STATES, Lead, LeadState  # noqa: E402
from leadflow.qualification import services  # noqa: E402
from leadflow.qualification.models import QualificationRule  # noqa: E402


def timed(label: str, work) -> float:
    started = time.perf_counter()
    work()
    seconds = time.perf_counter() - started
    print(f"{label:<55} {seconds:8.2f} s")
    return seconds


def main(count: int) -> None:
    call_command("migrate", verbosity=0)
    states = [LeadState.NEW, LeadState.VALIDATED, LeadState.QUALIFIED, LeadState.CONVERTED]
    Lead.objects.bulk_create(
        Lead(
            first_name="Anna",
            last_name=f"Bakker {n}",
            company=f"Company {n}",
            email=f"anna{n}@{'gmail.com' if n % 3 == 0 else f'company{n}.nl'}",
            phone="+31201234567" if n % 2 else "",
            company_size=n % 40,
            country=("NL", "BE", "DE", "FR")[n % 4],
            custom_fields={"budget": n % 10_000},
            state=states[n % len(states)],
        )
        for n in range(count)
    )
    open_count = Lead.objects.filter(state__in=OPEN_STATES).count()
    rules = [
        services.RuleInput(
            id=r.pk, **{a: getattr(r, a) for a in services.RULE_ATTRIBUTES} | {"value": r.value.replace("10", "20")}
        )
        for r in QualificationRule.objects.all()
    ] + [
        services.RuleInput(id=None, field="custom_fields.budget", operator="gte", value="5000", weight=20),
        services.RuleInput(id=None, field="email_domain", operator="matches", value=r"\.(nl|be|de)$", weight=10),
    ]
    proposed = services.criteria_config_build(qualify_at=50, reject_below=20, rules=rules)
    print(f"{count:,} leads, {open_count:,} open; {len(proposed.rules)} rules in the tried-out set")

    baseline = timed(
        "load the open leads (baseline)",
        lambda: sum(1 for _ in Lead.objects.filter(state__in=OPEN_STATES).iterator(chunk_size=2000)),
    )
    preview = timed(
        "test these criteria (2 assessments per open lead)", lambda: services.criteria_preview(proposed=proposed)
    )
    change = services.criteria_save(actor="bench", qualify_at=50, reject_below=20, rules=rules)
    reclassify = timed(
        "re-classify after saving (assess, store, auto-qualify)",
        lambda: services.criteria_reclassify(run_id=change.run.pk),
    )
    change.run.refresh_from_db()
    print(f"  re-classified {change.run.processed:,}, qualified {change.run.qualified:,}")
    print(f"preview: {open_count / preview:,.0f} open leads/s, {preview / baseline:.1f} times the baseline")
    print(f"re-classification: {open_count / reclassify:,.0f} leads/s, {reclassify / baseline:.1f} times the baseline")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 20_000)
