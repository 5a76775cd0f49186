"""Two identical requests with one Idempotency-Key at the same time: the second waits for the first and replays
its answer (never a second lead, never the permanent `idempotency_key_reused`)."""

import json
import threading

import pytest
from django.db import connection
from rest_framework.test import APIClient

from leadflow.intake.models import IdempotencyKey
from leadflow.intake.services import api_token_create
from leadflow.leads.models import Lead
from tests.helpers import wait_for

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

BODY = {"first_name": "Anna", "email": "anna@example.nl", "company": "Voorbeeld BV"}


def blocked_queries() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_locks WHERE NOT granted")
        return cursor.fetchone()[0]


class Caller(threading.Thread):
    """One API request in its own thread (so its own database connection); `hold_commit` pauses it after it has
    written its idempotency key and before it commits, until `release` is set."""

    def __init__(self, raw_key: str, body: dict, *, hold_commit: bool = False) -> None:
        super().__init__()
        self.raw_key, self.body, self.hold_commit = raw_key, body, hold_commit
        self.key_written, self.release = threading.Event(), threading.Event()
        self.response = None

    def run(self) -> None:
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {self.raw_key}")
        try:
            with connection.execute_wrapper(self.pause_after_key):
                self.response = client.post(
                    "/api/leads/", json.dumps(self.body), content_type="application/json", HTTP_IDEMPOTENCY_KEY="k-1"
                )
        finally:
            self.key_written.set()
            connection.close()

    def pause_after_key(self, execute, sql, params, many, context):
        result = execute(sql, params, many, context)
        if self.hold_commit and sql.startswith('INSERT INTO "intake_idempotencykey"'):
            self.key_written.set()
            self.release.wait(timeout=30)
        return result


def race(body_first: dict, body_second: dict) -> tuple:
    _, raw = api_token_create(name="partner-x", source="partner-x")
    first = Caller(raw, body_first, hold_commit=True)
    first.start()
    assert first.key_written.wait(timeout=30)
    second = Caller(raw, body_second)
    second.start()
    assert wait_for(lambda: blocked_queries() > 0)  # the twin waits on the key's unique index
    first.release.set()
    first.join(timeout=30)
    second.join(timeout=30)
    return first.response, second.response


def test_concurrent_twin_with_the_same_key_waits_and_replays_the_first_answer():
    first, second = race(BODY, BODY)
    assert first.status_code == second.status_code == 201
    assert second.json() == first.json()
    assert second["Idempotent-Replayed"] == "true"
    assert Lead.objects.count() == 1 and IdempotencyKey.objects.count() == 1


def test_concurrent_twin_with_an_external_id_replays_instead_of_external_id_taken():
    first, second = race({**BODY, "external_id": "crm-1"}, {**BODY, "external_id": "crm-1"})
    assert (first.status_code, second.status_code) == (201, 201)
    assert second.json()["id"] == first.json()["id"]
    assert Lead.objects.count() == 1


def test_concurrent_request_with_the_same_key_and_another_body_is_reused_409():
    first, second = race(BODY, {**BODY, "first_name": "Other"})
    assert first.status_code == 201
    assert second.status_code == 409 and second.json()["error"]["code"] == "idempotency_key_reused"
    assert Lead.objects.count() == 1
