"""The whole-database duplicate audit: blocking over stored keys, then scoring only the pairs that share a key.

Used by `manage.py find_duplicates`. Never compares every lead with every other: leads are grouped by each
blocking key, keys shared by more than `max_block_size` leads are skipped as uninformative, and only pairs
inside a group are scored.
"""

from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from itertools import combinations
from typing import Any

from leadflow.leads.models import Lead, LeadState
from leadflow.quality import selectors
from leadflow.quality.matching.profile import Profile, profile_from_lead
from leadflow.quality.matching.scoring import score_pair
from leadflow.quality.models import BLOCKING_KEYS, LeadFingerprint
from leadflow.quality.services import fingerprint_refresh

BATCH_SIZE = 2000
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
    Leads whose keys are missing or stale get them computed first. Pairs people dismissed are left out.
    """
    config = selectors.match_config()
    min_score = config.review_threshold if min_score is None else min_score
    auto_threshold = config.auto_threshold if auto_threshold is None else auto_threshold
    fingerprints_refresh_stale(source=source, progress=progress)
    pairs = candidate_pairs(source=source, max_block_size=config.max_block_size, progress=progress)
    pairs -= selectors.dismissed_pairs()
    leads = _load_leads({lead_id for pair in pairs for lead_id in pair}, progress)
    for a, b in progress(sorted(pairs), total=len(pairs), desc="Scoring pairs", unit="pair"):
        lead_a, lead_b = leads[a], leads[b]
        result = score_pair(lead_a[1], lead_b[1], config.weights)
        if result.score < min_score:
            continue
        yield AuditPair(
            lead_a=a,
            lead_b=b,
            external_id_a=lead_a[0].external_id,
            external_id_b=lead_b[0].external_id,
            label_a=lead_a[0].display_name,
            label_b=lead_b[0].display_name,
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
        fingerprint_refresh(leads=Lead.objects.filter(pk__in=batch).only(*selectors.LEAD_MATCH_FIELDS))
    return len(stale_ids)


def candidate_pairs(*, source: str | None, max_block_size: int, progress: Progress = _no_progress) -> set[tuple]:
    """(low id, high id) of leads sharing at least one blocking key that is not too common."""
    fingerprints = LeadFingerprint.objects.exclude(lead__state=LeadState.DUPLICATE)
    if source is not None:
        fingerprints = fingerprints.filter(lead__source=source)
    blocks: dict[tuple[int, str], list[int]] = defaultdict(list)
    rows = fingerprints.values_list("lead_id", *BLOCKING_KEYS).iterator(chunk_size=BATCH_SIZE)
    for lead_id, *keys in progress(rows, total=fingerprints.count(), desc="Grouping by keys", unit="lead"):
        for column, value in enumerate(keys):
            if value:
                blocks[(column, value)].append(lead_id)
    pairs: set[tuple[int, int]] = set()
    for members in blocks.values():
        if 1 < len(members) <= max_block_size:
            pairs.update(combinations(sorted(members), 2))
    return pairs


def _load_leads(ids: set[int], progress: Progress) -> dict[int, tuple[Lead, Profile]]:
    ordered = sorted(ids)
    loaded: dict[int, tuple[Lead, Profile]] = {}
    batches = [ordered[i : i + BATCH_SIZE] for i in range(0, len(ordered), BATCH_SIZE)]
    for batch in progress(batches, total=len(batches), desc="Loading leads", unit="batch"):
        for lead in Lead.objects.filter(pk__in=batch).only(*selectors.LEAD_MATCH_FIELDS):
            loaded[lead.pk] = (lead, profile_from_lead(lead))
    return loaded
