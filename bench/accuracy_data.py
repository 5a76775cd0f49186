"""Generator of realistic leads and corrupted copies with known truth, for the matcher accuracy benchmark.

Three populations, like the data Leadflow sees:
- B2B leads (Dutch, Belgian, German): person, company with legal form, email (company or free mail), phone,
  website, address. Copies get typos, swapped names, initials, dropped diacritics, other phone formats, other
  legal suffixes, free mail instead of company mail, missing fields.
- Person records from imported lists (FEBRL-style: no email, no company, date of birth and national id in
  custom fields). Copies get typos, missing values, swapped day/month, mistyped phone digits.
- Businesses (a restaurant or hotel guide): company name, phone, address, no person. Copies get typos,
  abbreviations, other phone formats, missing fields.
Copies of people also get nicknames (Robert → Bob, from the `nicknames` table) and placeholder words in a name
field (`Mr`, `n/a`, `declined`). By default person records carry no birth date or national id (lead-shaped);
`with_ids=True` adds them.
Hard negatives with their own entity ids, labelled in `Record.negative`: household members (same address,
phone and surname, other first name), colleagues (same company), the same person at another company
(`job_change`), and another outlet of one brand at the same address and phone (`outlet`).
"""

import random
from dataclasses import dataclass, field

from faker import Faker

LEGAL_FORMS = {"NL": ["B.V.", "BV", "b.v.", "N.V.", ""], "BE": ["BVBA", "NV", "SRL", ""], "DE": ["GmbH", "AG", ""]}
FREE_MAIL = ["gmail.com", "hotmail.com", "outlook.com", "ziggo.nl", "gmx.de", "telenet.be"]
B2B_CORRUPTIONS = (
    "typo_last",
    "typo_first",
    "swap",
    "initial",
    "accents",
    "phone_format",
    "legal",
    "free_mail",
    "missing",
    "email_case",
    "website_form",
    "city_case",
    "nickname",
    "placeholder",
)
LOCALES = {"NL": "nl_NL", "BE": "nl_BE", "DE": "de_DE"}
NICKNAME_FREE_TYPO_KEYS = "abcdefghijklmnopqrstuvwxyz"


@dataclass
class Record:
    entity: int
    fields: dict[str, str]
    custom_fields: dict[str, str] = field(default_factory=dict)
    kind: str = "b2b"  # b2b, person or business
    negative: str = ""  # household, colleague, job_change or outlet: a look-alike that is another customer
    negative_of: int = 0  # the entity it looks like


PLACEHOLDER_NAMES = ("Mr", "Mrs.", "n/a", "declined", "unknown", "-", "Woman")
OUTLETS = ("Cafe", "Dining Room", "Bar", "Brasserie", "Spa", "Lounge", "Bistro")
BRANDS = ("Hotel", "Grand Hotel", "Palace", "Resort", "Plaza")
BUSINESS_WORDS = ("Restaurant", "Grill", "Kitchen", "Deli", "Trattoria", "Bakery", "Oyster Bar", "Steakhouse")
ABBREVIATIONS = {"Restaurant": "Rest.", "Delicatessen": "Deli", "Street": "St.", "Avenue": "Ave", "Straat": "Str."}


def typo(rng: random.Random, value: str) -> str:
    """One keyboard slip: insert, delete, substitute or transpose a letter."""
    if len(value) < 3:
        return value
    i = rng.randrange(1, len(value) - 1)
    kind = rng.choice(("insert", "delete", "substitute", "transpose"))
    letter = rng.choice(NICKNAME_FREE_TYPO_KEYS)
    if kind == "insert":
        return value[:i] + letter + value[i:]
    if kind == "delete":
        return value[:i] + value[i + 1 :]
    if kind == "substitute":
        return value[:i] + letter + value[i + 1 :]
    return value[: i - 1] + value[i] + value[i - 1] + value[i + 1 :]


def strip_accents(value: str) -> str:
    import unicodedata

    return "".join(c for c in unicodedata.normalize("NFKD", value) if not unicodedata.combining(c))


class Generator:
    def __init__(self, seed: int = 7, *, with_ids: bool = False) -> None:
        from nicknames import NickNamer

        self.with_ids = with_ids
        self.nicknames = NickNamer()
        self.rng = random.Random(seed)
        self.fakers = {country: Faker(locale) for country, locale in LOCALES.items()}
        self.fakers["AU"] = Faker("en_AU")
        for faker in self.fakers.values():
            faker.seed_instance(seed)
        self.next_entity = 0

    def _entity(self) -> int:
        self.next_entity += 1
        return self.next_entity

    # --- B2B leads -----------------------------------------------------------------------------
    def b2b_original(self) -> Record:
        country = self.rng.choice(("NL", "NL", "BE", "DE"))
        fake = self.fakers[country]
        first, last = fake.first_name(), fake.last_name()
        company_base = fake.last_name() + " " + self.rng.choice(("Bouw", "Techniek", "Logistiek", "Media", "Groep"))
        domain = strip_accents(company_base.lower().replace(" ", "")).replace("'", "") + f"{self.rng.randint(1, 999)}"
        domain += "." + country.lower()
        local = strip_accents(f"{first[0]}.{last}".lower().replace(" ", ""))
        return Record(
            entity=self._entity(),
            fields={
                "first_name": first,
                "last_name": last,
                "email": f"{local}@{domain}",
                "phone": self._phone(country),
                "company": f"{company_base} {self.rng.choice(LEGAL_FORMS[country])}".strip(),
                "website": f"https://www.{domain}/",
                "street": f"{fake.street_name()} {self.rng.randint(1, 250)}",
                "postcode": fake.postcode(),
                "city": fake.city(),
                "country": country,
            },
        )

    def _phone(self, country: str) -> str:
        prefix = {"NL": "+31 20", "BE": "+32 2", "DE": "+49 30"}[country]
        return f"{prefix} {self.rng.randint(1000000, 9999999)}"

    def b2b_copy(self, original: Record) -> Record:
        f = dict(original.fields)
        corruptions = self.rng.sample(
            B2B_CORRUPTIONS,
            k=self.rng.randint(1, 3),
        )
        for c in corruptions:
            if c == "typo_last":
                f["last_name"] = typo(self.rng, f["last_name"])
            elif c == "typo_first":
                f["first_name"] = typo(self.rng, f["first_name"])
            elif c == "swap":
                f["first_name"], f["last_name"] = f["last_name"], f["first_name"]
            elif c == "initial":
                f["first_name"] = f["first_name"][0] + "."
            elif c == "accents":
                f["last_name"], f["first_name"] = strip_accents(f["last_name"]), strip_accents(f["first_name"])
            elif c == "phone_format" and f["phone"]:
                national = f["phone"].split(" ", 1)[1]
                f["phone"] = "0" + national.replace(" ", "-")
            elif c == "legal":
                base = f["company"].rsplit(" ", 1)[0] if f["company"].count(" ") > 1 else f["company"]
                f["company"] = f"{base} {self.rng.choice(LEGAL_FORMS[f['country']])}".strip().upper()
            elif c == "free_mail":
                local = strip_accents(f"{f['first_name']}.{f['last_name']}".lower().replace(" ", ""))
                f["email"] = f"{local}{self.rng.randint(1, 99)}@{self.rng.choice(FREE_MAIL)}"
            elif c == "missing":
                for name in self.rng.sample(("phone", "street", "postcode", "website"), k=2):
                    f[name] = ""
            elif c == "email_case":
                f["email"] = f["email"].upper()
            elif c == "website_form" and f["website"]:
                f["website"] = f["website"].replace("https://www.", "").rstrip("/")
            elif c == "city_case":
                f["city"] = f["city"].upper()
            else:
                self._name_variant(c, f)
        return Record(entity=original.entity, fields=f)

    def _name_variant(self, corruption: str, f: dict[str, str]) -> None:
        """A nickname for the first name (when the table knows one), or a placeholder in a name field."""
        if corruption == "nickname":
            known = sorted(self.nicknames.nicknames_of(f["first_name"].lower()))
            if known:
                f["first_name"] = self.rng.choice(known).capitalize()
        elif corruption == "placeholder":
            f[self.rng.choice(("first_name", "last_name"))] = self.rng.choice(PLACEHOLDER_NAMES)

    def colleague(self, original: Record) -> Record:
        """Another person at the same company: same domain, phone switchboard and address."""
        fake = self.fakers[original.fields["country"]]
        f = dict(original.fields)
        f["first_name"], f["last_name"] = fake.first_name(), fake.last_name()
        domain = f["email"].split("@")[1]
        f["email"] = strip_accents(f"{f['first_name']}.{f['last_name']}".lower().replace(" ", "")) + "@" + domain
        return Record(entity=self._entity(), fields=f, negative="colleague", negative_of=original.entity)

    def job_change(self, original: Record) -> Record:
        """The same person at another company in the same city: not a duplicate lead."""
        other = self.b2b_original()
        f = dict(other.fields)
        f["first_name"], f["last_name"] = original.fields["first_name"], original.fields["last_name"]
        f["city"], f["country"] = original.fields["city"], original.fields["country"]
        return Record(entity=other.entity, fields=f, negative="job_change", negative_of=original.entity)

    # --- Businesses from a guide ------------------------------------------------------------------
    def business_original(self) -> Record:
        fake = self.fakers[self.rng.choice(("NL", "DE", "AU"))]
        if self.rng.random() < 0.3:
            name = f"{self.rng.choice(OUTLETS)} {self.rng.choice(BRANDS)} {fake.last_name()}"
        else:
            name = f"{fake.last_name()}'s {self.rng.choice(BUSINESS_WORDS)}"
        return Record(
            entity=self._entity(),
            kind="business",
            fields={
                "company": name,
                "phone": f"+31 20 {self.rng.randint(1000000, 9999999)}",
                "street": f"{self.rng.randint(1, 400)} {fake.street_name()}",
                "postcode": fake.postcode(),
                "city": fake.city(),
            },
        )

    def business_copy(self, original: Record) -> Record:
        f = dict(original.fields)
        for c in self.rng.sample(("typo", "abbreviate", "phone_format", "missing", "case"), k=self.rng.randint(1, 2)):
            if c == "typo":
                f["company"] = typo(self.rng, f["company"])
            elif c == "abbreviate":
                for long, short in ABBREVIATIONS.items():
                    f["company"], f["street"] = f["company"].replace(long, short), f["street"].replace(long, short)
            elif c == "phone_format" and f["phone"].count(" ") == 2:
                f["phone"] = "020-" + f["phone"].rsplit(" ", 1)[1]
            elif c == "missing":
                f[self.rng.choice(("postcode", "street", "phone"))] = ""
            elif c == "case":
                f["company"] = f["company"].upper()
        return Record(entity=original.entity, fields=f, kind="business")

    def outlet(self, original: Record) -> Record:
        """Another outlet of the same brand: same address and switchboard, another business."""
        f = dict(original.fields)
        words = f["company"].split(" ")
        brand = " ".join(words[1:]) if words[0] in OUTLETS else f["company"]
        other_outlets = [o for o in OUTLETS if not f["company"].startswith(o)]
        f["company"] = f"{self.rng.choice(other_outlets)} {brand}"
        return Record(entity=self._entity(), fields=f, kind="business", negative="outlet", negative_of=original.entity)

    # --- Person records from imported lists ------------------------------------------------------
    def person_original(self) -> Record:
        fake = self.fakers["AU"]
        dob = fake.date_of_birth(minimum_age=18, maximum_age=90)
        return Record(
            entity=self._entity(),
            fields={
                "first_name": fake.first_name(),
                "last_name": fake.last_name(),
                "phone": f"0{self.rng.randint(2, 8)} {self.rng.randint(1000, 9999)} {self.rng.randint(1000, 9999)}",
                "street": fake.street_name(),
                "postcode": f"{self.rng.randint(2000, 7999)}",
                "city": fake.city(),
            },
            custom_fields={
                "street_number": str(self.rng.randint(1, 300)),
                "state": self.rng.choice(("nsw", "vic", "qld", "wa")),
            }
            | (
                {"date_of_birth": dob.strftime("%Y%m%d"), "soc_sec_id": str(self.rng.randint(1000000, 9999999))}
                if self.with_ids
                else {}
            ),
            kind="person",
        )

    def person_copy(self, original: Record) -> Record:
        f, custom = dict(original.fields), dict(original.custom_fields)
        for c in self.rng.sample(
            (
                *("typo_first", "typo_last", "typo_street", "missing", "dob", "ssn", "phone", "swap", "city"),
                *("postcode", "nickname", "placeholder"),
            ),
            k=self.rng.randint(1, 3),
        ):
            if c == "typo_first":
                f["first_name"] = typo(self.rng, f["first_name"])
            elif c == "typo_last":
                f["last_name"] = typo(self.rng, f["last_name"])
            elif c == "typo_street":
                f["street"] = typo(self.rng, f["street"])
            elif c == "missing":
                name = self.rng.choice(
                    [n for n in ("phone", "street", "city", "date_of_birth", "soc_sec_id") if n in {**f, **custom}]
                )
                (custom if name in custom else f)[name] = ""
            elif c in ("nickname", "placeholder"):
                self._name_variant(c, f)
            elif c == "dob" and "date_of_birth" in custom:
                d = custom["date_of_birth"]
                if len(d) == 8:
                    custom["date_of_birth"] = d[:4] + d[6:8] + d[4:6] if int(d[6:8]) <= 12 else typo(self.rng, d)
            elif c == "ssn" and "soc_sec_id" in custom:
                custom["soc_sec_id"] = typo(self.rng, custom["soc_sec_id"]) if custom["soc_sec_id"] else ""
            elif c == "phone" and f["phone"]:
                digits = list(f["phone"])
                i = self.rng.choice([k for k, ch in enumerate(digits) if ch.isdigit()][1:])
                digits[i] = str((int(digits[i]) + 1) % 10)
                f["phone"] = "".join(digits)
            elif c == "swap":
                f["first_name"], f["last_name"] = f["last_name"], f["first_name"]
            elif c == "city":
                f["city"] = typo(self.rng, f["city"])
            elif c == "postcode":
                f["postcode"] = typo(self.rng, f["postcode"]) if len(f["postcode"]) > 3 else f["postcode"]
        return Record(entity=original.entity, fields=f, custom_fields=custom, kind="person")

    def household_member(self, original: Record) -> Record:
        fake = self.fakers["AU"]
        custom = dict(original.custom_fields)
        if self.with_ids:
            custom["date_of_birth"] = fake.date_of_birth(minimum_age=1, maximum_age=90).strftime("%Y%m%d")
            custom["soc_sec_id"] = str(self.rng.randint(1000000, 9999999))
        f = dict(original.fields)
        f["first_name"] = fake.first_name()
        return Record(
            entity=self._entity(),
            fields=f,
            custom_fields=custom,
            kind="person",
            negative="household",
            negative_of=original.entity,
        )

    # --- A data set ---------------------------------------------------------------------------------
    def dataset(self, originals: int, duplicate_rate: float = 0.4) -> list[Record]:
        """`originals` distinct customers (B2B leads, person records and businesses in turn), with copies and
        hard negatives (households, colleagues, job changes, outlets)."""
        makers = {
            "b2b": (self.b2b_original, self.b2b_copy),
            "person": (self.person_original, self.person_copy),
            "business": (self.business_original, self.business_copy),
        }
        records: list[Record] = []
        for index in range(originals):
            kind = ("b2b", "person", "business")[index % 3]
            make, copy = makers[kind]
            original = make()
            records.append(original)
            if self.rng.random() < duplicate_rate:
                records += [copy(original) for _ in range(self.rng.choice((1, 1, 1, 2, 3)))]
            records += self._negatives(kind, original)
        self.rng.shuffle(records)
        return records

    def _negatives(self, kind: str, original: Record) -> list[Record]:
        roll = self.rng.random()
        if kind == "b2b":
            return [self.colleague(original)] if roll < 0.05 else [self.job_change(original)] if roll < 0.12 else []
        if kind == "person":
            return [self.household_member(original)] if roll < 0.12 else []
        return [self.outlet(original)] if roll < 0.12 else []


def true_pairs(records: list[Record], ids: list[int]) -> set[tuple[int, int]]:
    """Every pair of stored ids whose records are the same entity."""
    by_entity: dict[int, list[int]] = {}
    for record, lead_id in zip(records, ids, strict=True):
        by_entity.setdefault(record.entity, []).append(lead_id)
    pairs = set()
    for members in by_entity.values():
        members.sort()
        pairs.update((a, b) for i, a in enumerate(members) for b in members[i + 1 :])
    return pairs
