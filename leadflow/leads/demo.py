"""Demo data for a first look: an admin login and leads spread over the states of the machine."""

import secrets
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model

from leadflow.leads import services
from leadflow.leads.models import Lead, SourceKind

DEMO_SOURCE = "demo"
ADMIN_USERNAME = "admin"

# (fields, what happens after the checks) — enough variety to show every state and finding.
DEMO_LEADS: list[tuple[dict[str, str], str]] = [
    (
        {
            "first_name": "Anna",
            "last_name": "de Vries",
            "email": "anna@bakkerij-devries.nl",
            "phone": "020 555 0101",
            "company": "Bakkerij De Vries B.V.",
            "city": "Amsterdam",
            "country": "NL",
            "website": "https://www.bakkerij-devries.nl",
        },
        "",
    ),
    (
        {
            "first_name": "Jan",
            "last_name": "Peeters",
            "email": "jan.peeters@peeters-logistics.be",
            "phone": "+32 3 555 01 02",
            "company": "Peeters Logistics NV",
            "city": "Antwerpen",
            "country": "BE",
        },
        "",
    ),
    (
        {
            "first_name": "Lena",
            "last_name": "Schmidt",
            "email": "l.schmidt@schmidt-maschinenbau.de",
            "phone": "030 5550103",
            "company": "Schmidt Maschinenbau GmbH",
            "city": "Berlin",
            "country": "DE",
        },
        "",
    ),
    (
        {
            "first_name": "Pieter",
            "last_name": "Jansen",
            "email": "pieter@jansen-installatie.nl",
            "phone": "010 555 0104",
            "company": "Jansen Installatietechniek",
            "city": "Rotterdam",
            "country": "NL",
        },
        "",
    ),
    (
        {
            "first_name": "Sophie",
            "last_name": "Maes",
            "email": "sophie.maes@maes-architecten.be",
            "company": "Maes Architecten",
            "city": "Gent",
            "country": "BE",
        },
        "reject",
    ),
    (
        {
            "first_name": "Tom",
            "last_name": "Bakker",
            "email": "tom.bakker@",
            "phone": "06 1234",
            "company": "Bakker Transport",
            "city": "Utrecht",
            "country": "NL",
        },
        "",
    ),
    (
        {
            "first_name": "Eva",
            "last_name": "Visser",
            "email": "eva@gmail.com",
            "phone": "+31 6 5555 0106",
            "company": "",
            "city": "Den Haag",
            "country": "NL",
        },
        "",
    ),
    (
        {
            "first_name": "Anna",
            "last_name": "de Vries",
            "email": "ANNA@bakkerij-devries.nl",
            "phone": "+31 20 555 0101",
            "company": "Bakkerij de Vries",
            "city": "Amsterdam",
            "country": "NL",
        },
        "",
    ),
    (
        {
            "first_name": "Markus",
            "last_name": "Weber",
            "email": "m.weber@weber-it.de",
            "phone": "+49 89 5550107",
            "company": "Weber IT Solutions GmbH",
            "city": "München",
            "country": "DE",
        },
        "",
    ),
    (
        {
            "first_name": "Noor",
            "last_name": "El Amrani",
            "email": "noor@elamrani-consult.nl",
            "phone": "030 555 0108",
            "company": "El Amrani Consultancy",
            "city": "Utrecht",
            "country": "NL",
        },
        "",
    ),
]


def demo_admin_credentials() -> tuple[str, str]:
    """Create (once) a superuser for the demo; the password lives beside the local database, never in the repo."""
    password_file = Path(settings.DATA_DIR) / "demo-admin-password"
    if not password_file.exists():
        password_file.write_text(secrets.token_urlsafe(12))
        password_file.chmod(0o600)
    password = password_file.read_text().strip()
    user_model = get_user_model()
    admin = user_model.objects.filter(username=ADMIN_USERNAME).first()
    if admin is None:
        user_model.objects.create_superuser(ADMIN_USERNAME, "admin@leadflow.local", password)
    elif not admin.check_password(password):
        admin.set_password(password)
        admin.save(update_fields=["password"])
    return ADMIN_USERNAME, password


def demo_leads_create() -> int:
    """Create the demo leads once and run their checks now, so the admin shows them in their states at once."""
    if Lead.objects.filter(source=DEMO_SOURCE).exists():
        return 0
    for fields, then in DEMO_LEADS:
        lead = services.lead_create(actor="demo", source_kind=SourceKind.FORM, source=DEMO_SOURCE, **fields)
        services.lead_process(lead_id=lead.pk)
        if then == "reject":
            services.lead_reject(lead=lead, actor="demo", reason="Too small for our offering.")
    return len(DEMO_LEADS)
