"""The evidence score of a pair of profiles: a Fellegi-Sunter sum of level weights, squashed to 0 to 1.

Each field both records have is in one comparison level (`comparisons.py`); each level has a weight in
log-odds, ln(m/u): m the share of true duplicates in that level, u the share of other pairs. The weights are
learned from the database's own leads (`training.py`, stored in `ComparisonLevel` rows) or, for a database
too small to learn from, derived from the hand-set `FieldWeight` prior. An exact agreement on a name, street,
postcode or city is weighed by how common the shared value is (term frequency).

A few rules describe people rather than strings and override the sum; whether they fire is decided by the
same weights (a level counts as "clearly different" when its weight says so), not by a fixed similarity cut:
one personal mailbox is one person; family members sharing an address, or one person at another company,
are not duplicate leads; two outlets of one brand are two businesses; one business listed twice (same
phone, similar name, same place) is one.
"""

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

from leadflow.core.normalize import ROLE_MAILBOXES
from leadflow.quality.matching.comparisons import TERM_FREQUENCY_FIELDS, compare, term_frequency_values
from leadflow.quality.matching.profile import Profile

# Hand-set weights (log-odds) per field: (agree, disagree). The prior for a database too small to learn from;
# the data migration stores them and the admin edits them.
DEFAULT_WEIGHTS = {
    "email": (7.0, 1.0),
    "phone": (4.0, 1.0),
    "first_name": (3.0, 4.0),
    "last_name": (4.0, 4.0),
    "company": (3.0, 3.0),
    "domain": (1.5, 1.0),
    "vat": (4.0, 3.0),
    "registration": (4.0, 3.0),
    "street": (1.5, 1.0),
    "house_number": (1.5, 2.0),
    "postcode": (1.5, 1.5),
    "city": (0.5, 0.5),
    "birth_date": (6.0, 4.0),
    "national_id": (8.0, 2.0),
}
DEFAULT_PRIOR = -5.0
# Where between -disagree (0) and +agree (1) a level sits when its weight comes from the hand-set prior.
PRIOR_FRACTION = {
    "exact": 1.0,
    "nickname": 0.9,
    "typo": 0.85,
    "contains": 0.7,
    "initial": 0.6,
    "number": 0.6,
    "similar": 0.4,
    "area": 0.3,
    "different": 0.0,
}
# The rules about people. Each is raised by a field whose level is "different" and decided by the learned
# evidence of the fields that tell the people of one household or office apart (a household shares address,
# phone and surname, an office its company, address and phone: those fields are left out). A national id
# (even mistyped) outweighs a replaced name; a birth date explains a changed surname (marriage) but not
# another first name (twins share a birth date, an address and a surname).
FIRST_NAME_EVIDENCE = ("first_name", "email", "national_id")
LAST_NAME_EVIDENCE = ("last_name", "email", "birth_date", "national_id")
COMPANY_EVIDENCE = ("company", "email")
# Term-frequency adjustments are bounded: a value seen once in a sample is not proof of identity.
TF_ADJUSTMENT_RANGE = (-8.0, 3.0)
# Scores the overriding rules cap a pair at: below any sensible review threshold; and, for another first name
# at one home address, between review and auto: a family member, or one person's record with the first name
# replaced (lists have both, and nothing else in a lead tells them apart): a person decides.
NOT_THE_SAME_PERSON = 0.3
PERSON_DECIDES = 0.75
# Below this learned share of replaced names, another first name at one address is taken as a household even
# on records without email or phone: the list shows at least three family members per replaced name.
REPLACED_NAMES_COMMON = 0.25
SAME_BUSINESS = 0.99


@dataclass(frozen=True)
class Weights:
    """A match model: prior log-odds, level weights, and the frequency of values for term-frequency adjustment.

    `levels` holds learned (or overridden) weights by (field, level); a level not in it takes its weight from
    the hand-set `fields` (agree, disagree). `term_frequency` maps (field, value) to the share of records with
    that value; `u_exact` the share of random pairs agreeing exactly on the field (what an average value says).
    `common` lists near-constant values per blocking-key part (see profile.usable_keys).
    """

    prior: float = DEFAULT_PRIOR
    fields: dict[str, tuple[float, float]] = field(default_factory=lambda: dict(DEFAULT_WEIGHTS))
    levels: Mapping[tuple[str, str], float] = field(default_factory=dict)
    u_exact: Mapping[str, float] = field(default_factory=dict)
    term_frequency: Mapping[tuple[str, str], float] = field(default_factory=dict)
    rare_share: float = 0.0  # share assumed for a value not in `term_frequency` (seen once, or never)
    common: Mapping[str, frozenset[str]] = field(default_factory=dict)
    # Of the pairs at one address with one surname and another first name, the share that is one person (a
    # replaced name) rather than family members; 0 (all family) until learned (training.replaced_name_share).
    replaced_name_share: float = 0.0

    def agree(self, name: str) -> float:
        return self.fields.get(name, DEFAULT_WEIGHTS[name])[0]

    def disagree(self, name: str) -> float:
        return self.fields.get(name, DEFAULT_WEIGHTS[name])[1]

    def level_weight(self, name: str, level: str) -> float:
        learned = self.levels.get((name, level))
        if learned is not None:
            return learned
        agree, disagree = self.agree(name), self.disagree(name)
        return -disagree + PRIOR_FRACTION[level] * (agree + disagree)

    def term_frequency_adjustment(self, name: str, value: str) -> float:
        """ln(u / tf): positive for a rare shared value, negative for one most records have."""
        u = self.u_exact.get(name)
        if not u or not value:
            return 0.0
        share = self.term_frequency.get((name, value), self.rare_share)
        if share <= 0:
            return 0.0
        low, high = TF_ADJUSTMENT_RANGE
        return max(low, min(high, math.log(u / share)))


@dataclass(frozen=True)
class PairScore:
    score: float
    reasons: list[str]
    same_account: bool = False  # the two records belong to one company (domain, company name or identifier)
    levels: dict[str, str] = field(default_factory=dict, compare=False)


LABELS = {
    "first_name": "first name",
    "last_name": "last name",
    "email": "email address",
    "phone": "phone number",
    "company": "company",
    "domain": "company domain",
    "vat": "VAT number",
    "registration": "registration number",
    "street": "street",
    "house_number": "house number",
    "postcode": "postcode",
    "city": "city",
    "birth_date": "date of birth",
    "national_id": "national id",
}
LEVEL_TEXT = {
    "nickname": "a nickname of the other",
    "typo": "nearly equal",
    "initial": "an initial of the other",
    "similar": "similar",
    "contains": "one inside the other",
    "number": "same number, other suffix",
    "area": "same area",
}


def score_pair(a: Profile, b: Profile, weights: Weights) -> PairScore:
    levels = compare(a, b)
    total = weights.prior
    reasons = []
    tf_values = term_frequency_values(a)
    for name, level in levels.items():
        weight = weights.level_weight(name, level)
        if level == "exact" and name in TERM_FREQUENCY_FIELDS:
            weight += weights.term_frequency_adjustment(name, tf_values[name])
        total += weight
        if weight > 0 and level != "different":  # a learned quirk, never a reason to call them one
            text = f"Same {LABELS[name]}." if level == "exact" else f"{LABELS[name].capitalize()} {LEVEL_TEXT[level]}."
            reasons.append(text)
    score = 1 / (1 + math.exp(-max(-30.0, min(30.0, total))))
    same_account = bool(
        (a.domain and a.domain == b.domain) or (a.vat and a.vat == b.vat) or levels.get("company") == "exact"
    )
    veto, cap = _not_the_same(a, b, levels, weights)
    if a.email and a.email == b.email and a.email_local not in ROLE_MAILBOXES:
        score = 1.0  # one personal mailbox is one person, whatever else was typed differently
    elif veto:
        score = min(score, cap)
        reasons = [*reasons, veto]
    elif _same_business(a, b, levels):
        score = max(score, SAME_BUSINESS)
        reasons = [*reasons, "One business listed twice: same phone, similar name, same place."]
    return PairScore(score=round(score, 4), reasons=reasons, same_account=same_account, levels=levels)


def _not_the_same(a: Profile, b: Profile, levels: dict[str, str], weights: Weights) -> tuple[str, float]:
    """The rule about people that overrides the sum, and the score it caps the pair at; ('', 1.0) when none."""

    def evidence(names: tuple[str, ...]) -> float:
        return sum(weights.level_weight(name, levels[name]) for name in names if name in levels)

    def outweighed(raised_by: str, names: tuple[str, ...]) -> bool:
        """The field clearly differs and the evidence that tells people apart does not favour one person."""
        return levels.get(raised_by) == "different" and evidence(names) < 0

    if (a.is_person and b.is_company) or (a.is_company and b.is_person):
        return "One record is a person and the other a company: at most the same account.", NOT_THE_SAME_PERSON
    at_work = bool(a.company and b.company)
    if outweighed("first_name", FIRST_NAME_EVIDENCE):
        if at_work:
            return "Different first names at one company: colleagues are different people.", NOT_THE_SAME_PERSON
        if evidence(FIRST_NAME_EVIDENCE[1:]) < 0:  # their own mailboxes (or ids) differ too
            return "Different first names and mailboxes: family members are different people.", NOT_THE_SAME_PERSON
        if a.reachable or b.reachable or weights.replaced_name_share < REPLACED_NAMES_COMMON:
            return "Different first names at one address: a family member, or a replaced name.", PERSON_DECIDES
    if at_work and outweighed("last_name", LAST_NAME_EVIDENCE):
        return "Different last names at one company: colleagues are different people.", NOT_THE_SAME_PERSON
    if outweighed("company", COMPANY_EVIDENCE):
        if a.is_person:
            return (
                "Works at a different company: the same person there is a new lead, not a duplicate.",
                NOT_THE_SAME_PERSON,
            )
        return (
            "Different business names: two outlets or tenants at one address are different customers.",
            NOT_THE_SAME_PERSON,
        )
    return "", 1.0


def _same_business(a: Profile, b: Profile, levels: dict[str, str]) -> bool:
    """Two company records with one phone number, a similar name and the same postcode or city."""
    return (
        a.is_company
        and b.is_company
        and levels.get("phone") == "exact"
        and levels.get("company") in ("exact", "typo", "contains")
        and "exact" in (levels.get("postcode"), levels.get("city"), levels.get("street"))
    )
