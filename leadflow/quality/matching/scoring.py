"""The evidence score of a pair of profiles: field-by-field agreement weighed in log-odds, squashed to 0 to 1.

Each field both records have adds its `agree` weight when it agrees, subtracts its `disagree` weight when it
clearly differs, and something in between for near misses (typos). A few rules override the sum, because they
describe people rather than strings: one mailbox is one person; family members sharing an address, or one
person at another company, are not duplicate leads.
"""

import math
from dataclasses import dataclass, field

from rapidfuzz import fuzz
from rapidfuzz.distance import JaroWinkler, Levenshtein

from leadflow.quality.matching.profile import Profile

ROLE_MAILBOXES = frozenset(
    {"info", "sales", "contact", "office", "admin", "support", "hello", "mail", "post", "verkoop", "kantoor"}
)

# Default weights (log-odds) per field: (agree, disagree). The data migration stores them; the admin edits them.
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
    "birth_date": (4.0, 4.0),
    "national_id": (5.0, 2.0),
}
DEFAULT_PRIOR = -6.0
# Scores the overriding rules cap a pair at: below any sensible review threshold.
NOT_THE_SAME_PERSON = 0.3


@dataclass(frozen=True)
class Weights:
    prior: float = DEFAULT_PRIOR
    fields: dict[str, tuple[float, float]] = field(default_factory=lambda: dict(DEFAULT_WEIGHTS))

    def agree(self, name: str) -> float:
        return self.fields.get(name, DEFAULT_WEIGHTS[name])[0]

    def disagree(self, name: str) -> float:
        return self.fields.get(name, DEFAULT_WEIGHTS[name])[1]


@dataclass(frozen=True)
class PairScore:
    score: float
    reasons: list[str]
    same_account: bool = False  # the two records belong to one company (domain, company name or identifier)


def score_pair(a: Profile, b: Profile, weights: Weights) -> PairScore:
    evidence = _Evidence(weights)
    _compare_names(a, b, evidence)
    evidence.exact("email", a.email, b.email, "Same email address")
    evidence.graded("phone", _phone_similarity(a.phone, b.phone), "Same phone number", "Phone number nearly equal")
    evidence.graded("company", _company_similarity(a.company, b.company), "Same company", "Similar company name")
    evidence.exact("domain", a.domain, b.domain, "Same company domain")
    evidence.exact("vat", a.vat, b.vat, "Same VAT number")
    evidence.exact("registration", a.registration, b.registration, "Same registration number")
    evidence.graded("street", _similarity(a.street, b.street), "Same street", "Similar street")
    evidence.exact("house_number", a.house_number, b.house_number, "Same house number")
    evidence.graded("postcode", _code_similarity(a.postcode, b.postcode), "Same postcode", "Postcode nearly equal")
    evidence.graded("city", _similarity(a.city, b.city), "Same city", "Similar city")
    evidence.graded(
        "birth_date", _date_similarity(a.birth_date, b.birth_date), "Same date of birth", "Date of birth nearly equal"
    )
    evidence.graded(
        "national_id", _code_similarity(a.national_id, b.national_id), "Same national id", "National id nearly equal"
    )

    score = 1 / (1 + math.exp(-max(-30.0, min(30.0, evidence.total))))
    reasons = evidence.reasons
    same_account = bool(
        (a.domain and a.domain == b.domain)
        or (a.vat and a.vat == b.vat)
        or (_company_similarity(a.company, b.company) or 0.0) >= 0.95
    )
    veto = _not_the_same_person(a, b)
    if a.email and a.email == b.email and a.email_local not in ROLE_MAILBOXES:
        score = 1.0  # one personal mailbox is one person, whatever else was typed differently
    elif veto:
        score = min(score, NOT_THE_SAME_PERSON)
        reasons = [*reasons, veto]
    return PairScore(score=round(score, 4), reasons=reasons, same_account=same_account)


class _Evidence:
    def __init__(self, weights: Weights) -> None:
        self.weights = weights
        self.total = weights.prior
        self.reasons: list[str] = []

    def exact(self, name: str, a: str, b: str, reason: str) -> None:
        if a and b:
            self.graded(name, 1.0 if a == b else 0.0, reason, reason)

    def graded(self, name: str, similarity: float | None, same: str, near: str) -> None:
        """similarity None: a field missing on either side says nothing. ≥0.95 agrees, ≤0.7 disagrees."""
        if similarity is None:
            return
        agree, disagree = self.weights.agree(name), self.weights.disagree(name)
        if similarity >= 0.95:
            self.total += agree
            self.reasons.append(f"{same}.")
        elif similarity <= 0.7:
            self.total -= disagree
        else:
            fraction = (similarity - 0.7) / 0.25
            self.total += -disagree + fraction * (agree + disagree)
            if fraction >= 0.5:
                self.reasons.append(f"{near} ({similarity:.0%}).")


def _compare_names(a: Profile, b: Profile, evidence: _Evidence) -> None:
    straight = (_first_name_similarity(a.first, b.first), _last_name_similarity(a, b.last, b.last_core))
    swapped = (_first_name_similarity(a.first, b.last), _first_name_similarity(a.last, b.first))
    if None not in swapped and None not in straight and sum(swapped) > sum(straight) + 0.2:
        evidence.graded("first_name", swapped[0], "First and last name swapped", "Names swapped, nearly equal")
        evidence.graded("last_name", swapped[1], "Last name matches first name", "Names swapped, nearly equal")
        return
    evidence.graded("first_name", straight[0], "Same first name", "Similar first name")
    evidence.graded("last_name", straight[1], "Same last name", "Similar last name")


def _first_name_similarity(a: str, b: str) -> float | None:
    """Initials count as a partial match: 'a' agrees somewhat with 'anna', 'anna maria' well with 'anna'."""
    if not a or not b:
        return None
    if a == b:
        return 1.0
    a_first, b_first = a.split(" ")[0], b.split(" ")[0]
    if len(a_first) == 1 or len(b_first) == 1:
        return 0.85 if a_first[0] == b_first[0] else 0.0
    if a_first == b_first:
        return 0.95
    return JaroWinkler.similarity(a, b)


def _last_name_similarity(a: Profile, b_last: str, b_core: str) -> float | None:
    if not a.last or not b_last:
        return None
    return max(JaroWinkler.similarity(a.last, b_last), JaroWinkler.similarity(a.last_core, b_core))


def _similarity(a: str, b: str) -> float | None:
    if not a or not b:
        return None
    return max(JaroWinkler.similarity(a, b), fuzz.token_sort_ratio(a, b) / 100)


def _company_similarity(a: str, b: str) -> float | None:
    if not a or not b:
        return None
    # "acme" and "acme trading" name one company more often than not, but less surely than equal names.
    return max(JaroWinkler.similarity(a, b), fuzz.token_sort_ratio(a, b) / 100, 0.9 * fuzz.token_set_ratio(a, b) / 100)


def _code_similarity(a: str, b: str) -> float | None:
    """Identifiers and postcodes: equal, one typo (0.85), or different."""
    if not a or not b:
        return None
    if a == b:
        return 1.0
    return 0.85 if len(a) == len(b) and Levenshtein.distance(a, b) <= 1 else 0.0


def _phone_similarity(a: str, b: str) -> float | None:
    """Equal numbers, one written with and one without the country prefix, or one mistyped digit."""
    if not a or not b:
        return None
    a_digits, b_digits = a.lstrip("+"), b.lstrip("+")
    if a == b or (len(a_digits) >= 9 and len(b_digits) >= 9 and a_digits[-9:] == b_digits[-9:]):
        return 1.0
    return _code_similarity(a_digits, b_digits)


def _date_similarity(a: str, b: str) -> float | None:
    """Equal dates, one mistyped digit, or day and month swapped (0.85)."""
    if not a or not b:
        return None
    if a == b:
        return 1.0
    if len(a) == len(b) == 8 and a[:4] == b[:4] and a[4:6] == b[6:8] and a[6:8] == b[4:6]:
        return 0.85
    return _code_similarity(a, b)


def _not_the_same_person(a: Profile, b: Profile) -> str:
    """The rules that no amount of shared address or phone outweighs; '' when none applies."""
    if a.is_person != b.is_person:
        return "One record is a person and the other a company: at most the same account."
    # A birth date or national id both records share outweighs a mangled name; a household shares neither.
    same_individual = (a.birth_date and a.birth_date == b.birth_date) or (
        a.national_id and a.national_id == b.national_id
    )
    swapped = [_first_name_similarity(a.first, b.last), _first_name_similarity(a.last, b.first)]
    names_swapped = None not in swapped and min(swapped) >= 0.8
    if not same_individual and not names_swapped:
        first = _first_name_similarity(a.first, b.first)
        if first is not None and first < 0.75:
            return "Different first names: family members or colleagues are different people."
        last = _last_name_similarity(a, b.last, b.last_core)
        if last is not None and last < 0.75:
            return "Different last names: colleagues sharing a company or a first name are different people."
    if a.is_person and a.company and b.company and (_company_similarity(a.company, b.company) or 0) < 0.6:
        return "Works at a different company: the same person there is a new lead, not a duplicate."
    return ""
