"""Example criteria for a B2B seller in the Netherlands, Belgium and Germany; admins adjust them in the admin.

Weights add up to 100, so a lead's score is the points it earns. A named person at a named company in the
region with a business email address (30) qualifies; with a free-mail address it takes two more signals (say, a
phone number and a website); a free-mail address alone (0) is suggested for rejection (below 15).
"""

from django.db import migrations

EXAMPLE_RULES = [
    {"label": "Based in the Netherlands, Belgium or Germany", "field": "country", "operator": "in",
     "value": "NL, BE, DE", "hard": True, "weight": 0},
    {"label": "Business email address (not free-mail)", "field": "email_is_free_mail", "operator": "equals",
     "value": "no", "hard": False, "weight": 30},
    {"label": "At least 10 employees", "field": "company_size", "operator": "gte", "value": "10", "hard": False,
     "weight": 30},
    {"label": "Phone number given", "field": "phone", "operator": "is_set", "value": "", "hard": False, "weight": 15},
    {"label": "Company website given", "field": "website", "operator": "is_set", "value": "", "hard": False,
     "weight": 15},
    {"label": "Job title given", "field": "job_title", "operator": "is_set", "value": "", "hard": False,
     "weight": 10},
]


def create_example_criteria(apps, schema_editor):
    QualificationSettings = apps.get_model("qualification", "QualificationSettings")
    QualificationRule = apps.get_model("qualification", "QualificationRule")
    settings_row, _ = QualificationSettings.objects.get_or_create(pk=1, defaults={"qualify_at": 30, "reject_below": 15})
    if not QualificationRule.objects.exists():
        QualificationRule.objects.bulk_create(
            QualificationRule(qualification_settings=settings_row, order=position * 10, **rule)
            for position, rule in enumerate(EXAMPLE_RULES, start=1)
        )


class Migration(migrations.Migration):
    dependencies = [("qualification", "0001_initial")]

    operations = [migrations.RunPython(create_example_criteria, migrations.RunPython.noop)]
