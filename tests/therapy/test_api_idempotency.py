"""Idempotency-Key on the API's POSTs: the same request again gets the first answer and makes
no second change; the key used for another request is refused; a request still being answered
holds its key; keys are kept a day."""

import datetime as dt
import threading
import time

import pytest
from django.db import connection, connections, transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from clients.models import Couple
from tests.therapy.test_api_couples import NEW_COUPLE, couple_url, key_headers, send
from therapy import idempotency
from therapy.models import ApiKey, IdempotentRequest
from therapy.retention import apply_retention

COUPLES = reverse("api-couples")


@pytest.fixture
def writer(practice, maya):
    """A read-write key of Maya's practice."""
    _, headers = key_headers(practice)
    return headers


def with_key(headers, key="add-ortiz-1"):
    return {**headers, "HTTP_IDEMPOTENCY_KEY": key}


NEW = {**NEW_COUPLE, "counselors": []}


@pytest.fixture
def body(maya):
    return {**NEW_COUPLE, "counselors": [maya.pk]}


def test_the_same_request_again_gets_the_first_answer_and_changes_nothing(client, writer, body):
    first = send(client, "post", COUPLES, body, **with_key(writer))
    history = Couple.history.count()
    again = send(client, "post", COUPLES, body, **with_key(writer))
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first
    assert Couple.objects.count() == 1
    assert Couple.history.count() == history


def test_without_a_key_each_request_is_a_new_one(client, writer, body):
    send(client, "post", COUPLES, body, **writer)
    send(client, "post", COUPLES, body, **writer)
    assert Couple.objects.count() == 2
    assert not IdempotentRequest.objects.exists()


def test_the_key_with_another_body_or_path_is_refused_with_422(client, writer, body, couple):
    send(client, "post", COUPLES, body, **with_key(writer))
    other_body = send(client, "post", COUPLES, {**body, "label": "Other"}, **with_key(writer))
    other_path = send(client, "post", couple_url(couple, "close/"), **with_key(writer))
    for response in (other_body, other_path):
        assert response.status_code == 422
        assert response["Content-Type"] == "application/problem+json"
        assert (
            response.json()["type"] == "tag:couples-worksheets,2026:problem:idempotency-key-reused"
        )
    assert Couple.objects.filter(label="Other").count() == 0
    couple.refresh_from_db()
    assert couple.status == Couple.Status.ACTIVE


def test_a_refusal_is_replayed_as_it_was_and_changed_nothing(client, writer, maya):
    refused = send(client, "post", COUPLES, NEW, **with_key(writer))
    again = send(client, "post", COUPLES, NEW, **with_key(writer))
    assert refused.status_code == again.status_code == 400
    assert again.json() == refused.json()
    assert again["Content-Type"] == "application/problem+json"
    assert again["Idempotent-Replayed"] == "true"
    assert not Couple.objects.exists()


def test_keys_are_each_callers_own(client, writer, body, practice):
    _, other_writer = key_headers(practice, name="Billing")
    send(client, "post", COUPLES, body, **with_key(writer))
    theirs = send(client, "post", COUPLES, body, **with_key(other_writer))
    assert theirs.status_code == 201 and "Idempotent-Replayed" not in theirs
    assert Couple.objects.count() == 2


def test_a_key_that_cannot_be_one_is_refused(client, writer, body):
    response = send(client, "post", COUPLES, body, **with_key(writer, "x" * 256))
    assert response.status_code == 400
    assert response.json()["detail"] == "Give an Idempotency-Key of 1 to 255 characters."
    assert not Couple.objects.exists()


def test_a_key_is_kept_a_day_and_then_purged(client, writer, body):
    send(client, "post", COUPLES, body, **with_key(writer))
    kept = IdempotentRequest.objects.get()
    assert (kept.status_code, kept.method, kept.path) == (201, "POST", COUPLES)
    IdempotentRequest.objects.update(created_at=timezone.now() - dt.timedelta(hours=23))
    assert apply_retention(now=timezone.now()).idempotency_keys == 0
    IdempotentRequest.objects.update(created_at=timezone.now() - dt.timedelta(hours=25))
    # Past its day the key is a new request, even before the purge.
    assert send(client, "post", COUPLES, body, **with_key(writer)).status_code == 201
    assert Couple.objects.count() == 2
    IdempotentRequest.objects.update(created_at=timezone.now() - dt.timedelta(hours=25))
    assert apply_retention(now=timezone.now()).idempotency_keys == 1
    assert not IdempotentRequest.objects.exists()


def test_a_server_error_is_not_kept(db, maya):
    kept = idempotency.record(
        user=maya.user,
        key="k",
        path="/api/v1/couples/",
        body=b"{}",
        status=503,
        answer=None,
        now=timezone.now(),
    )
    assert kept is True
    assert not IdempotentRequest.objects.exists()


# --- Two requests at once: real threads, real PostgreSQL transactions ------------------------


def _wait_until_blocked(timeout=60.0):
    """Until another connection waits on a row lock (the first request, mid-change)."""
    deadline = time.monotonic() + timeout
    with connections["default"].cursor() as cursor:
        while time.monotonic() < deadline:
            # A transaction reads the activity view once unless told to look again.
            cursor.execute("SELECT pg_stat_clear_snapshot()")
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity "
                "WHERE wait_event_type = 'Lock' AND datname = current_database()"
            )
            if cursor.fetchone()[0]:
                return
            time.sleep(0.05)
    raise AssertionError("the first request never reached its change")


def _post_in_thread(url, headers, results, name):
    def run():
        try:
            response = Client().post(url, data="", content_type="application/json", **headers)
            results[name] = (
                response.status_code,
                response.json(),
                response.get("Idempotent-Replayed"),
            )
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    return thread


@pytest.mark.django_db(transaction=True)
def test_a_second_request_while_the_first_is_answered_gets_409_then_the_first_answer(maya):
    from tests.factories import couple_with_partners

    couple = couple_with_partners(counselor=maya, label="Rivera & Chen")
    key, headers = key_headers(maya.practice)
    headers = with_key(headers, "close-rivera")
    url = couple_url(couple, "close/")
    results = {}
    # Hold the couple's row, so that the first request stops mid-change, its key claimed.
    with transaction.atomic():
        Couple.objects.select_for_update().get(pk=couple.pk)
        first = _post_in_thread(url, headers, results, "first")
        _wait_until_blocked()
        second = _post_in_thread(url, headers, results, "second")
        second.join(timeout=60)
    first.join(timeout=60)

    status, body, _ = results["second"]
    assert status == 409
    assert body["type"] == "tag:couples-worksheets,2026:problem:request-in-progress"
    assert results["first"][0] == 200
    third = {}
    _post_in_thread(url, headers, third, "third").join(timeout=60)
    assert third["third"] == (200, results["first"][1], "true")
    couple.refresh_from_db()
    assert couple.status == Couple.Status.CLOSED
    assert Couple.history.filter(id=couple.pk, status="closed").count() == 1
    assert IdempotentRequest.objects.filter(user=key.user, key="close-rivera").count() == 1
    assert ApiKey.objects.count() == 1


def test_a_body_too_large_to_keep_is_a_413_problem(client, writer, body, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 100
    response = send(
        client, "post", COUPLES, {**body, "label": "x" * 200}, **with_key(writer, "big-1")
    )
    assert response.status_code == 413
    assert response["Content-Type"] == "application/problem+json"
    assert not Couple.objects.exists()
