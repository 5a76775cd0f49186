"""Generator of realistic leads and corrupted copies with known truth, for the matcher accuracy benchmark.

Two populations, like the data Leadflow sees:
- B2B leads (Dutch, Belgian, German): person, company with legal form, email (company or free mail), phone,
  website, address. Copies get typos, swapped names, initials, dropped diacritics, other phone formats, other
  legal suffixes, free mail instead of company mail, missing fields.
- Person records from imported lists (FEBRL-style: no email, no company, date of birth and national id in
  custom fields). Copies get typos, missing values, swapped day/month, mistyped phone digits.
Hard negatives with their own entity ids: household members (same address and surname, other first name and
birth date), namesakes elsewhere, and the same person at another company.
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
)
LOCALES = {"NL": "nl_NL", "BE": "nl_BE", "DE": "de_DE"}
NICKNAME_FREE_TYPO_KEYS = "abcdefghijklmnopqrstuvwxyz"


@dataclass
class Record:
    entity: int
    fields: dict[str, str]
    custom_fields: dict[str, str] = field(default_factory=dict)


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
    def __init__(self, seed: int = 7) -> None:
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
        return Record(entity=original.entity, fields=f)

    def colleague(self, original: Record) -> Record:
        """Another person at the same company: same domain, phone switchboard and address."""
        fake = self.fakers[original.fields["country"]]
        f = dict(original.fields)
        f["first_name"], f["last_name"] = fake.first_name(), fake.last_name()
        domain = f["email"].split("@")[1]
        f["email"] = strip_accents(f"{f['first_name']}.{f['last_name']}".lower().replace(" ", "")) + "@" + domain
        return Record(entity=self._entity(), fields=f)

    def job_change(self, original: Record) -> Record:
        """The same person at another company: not a duplicate lead."""
        other = self.b2b_original()
        f = dict(other.fields)
        f["first_name"], f["last_name"] = original.fields["first_name"], original.fields["last_name"]
        return Record(entity=other.entity, fields=f)

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
                "date_of_birth": dob.strftime("%Y%m%d"),
                "soc_sec_id": str(self.rng.randint(1000000, 9999999)),
                "state": self.rng.choice(("nsw", "vic", "qld", "wa")),
            },
        )

    def person_copy(self, original: Record) -> Record:
        f, custom = dict(original.fields), dict(original.custom_fields)
        for c in self.rng.sample(
            ("typo_first", "typo_last", "typo_street", "missing", "dob", "ssn", "phone", "swap", "city", "postcode"),
            k=self.rng.randint(1, 3),
        ):
            if c == "typo_first":
                f["first_name"] = typo(self.rng, f["first_name"])
            elif c == "typo_last":
                f["last_name"] = typo(self.rng, f["last_name"])
            elif c == "typo_street":
                f["street"] = typo(self.rng, f["street"])
            elif c == "missing":
                name = self.rng.choice(("phone", "street", "city", "date_of_birth", "soc_sec_id"))
                (custom if name in custom else f)[name] = ""
            elif c == "dob":
                d = custom["date_of_birth"]
                if len(d) == 8:
                    custom["date_of_birth"] = d[:4] + d[6:8] + d[4:6] if int(d[6:8]) <= 12 else typo(self.rng, d)
            elif c == "ssn":
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
        return Record(entity=original.entity, fields=f, custom_fields=custom)

    def household_member(self, original: Record) -> Record:
        fake = self.fakers["AU"]
        custom = dict(original.custom_fields)
        custom["date_of_birth"] = fake.date_of_birth(minimum_age=1, maximum_age=90).strftime("%Y%m%d")
        custom["soc_sec_id"] = str(self.rng.randint(1000000, 9999999))
        f = dict(original.fields)
        f["first_name"] = fake.first_name()
        return Record(entity=self._entity(), fields=f, custom_fields=custom)

    # --- A data set ---------------------------------------------------------------------------------
    def dataset(self, originals: int, duplicate_rate: float = 0.4) -> list[Record]:
        """`originals` distinct customers, half B2B and half person records, with copies and hard negatives."""
        records: list[Record] = []
        for index in range(originals):
            b2b = index % 2 == 0
            original = self.b2b_original() if b2b else self.person_original()
            records.append(original)
            if self.rng.random() < duplicate_rate:
                copies = self.rng.choice((1, 1, 1, 2, 3))
                records += [(self.b2b_copy if b2b else self.person_copy)(original) for _ in range(copies)]
            roll = self.rng.random()
            if roll < 0.05:
                records.append(self.colleague(original) if b2b else self.household_member(original))
            elif roll < 0.08 and b2b:
                records.append(self.job_change(original))
        self.rng.shuffle(records)
        return records


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
