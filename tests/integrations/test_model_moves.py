"""The Exact and Salesforce-mapping models moved out of `sync` and `crm` into their integration packages: an
existing database keeps its rows, its edits and its permissions through the migration."""

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [("sync", "0002_target_paused_until"), ("crm", "0002_default_field_mappings")]


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


def test_rows_edits_and_permissions_survive_the_move_to_the_integration_apps():
    old = _migrate(BEFORE)
    target = old.get_model("sync", "SyncTarget").objects.create(name="exact-nl", kind="exact")
    old.get_model("sync", "ExactConnection").objects.create(target=target, refresh_token="kept")
    lead = old.get_model("leads", "Lead").objects.create(first_name="Anna", email="anna@example.nl")
    old.get_model("sync", "ExactCustomer").objects.create(target=target, lead=lead, exact_id="guid-1", code="42")
    old.get_model("crm", "FieldMapping").objects.filter(salesforce_field="Website").delete()
    mappings_before = old.get_model("crm", "FieldMapping").objects.count()
    # As in a database made before the move: the permissions hang on the old app's content type.
    ContentType.objects.filter(app_label="exact").delete()
    content_type, _ = ContentType.objects.get_or_create(app_label="sync", model="exactcustomer")

    executor = MigrationExecutor(connection)
    new = _migrate(executor.loader.graph.leaf_nodes())

    assert new.get_model("exact", "ExactConnection").objects.get().refresh_token == "kept"
    assert new.get_model("exact", "ExactCustomer").objects.get().code == "42"
    mappings = new.get_model("salesforce", "FieldMapping").objects
    assert mappings.count() == mappings_before
    assert not mappings.filter(salesforce_field="Website").exists(), "a mapping the admin deleted came back"
    content_type.refresh_from_db()
    assert content_type.app_label == "exact"
    ContentType.objects.clear_cache()
