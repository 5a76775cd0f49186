"""Precision, recall and F1 of the duplicate matchers on generated leads with known truth.

    /work/main/.venv/bin/python bench/accuracy_matchers.py [originals=3000]

Generates B2B leads and imported person records with corrupted copies and hard negatives (households,
colleagues, job changes; see bench/accuracy_data.py), stores them without running the checks, runs the same
audit as `manage.py find_duplicates`, and scores the pairs at the auto and at the review threshold.
"""

import sys

from accuracy_data import Generator, true_pairs
from matching_db import Timer, empty_leads, setup_django, store_records


def report(label: str, predicted: set, truth: set) -> None:
    hits = len(predicted & truth)
    precision = hits / len(predicted) if predicted else 1.0
    recall = hits / len(truth) if truth else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    print(
        f"{label:<28} pairs={len(predicted):>6} true={hits:>6} "
        f"precision={precision:.4f} recall={recall:.4f} F1={f1:.4f}"
    )


def main() -> None:
    originals = int(sys.argv[1]) if len(sys.argv) > 1 else 3000
    setup_django()
    from leadflow.quality.audit import duplicate_audit
    from leadflow.quality.selectors import match_config

    empty_leads()
    records = Generator(seed=11).dataset(originals)
    ids = store_records(records)
    truth = true_pairs(records, ids)
    config = match_config()
    with Timer() as timer:
        found = list(duplicate_audit(min_score=config.review_threshold))
    kind = {lead_id: ("b2b" if "email" in r.fields else "person") for r, lead_id in zip(records, ids, strict=True)}
    print(f"{len(records)} leads from {originals} customers, {len(truth)} true duplicate pairs")
    print(f"audit took {timer.seconds:.1f}s; auto threshold {config.auto_threshold}, review {config.review_threshold}")
    auto = {(p.lead_a, p.lead_b) for p in found if p.decision == "auto"}
    review = {(p.lead_a, p.lead_b) for p in found}
    report("auto threshold (all)", auto, truth)
    report("review threshold (all)", review, truth)
    for population in ("b2b", "person"):
        subset_truth = {p for p in truth if kind[p[0]] == population}
        report(f"auto threshold ({population})", {p for p in auto if kind[p[0]] == population}, subset_truth)
    wrong = [p for p in found if p.decision == "auto" and (p.lead_a, p.lead_b) not in truth][:5]
    missed = sorted(truth - auto)[:5]
    if "--explain" in sys.argv:
        from leadflow.leads.models import Lead

        for p in wrong:
            print("FALSE POSITIVE", p.score, p.label_a, "|", p.label_b, p.reasons)
        for a, b in missed:
            la, lb = Lead.objects.get(pk=a), Lead.objects.get(pk=b)
            print(
                "MISSED",
                la.display_name,
                la.email,
                la.phone,
                la.custom_fields,
                "|",
                lb.display_name,
                lb.email,
                lb.phone,
                lb.custom_fields,
            )


if __name__ == "__main__":
    main()
