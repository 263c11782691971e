"""Webhooks on real parts: a Celery worker and beat on Redis and PostgreSQL post to a real
local receiver, which verifies every request with the `standardwebhooks` library."""

import datetime as dt
import json
import time

import pytest
from django.utils import timezone

from tests.factories import CounselorFactory, PracticeFactory, couple_with_partners
from tests.integration.processes import (
    WORKER,
    beat_command,
    flush_broker,
    process_env,
    running,
    wait_for,
)
from tests.webhook_receiver import Receiver
from therapy import webhooks
from worksheets.assignments import assign_worksheet
from worksheets.library import latest_templates, load_library
from worksheets.models import Reminder
from worksheets.responses import submit_response

pytestmark = pytest.mark.integration

ANSWERS = {
    "confided": 4,
    "own_time": 3,
    "needs_on_hold": 2,
    "went_it_alone": 2,
    "balance_felt_right": 4,
}


@pytest.fixture
def receiver():
    server = Receiver().start()
    yield server
    server.stop()


@pytest.fixture
def workers(transactional_db, live_server, smtp_sink, tmp_path, settings):
    settings.WEBHOOK_ALLOW_LOCAL_HTTP = True
    flush_broker()
    env = process_env(
        smtp_port=smtp_sink.port, site_url=live_server.url, WEBHOOK_ALLOW_LOCAL_HTTP="true"
    )
    worker_log, beat_log = tmp_path / "worker.log", tmp_path / "beat.log"
    with (
        running(WORKER, env=env, log=worker_log),
        running(beat_command(tmp_path / "beat-schedule"), env=env, log=beat_log),
    ):
        wait_for(lambda: b"ready" in worker_log.read_bytes(), timeout=60, what="the worker")
        yield


def events_of(receiver, event_type):
    bodies = [json.loads(r.body) for r in receiver.received]
    return [b["data"] for b in bodies if b["type"] == event_type]


def test_the_worker_posts_a_submission_and_the_beat_reports_overdue_work_once(workers, receiver):
    load_library()
    counselor = CounselorFactory(practice=PracticeFactory())
    couple = couple_with_partners(counselor=counselor, names=("Sam", "Alex"))
    sam, alex = couple.partners.order_by("pk")
    alex.reminders_enabled = False
    alex.save()
    now = timezone.now()
    _, secret = webhooks.create_subscription(
        practice=couple.practice,
        url=receiver.url(),
        events=["response.submitted", "assignment.overdue"],
        created_by=None,
        now=now,
    )
    receiver.secrets["/hooks"] = secret
    due = now + dt.timedelta(seconds=8)
    assignment = assign_worksheet(
        couple=couple,
        template=latest_templates().get(slug="weekly-checkin"),
        due_at=due,
        assigned_by=counselor,
        now=now,
    )
    response = assignment.responses.get(partner=sam)
    submit_response(response_id=response.pk, partner=sam, answers=ANSWERS, now=timezone.now())

    wait_for(lambda: events_of(receiver, "response.submitted"), timeout=30, what="the submission")
    wait_for(lambda: events_of(receiver, "assignment.overdue"), timeout=40, what="the overdue work")
    time.sleep(3)  # a few more sweeps: nothing is reported twice
    assert [e["response_id"] for e in events_of(receiver, "response.submitted")] == [response.pk]
    assert [e["partner_id"] for e in events_of(receiver, "assignment.overdue")] == [alex.pk]
    assert all(r.signature_valid for r in receiver.received)
    rows = Reminder.objects.filter(kind=Reminder.Kind.WEBHOOK)
    assert sorted(rows.values_list("status", "response_code")) == [("sent", 200), ("sent", 200)]
