"""Unsupervised training of the match model (Fellegi-Sunter m and u per comparison level, by EM on numpy).

1. Term frequencies: the share of records with each name, street, postcode and city value; values most
   records share (a default postcode) become `common` and no blocking key is built on them.
2. u (how often two *different* records land in each level) from random pairs, where true duplicates are
   vanishingly rare.
3. m (how often *true duplicates* land in each level), u again and λ (the share of duplicates among the
   compared pairs) by expectation-maximisation over the pairs blocking produces, started from the hand-set
   prior. EM needs no labels: it finds the two populations (duplicates, others) that explain the levels best.

The same pairs are what the matcher scores, so the model describes exactly the population it judges.
"""

import math
import random
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from itertools import combinations

import numpy as np

from leadflow.quality.matching.comparisons import FIELD_LEVELS, TERM_FREQUENCY_FIELDS, compare, term_frequency_values
from leadflow.quality.matching.profile import Profile, blocking_keys, key_parts, usable_keys
from leadflow.quality.matching.scoring import Weights

FIELDS = tuple(FIELD_LEVELS)
# A value shared by at least this share of the records (and more records than a block may hold) is
# near-constant: keys built on it are not used.
COMMON_SHARE = 0.05
# Values seen fewer times than this are not stored: they take `rare_share`.
MIN_STORED_COUNT = 2
RANDOM_PAIRS = 30_000
MAX_TRAINING_PAIRS = 400_000
EM_ITERATIONS = 40
EM_TOLERANCE = 1e-5
# Pseudo-counts pulling each level's m and u toward the prior: a level with few pairs keeps a sane weight.
SMOOTHING = 1.0
MIN_PAIRS_TO_TRAIN = 500
MIN_SESSION_PAIRS = 100
MIN_MATCHES_PER_FIELD = 30


@dataclass
class TrainedModel:
    match_share: float  # λ: the share of compared (blocked) pairs that are duplicates
    m: dict[tuple[str, str], float]
    u: dict[tuple[str, str], float]
    u_exact_random: dict[str, float]
    term_frequency: dict[tuple[str, str], float]
    rare_share: float
    common: dict[str, list[str]]
    records: int
    pairs: int
    iterations: int
    trained_fields: list[str] = field(default_factory=list)
    replaced_name_share: float = 0.0

    @property
    def prior(self) -> float:
        return math.log(self.match_share / (1 - self.match_share))

    def weight(self, key: tuple[str, str]) -> float:
        return math.log(self.m[key] / self.u[key])


def measure_frequencies(profiles: Sequence[Profile], *, max_block_size: int) -> tuple[dict, float, dict]:
    """(term_frequency {(field, value): share}, rare_share, common {key part: [values]})."""
    total = len(profiles) or 1
    counts: dict[str, Counter] = defaultdict(Counter)
    part_counts: dict[str, Counter] = defaultdict(Counter)
    for profile in profiles:
        for name, value in term_frequency_values(profile).items():
            if value:
                counts[name][value] += 1
        for name, value in key_parts(profile).items():
            if value:
                part_counts[name][value] += 1
    term_frequency = {
        (name, value): n / total
        for name, counter in counts.items()
        for value, n in counter.items()
        if n >= MIN_STORED_COUNT
    }
    floor = max(COMMON_SHARE * total, max_block_size)
    common = {name: sorted(value for value, n in counter.items() if n > floor) for name, counter in part_counts.items()}
    return term_frequency, 1 / total, {name: values for name, values in common.items() if values}


# EM sessions, as Splink trains: each session takes the pairs of a few blocking rules and learns m only for
# the fields that are independent of those rules among non-duplicates. Pairs blocked on a name agree on names
# whether duplicates or not; pairs blocked on an address or a company are full of family members and
# colleagues, who share the address, phone and company but not the name: such a session learns only the
# fields that tell people apart. u stays fixed at its random-pair value. A field's m is the average over the
# sessions that learned it.
_PERSON_FIELDS = ("first_name", "last_name", "email", "birth_date", "national_id")
SESSIONS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    # name: (blocking rules, fields learned)
    "names": (
        ("full_name", "name_sound"),
        tuple(name for name in FIELD_LEVELS if name not in ("first_name", "last_name")),
    ),
    "address": (("address_key", "street_number"), _PERSON_FIELDS),
    "contact": (("email_key", "phone_key"), ("first_name", "last_name", "birth_date", "national_id")),
    "company": (("company_key", "domain"), _PERSON_FIELDS),
}


def blocked_pairs(
    profiles: Sequence[Profile],
    *,
    common: dict[str, list[str]],
    max_block_size: int,
    limit: int,
    rng: random.Random,
    rules: Iterable[str] | None = None,
) -> list[tuple[int, int]]:
    """Index pairs sharing a usable blocking key of `rules` (default all; each pair once), sampled to `limit`."""
    common_sets = {name: frozenset(values) for name, values in common.items()}
    wanted = set(rules) if rules is not None else None
    blocks: dict[tuple[str, str], list[int]] = defaultdict(list)
    for index, profile in enumerate(profiles):
        for rule, value in usable_keys(blocking_keys(profile), common_sets).items():
            if wanted is None or rule in wanted:
                blocks[(rule, value)].append(index)
    pairs: set[tuple[int, int]] = set()
    for members in blocks.values():
        if 1 < len(members) <= max_block_size:
            pairs.update(combinations(members, 2))
    ordered = sorted(pairs)
    return rng.sample(ordered, limit) if len(ordered) > limit else ordered


def level_matrix(profiles: Sequence[Profile], pairs: Iterable[tuple[int, int]]) -> np.ndarray:
    """One row per pair, one column per field: the level's index, -1 where the field is missing."""
    index = {name: {level: i for i, level in enumerate(levels)} for name, levels in FIELD_LEVELS.items()}
    rows = []
    for i, j in pairs:
        levels = compare(profiles[i], profiles[j])
        rows.append([index[name][levels[name]] if name in levels else -1 for name in FIELDS])
    return np.array(rows, dtype=np.int8).reshape(-1, len(FIELDS))


def train(profiles: Sequence[Profile], *, prior: Weights, max_block_size: int, seed: int = 1) -> TrainedModel | None:
    """Learn the model from these profiles; None when they yield too few pairs to learn anything."""
    rng = random.Random(seed)
    n = len(profiles)
    term_frequency, rare_share, common = measure_frequencies(profiles, max_block_size=max_block_size)
    pairs = blocked_pairs(profiles, common=common, max_block_size=max_block_size, limit=MAX_TRAINING_PAIRS, rng=rng)
    if len(pairs) < MIN_PAIRS_TO_TRAIN:
        return None
    random_pairs = {tuple(sorted(rng.sample(range(n), 2))) for _ in range(min(RANDOM_PAIRS, n * (n - 1) // 2))}
    u = {
        k: max(v, 1e-5)
        for k, v in _level_shares(level_matrix(profiles, random_pairs), np.ones(len(random_pairs))).items()
    }
    m_start = _m_from_prior(prior, u)
    gammas = level_matrix(profiles, pairs)
    row_of = {pair: row for row, pair in enumerate(pairs)}
    learned: dict[tuple[str, str], list[tuple[float, float]]] = defaultdict(list)
    iterations = 0
    for rules, fields in SESSIONS.values():
        session = blocked_pairs(
            profiles, common=common, max_block_size=max_block_size, limit=MAX_TRAINING_PAIRS // 2, rng=rng, rules=rules
        )
        if len(session) < MIN_SESSION_PAIRS:
            continue
        known = [pair for pair in session if pair in row_of]
        session_gammas = np.concatenate(
            (gammas[[row_of[pair] for pair in known]], level_matrix(profiles, [p for p in session if p not in row_of]))
        )
        m, matches, steps = _expectation_maximisation(session_gammas, m_start, u, fields)
        iterations += steps
        for name in fields:
            if matches.get(name, 0) >= MIN_MATCHES_PER_FIELD:
                for level in FIELD_LEVELS[name]:
                    learned[(name, level)].append((m[(name, level)], matches[name]))
    m_final = {
        key: sum(value * n for value, n in values) / sum(n for _, n in values) for key, values in learned.items()
    }
    trained = sorted({name for name, _ in m_final})
    if not trained:
        return None
    weights = {key: math.log(m_final[key] / u[key]) for key in m_final}
    match_share = _overall_match_share(gammas, weights, total_pairs=n * (n - 1) / 2, blocked=len(pairs))
    return TrainedModel(
        replaced_name_share=replaced_name_share(gammas),
        match_share=match_share,
        m=m_final,
        u={key: u[key] for key in m_final},
        u_exact_random={name: u[(name, "exact")] for name in TERM_FREQUENCY_FIELDS if name in trained},
        term_frequency=term_frequency,
        rare_share=rare_share,
        common=common,
        records=n,
        pairs=len(pairs),
        iterations=iterations,
        trained_fields=trained,
    )


def replaced_name_share(gammas: np.ndarray) -> float:
    """Of the compared pairs at one address with one surname and another first name, the share that is one
    person whose first name was replaced rather than two family members (0 when too few pairs tell).

    Households show as an excess of first-name disagreement over surname disagreement at one address: family
    members share a surname, not a first name, while a list's typing replaces either name about as often. So
    the rate r at which this list replaces a name is read from the surnames (another surname, same first
    name, one address); with d the share of another first name (same surname, one address) and households
    making up h of those pairs, d = (1 - h)·r + h, and the share of one person among the pairs with another
    first name is (1 - h)·r / d = r(1 - d) / (d(1 - r)).
    """

    def levels(name: str, wanted: tuple[str, ...]) -> np.ndarray:
        column = gammas[:, FIELDS.index(name)]
        return np.isin(column, [i for i, level in enumerate(FIELD_LEVELS[name]) if level in wanted])

    agree = ("exact", "nickname", "typo")
    at_address = levels("street", ("exact", "typo")) & levels("house_number", ("exact",))
    same_surname = at_address & levels("last_name", agree)
    same_first = at_address & levels("first_name", agree)
    first_known = same_surname & (gammas[:, FIELDS.index("first_name")] >= 0)
    last_known = same_first & (gammas[:, FIELDS.index("last_name")] >= 0)
    if min(first_known.sum(), last_known.sum()) < MIN_MATCHES_PER_FIELD:
        return 0.0
    d = float((first_known & levels("first_name", ("different",))).sum() / first_known.sum())
    r = float((last_known & levels("last_name", ("different",))).sum() / last_known.sum())
    if d == 0:
        return 1.0
    return min(1.0, r * (1 - d) / (d * (1 - r))) if r < 1 else 1.0


def _m_from_prior(prior: Weights, u: dict[tuple[str, str], float]) -> dict[tuple[str, str], float]:
    """m implied by the hand-set weights (m = u·e^weight, normalised per field): where EM starts."""
    m = {}
    for name in FIELDS:
        raw = {level: u[(name, level)] * math.exp(prior.level_weight(name, level)) for level in FIELD_LEVELS[name]}
        total = sum(raw.values())
        m.update({(name, level): value / total for level, value in raw.items()})
    return m


def _level_shares(gammas: np.ndarray, weights: np.ndarray) -> dict[tuple[str, str], float]:
    """Weighted share of each level among the pairs that have the field (empty fields left out)."""
    shares = {}
    for column, name in enumerate(FIELDS):
        present = gammas[:, column] >= 0
        total = weights[present].sum()
        for i, level in enumerate(FIELD_LEVELS[name]):
            count = weights[gammas[:, column] == i].sum()
            shares[(name, level)] = float(count / total) if total > 0 else 0.0
    return shares


def _log_ratios(gammas: np.ndarray, weights: dict[tuple[str, str], float], fields: Iterable[str]) -> np.ndarray:
    total = np.zeros(len(gammas))
    for name in fields:
        column = FIELDS.index(name)
        table = np.array([weights.get((name, level), 0.0) for level in FIELD_LEVELS[name]] + [0.0])
        total += table[gammas[:, column]]  # index -1 (missing) picks the trailing 0.0
    return total


def _expectation_maximisation(
    gammas: np.ndarray, m_start: dict, u: dict, fields: list[str]
) -> tuple[dict, dict[str, float], int]:
    """EM over one session's pairs with u fixed: (m, expected duplicates having each field, iterations)."""
    m = dict(m_start)
    match_share = 0.5
    iterations = 0
    posterior = np.zeros(len(gammas))
    for iterations in range(1, EM_ITERATIONS + 1):  # noqa: B007 - reported: how long EM took to settle
        weights = {key: math.log(m[key] / u[key]) for key in m}
        log_ratio = math.log(match_share / (1 - match_share)) + _log_ratios(gammas, weights, fields)
        posterior = 1 / (1 + np.exp(-np.clip(log_ratio, -30, 30)))
        new_share = float(np.clip(posterior.mean(), 1e-6, 1 - 1e-6))
        shares = _level_shares(gammas, posterior)
        new_m = dict(m)
        for name in fields:
            total = float(posterior[gammas[:, FIELDS.index(name)] >= 0].sum())
            for level in FIELD_LEVELS[name]:
                key = (name, level)
                new_m[key] = max((shares[key] * total + SMOOTHING * m_start[key]) / (total + SMOOTHING), 1e-6)
        change = max(abs(new_m[k] - m[k]) for k in m) + abs(new_share - match_share)
        m, match_share = new_m, new_share
        if change < EM_TOLERANCE:
            break
    matches = {name: float(posterior[gammas[:, FIELDS.index(name)] >= 0].sum()) for name in fields}
    return m, matches, iterations


def _overall_match_share(gammas: np.ndarray, weights: dict, *, total_pairs: float, blocked: int) -> float:
    """λ: the chance that two records picked at random are one customer. Fixed point of "expected duplicates
    among the blocked pairs (which hold nearly all duplicates) divided by all pairs"."""
    evidence = _log_ratios(gammas, weights, FIELDS)
    share = max(blocked / 10, 1.0) / total_pairs
    for _ in range(50):
        posterior = 1 / (1 + np.exp(-np.clip(math.log(share / (1 - share)) + evidence, -30, 30)))
        new_share = float(np.clip(posterior.sum() * blocked / len(gammas) / total_pairs, 1e-12, 0.5))
        if abs(math.log(new_share / share)) < 1e-4:
            return new_share
        share = new_share
    return share
