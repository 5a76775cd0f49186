"""Precision, recall and F1 of the duplicate matchers on generated leads with known truth.

    .venv/bin/python bench/accuracy_matchers.py [originals=3000] [--with-ids] [--contactless] [--explain]

Generates B2B leads, imported person records and businesses with corrupted copies (typos, nicknames,
placeholder names, abbreviations, ...) and hard negatives (households, colleagues, job changes, outlets of
one brand; see bench/accuracy_data.py), stores them without running the checks, runs the same audit as
`manage.py find_duplicates` (which learns the model first), and scores the pairs at the auto and at the
review threshold. For each kind of look-alike it counts how many were merged automatically. --contactless
strips phone and email from the person records (an imported address list): family members then share only
their surname and address with the person they resemble.
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


def _merges_look_alike(a, b, negative: str) -> bool:
    """One record is a look-alike of this kind and the other is (a copy of) the customer it resembles."""
    return (a.negative == negative and b.entity == a.negative_of) or (
        b.negative == negative and a.entity == b.negative_of
    )


def main() -> None:
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    originals = int(args[0]) if args else 3000
    setup_django()
    from leadflow.quality.audit import duplicate_audit
    from leadflow.quality.models import ComparisonLevel, MatchSettings
    from leadflow.quality.selectors import match_config

    empty_leads()
    ComparisonLevel.objects.all().delete()  # learn afresh from this data set
    MatchSettings.objects.filter(pk=1).update(match_probability=None, common_values={})
    records = Generator(seed=11, with_ids="--with-ids" in sys.argv).dataset(originals)
    if "--contactless" in sys.argv:
        for record in records:
            if record.kind == "person":
                record.fields.update(phone="", email="")
    ids = store_records(records)
    truth = true_pairs(records, ids)
    with Timer() as timer:
        found = list(duplicate_audit(min_score=match_config().review_threshold))
    config = match_config()
    record_of = dict(zip(ids, records, strict=True))
    print(f"{len(records)} leads from {originals} customers, {len(truth)} true duplicate pairs")
    print(
        f"audit {timer.seconds:.1f}s (learning included); thresholds {config.auto_threshold}/{config.review_threshold}"
    )
    auto = {(p.lead_a, p.lead_b) for p in found if p.decision == "auto"}
    review = {(p.lead_a, p.lead_b) for p in found}
    report("auto threshold (all)", auto, truth)
    report("review threshold (all)", review, truth)
    for population in ("b2b", "person", "business"):
        subset_truth = {p for p in truth if record_of[p[0]].kind == population}
        report(f"auto threshold ({population})", {p for p in auto if record_of[p[0]].kind == population}, subset_truth)
    for negative in ("household", "colleague", "job_change", "outlet"):
        look_alikes = sum(r.negative == negative for r in records)
        merged = sum(_merges_look_alike(record_of[a], record_of[b], negative) for a, b in auto)
        print(f"{negative:<12} look-alikes={look_alikes:>5}  merged automatically with what they resemble: {merged}")
    if "--explain" in sys.argv:
        for p in [p for p in found if p.decision == "auto" and (p.lead_a, p.lead_b) not in truth][:10]:
            print("FALSE POSITIVE", p.score, p.label_a, "|", p.label_b, p.reasons)
        for a, b in sorted(truth - auto)[:10]:
            print("MISSED", record_of[a].fields, "|", record_of[b].fields)


if __name__ == "__main__":
    main()
