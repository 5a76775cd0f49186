"""The whole-database duplicate audit: blocking over stored keys, then scoring only the pairs that share a key.

Used by `manage.py find_duplicates`. Never compares every lead with every other, and never holds all pairs in
memory: for each blocking rule the stored keys are read in key order (one indexed scan), leads sharing a key
form a block, and each pair in a block is scored and written at once. A pair that an earlier rule already
produced is skipped, so every pair is scored once. Blocks larger than `max_block_size`, and keys built on a
near-constant value, are skipped as uninformative.
"""

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, replace
from itertools import combinations, groupby
from typing import Any

from leadflow.leads.models import Lead, LeadState
from leadflow.quality import selectors
from leadflow.quality.matching.profile import Profile, profile_from_lead, usable_keys
from leadflow.quality.matching.scoring import score_pair
from leadflow.quality.models import BLOCKING_KEYS, LeadFingerprint
from leadflow.quality.services import (
    fingerprint_refresh,
    fingerprint_statistics_refresh,
    match_model_is_stale,
    match_model_train,
)

BATCH_SIZE = 2000
# After computing this many keys at once (an import), the database's planner statistics are refreshed: with
# stale ones PostgreSQL joins the key scans to the leads by nested loops (seconds per scan instead of ms).
ANALYZE_AFTER = 1000
# A progress wrapper: called like tqdm(iterable, total=..., desc=..., unit=...) and yields the same items.
Progress = Callable[..., Iterable[Any]]


def _no_progress(iterable: Iterable[Any], **kwargs: Any) -> Iterable[Any]:
    return iterable


@dataclass(frozen=True)
class AuditPair:
    lead_a: int
    lead_b: int
    external_id_a: str
    external_id_b: str
    label_a: str
    label_b: str
    score: float
    decision: str  # "auto" or "review"
    reasons: list[str]


def duplicate_audit(
    *,
    source: str | None = None,
    min_score: float | None = None,
    auto_threshold: float | None = None,
    progress: Progress = _no_progress,
) -> Iterator[AuditPair]:
    """Every pair of open or closed (not merged-away) leads scoring at least `min_score`, each pair once.

    Defaults come from MatchSettings: `min_score` the review threshold, `auto_threshold` the auto threshold.
    The match model is (re)trained first when it never learned or the database outgrew it; leads whose keys
    are missing or stale get them computed first. Pairs people dismissed are left out.
    """
    if match_model_is_stale():
        match_model_train(progress=progress)
    config = selectors.match_config()
    weights = replace(config.weights, term_frequency=selectors.term_frequencies())
    min_score = config.review_threshold if min_score is None else min_score
    auto_threshold = config.auto_threshold if auto_threshold is None else auto_threshold
    fingerprints_refresh_stale(source=source, progress=progress)
    dismissed = selectors.dismissed_pairs()
    pairs = candidate_pairs(
        source=source, max_block_size=config.max_block_size, common=weights.common, progress=progress
    )
    leads = _LeadCache()
    for chunk in _chunks((pair for pair in pairs if pair not in dismissed), BATCH_SIZE):
        leads.load({lead_id for pair in chunk for lead_id in pair})
        for a, b in chunk:
            lead_a, lead_b = leads[a], leads[b]
            result = score_pair(lead_a[1], lead_b[1], weights)
            if result.score < min_score:
                continue
            yield AuditPair(
                lead_a=a,
                lead_b=b,
                external_id_a=lead_a[0]["external_id"],
                external_id_b=lead_b[0]["external_id"],
                label_a=_label(lead_a[0]),
                label_b=_label(lead_b[0]),
                score=result.score,
                decision="auto" if result.score >= auto_threshold else "review",
                reasons=result.reasons,
            )


def fingerprints_refresh_stale(*, source: str | None = None, progress: Progress = _no_progress) -> int:
    """Compute keys for leads that have none or outdated ones (no worker ran their checks), in batches."""
    stale_ids = list(selectors.stale_fingerprint_leads(source=source).values_list("pk", flat=True))
    batches = [stale_ids[i : i + BATCH_SIZE] for i in range(0, len(stale_ids), BATCH_SIZE)]
    bar = progress(batches, total=len(batches), desc="Computing match keys", unit="batch")
    for batch in bar:
        fingerprint_refresh(leads=Lead.objects.filter(pk__in=batch).order_by().values(*selectors.LEAD_MATCH_FIELDS))
    if len(stale_ids) >= ANALYZE_AFTER:
        fingerprint_statistics_refresh()
    return len(stale_ids)


def candidate_pairs(
    *,
    source: str | None,
    max_block_size: int,
    common: Any = None,
    progress: Progress = _no_progress,
) -> Iterator[tuple[int, int]]:
    """(low id, high id) of leads sharing at least one usable blocking key, each pair once, streamed.

    `common`: near-constant values per key part (MatchSettings.common_values); keys built on them are skipped.
    """
    fingerprints = LeadFingerprint.objects.exclude(lead__state=LeadState.DUPLICATE)
    if source is not None:
        fingerprints = fingerprints.filter(lead__source=source)
    common = common or {}
    # Key values of the rules already read whose blocks were too large to use: filled as the scans go.
    oversized: dict[str, set[str]] = {column: set() for column in BLOCKING_KEYS}

    def usable(column: str, value: str) -> bool:
        return bool(value) and value not in oversized[column] and bool(usable_keys({column: value}, common))

    for index, column in enumerate(
        progress(BLOCKING_KEYS, total=len(BLOCKING_KEYS), desc="Blocking rules", unit="rule")
    ):
        earlier = BLOCKING_KEYS[:index]
        rows = (
            fingerprints.exclude(**{column: ""})
            .order_by(column)
            .values_list(column, "lead_id", *earlier)
            .iterator(chunk_size=BATCH_SIZE)
        )
        for value, block in groupby(rows, key=lambda row: row[0]):
            members = list(block)
            if len(members) > max_block_size:
                oversized[column].add(value)
            if len(members) < 2 or not usable(column, value):
                continue
            for a, b in combinations(members, 2):
                # Produced already by an earlier rule: both share that rule's (usable) key.
                if any(x == y and usable(col, x) for col, x, y in zip(earlier, a[2:], b[2:], strict=True)):
                    continue
                yield (a[1], b[1]) if a[1] < b[1] else (b[1], a[1])


def _chunks(items: Iterable[Any], size: int) -> Iterator[list[Any]]:
    chunk: list[Any] = []
    for item in items:
        chunk.append(item)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


class _LeadCache:
    """Each lead's values (dicts: far cheaper than model instances) and profile, for the leads pairs need next.

    Bounded: blocks are read rule after rule, so a lead comes back; past LIMIT entries the cache starts over.
    """

    LIMIT = 50_000

    def __init__(self) -> None:
        self.loaded: dict[int, tuple[dict[str, Any], Profile]] = {}

    def load(self, ids: set[int]) -> None:
        missing = sorted(ids - self.loaded.keys())
        if len(self.loaded) + len(missing) > self.LIMIT:
            self.loaded = {lead_id: self.loaded[lead_id] for lead_id in ids if lead_id in self.loaded}
        for values in Lead.objects.filter(pk__in=missing).order_by().values(*selectors.LEAD_MATCH_FIELDS):
            self.loaded[values["pk"]] = (values, profile_from_lead(values))

    def __getitem__(self, lead_id: int) -> tuple[dict[str, Any], Profile]:
        return self.loaded[lead_id]


def _label(values: dict[str, Any]) -> str:
    """Lead.display_name, from a dict of values."""
    name = f"{values['first_name']} {values['last_name']}".strip() or values["email"] or f"Lead {values['pk']}"
    return f"{name} ({values['company']})" if values["company"] else name
