"""Rows that data migrations seed (match settings, default Salesforce mappings, example criteria) must exist
whenever the schema does. `manage.py flush` — and every transactional test, which flushes when it ends — empties
all tables and then sends post_migrate; this puts those rows back by replaying the same migration functions."""

from importlib import import_module
from typing import Any

from django.apps import apps
from django.db import DEFAULT_DB_ALIAS

# (app, the row whose absence means the app's seed data is gone, migration functions that seed it, in order)
SEEDS = [
    (
        "quality",
        "MatchSettings",
        ["0003_default_match_settings.create_defaults", "0004_stronger_identity_evidence.strengthen_defaults"],
    ),
    ("salesforce", "OpportunitySettings", ["0002_default_field_mappings.add_defaults"]),
    ("qualification", "QualificationSettings", ["0002_example_criteria.create_example_criteria"]),
]


def seeded_data_restore(*, using: str = DEFAULT_DB_ALIAS, **kwargs: Any) -> None:
    if using != DEFAULT_DB_ALIAS:
        return
    for app_label, sentinel, functions in SEEDS:
        if apps.get_model(app_label, sentinel).objects.exists():
            continue
        for path in functions:
            module_name, function_name = path.split(".")
            module = import_module(f"{apps.get_app_config(app_label).name}.migrations.{module_name}")
            getattr(module, function_name)(apps, None)
