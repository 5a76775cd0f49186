from django.db import migrations

# Frozen copy of the defaults at the time of this migration (leadflow.quality.matching.scoring may change later).
WEIGHTS = {
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


def create_defaults(apps, schema_editor):
    MatchSettings = apps.get_model("quality", "MatchSettings")
    FieldWeight = apps.get_model("quality", "FieldWeight")
    RequiredFieldRule = apps.get_model("quality", "RequiredFieldRule")
    settings, _ = MatchSettings.objects.get_or_create(
        pk=1, defaults={"auto_threshold": 0.9, "review_threshold": 0.6, "prior": -6.0, "max_block_size": 200}
    )
    for field, (agree, disagree) in WEIGHTS.items():
        FieldWeight.objects.get_or_create(settings=settings, field=field, defaults={"agree": agree, "disagree": disagree})
    RequiredFieldRule.objects.get_or_create(
        source="", defaults={"required_fields": ["last_name"], "require_email_or_phone": True}
    )


class Migration(migrations.Migration):
    dependencies = [("quality", "0002_match_keys_and_settings")]

    operations = [migrations.RunPython(create_defaults, migrations.RunPython.noop)]
