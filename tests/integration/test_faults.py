"""Reminders survive a worker killed mid-batch, a Redis restart and two beats at once.

Every due reminder lands exactly once, and none reaches a partner who had submitted.
"""

import datetime as dt
import signal
import subprocess
import time
from collections import Counter

import pytest
from django.utils import timezone

from tests.factories import CounselorFactory, PracticeFactory, couple_with_partners
from tests.integration.mailbox import messages_in
from tests.integration.processes import (
    WORKER,
    beat_command,
    free_port,
    process_env,
    running,
    stop,
    wait_for,
)
from worksheets.assignments import assign_worksheet
from worksheets.library import latest_templates, load_library
from worksheets.models import Reminder, Response
from worksheets.responses import submit_response

pytestmark = [pytest.mark.faults, pytest.mark.integration]
COUPLES = 170
SUBMITTED_EARLY = 20


def start_redis(port: int, log_dir) -> subprocess.Popen:
    process = subprocess.Popen(
        [
            "redis-server",
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(log_dir),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    wait_for(
        lambda: (
            subprocess.run(
                ["redis-cli", "-p", str(port), "ping"], capture_output=True, text=True
            ).stdout.strip()
            == "PONG"
        ),
        timeout=20,
        what="redis",
    )
    return process


def seed(now):
    load_library()
    counselor = CounselorFactory(practice=PracticeFactory())
    template = latest_templates().get(slug="weekly-checkin")
    for n in range(COUPLES):
        couple = couple_with_partners(
            counselor=counselor,
            label=f"Couple {n}",
            quiet_hours_start=dt.time(0),
            quiet_hours_end=dt.time(0),
        )
        assign_worksheet(
            couple=couple,
            template=template,
            due_at=now + dt.timedelta(days=4),
            assigned_by=counselor,
            now=now,
        )
    submitted = []
    for response in Response.objects.select_related("partner").order_by("pk")[:SUBMITTED_EARLY]:
        submit_response(
            response_id=response.pk, partner=response.partner, answers={"confided": 4}, now=now
        )
        submitted.append(response.partner.email)
    return submitted


def sent_count():
    return Reminder.objects.filter(kind="invitation", status="sent").count()


def test_every_due_reminder_lands_once_through_kills_and_restarts(
    transactional_db, tmp_path, mail_dir
):
    submitted_emails = seed(timezone.now())
    due_ids = set(
        Reminder.objects.filter(kind="invitation", status="pending").values_list("pk", flat=True)
    )
    assert len(due_ids) >= 300

    port = free_port()
    redis_process = start_redis(port, tmp_path)
    env = process_env(
        mail_dir=mail_dir,
        CELERY_BROKER_URL=f"redis://127.0.0.1:{port}/0",
        EMAIL_BACKEND="tests.integration.slow_mail.SlowMessageFileBackend",
        REMINDER_LEASE_SECONDS=4,
        REMINDER_BATCH_SIZE=100,
    )
    worker = WORKER

    def beat(name):
        return beat_command(tmp_path / name)

    try:
        with (
            running(beat("beat-1"), env=env, log=tmp_path / "beat-1.log"),
            running(beat("beat-2"), env=env, log=tmp_path / "beat-2.log"),
            running(worker, env=env, log=tmp_path / "worker-a.log") as worker_a,
            running(worker, env=env, log=tmp_path / "worker-b.log"),
        ):
            # Kill worker A with SIGKILL once sending is under way: mid-batch.
            wait_for(lambda: len(messages_in(mail_dir)) >= 30, timeout=90, what="first sends")

            stop(worker_a, sig=signal.SIGKILL)
            killed_at = sent_count()
            # Restart Redis: every message it held is lost.
            stop(redis_process)
            time.sleep(1)
            redis_process = start_redis(port, tmp_path)
            with running(worker, env=env, log=tmp_path / "worker-c.log"):
                wait_for(
                    lambda: sent_count() == len(due_ids),
                    timeout=180,
                    what="every due reminder to be sent",
                )
    finally:
        stop(redis_process)

    landed = Counter()
    recipients = Counter()
    for message in messages_in(mail_dir):
        recipients.update(message.recipients)
    for path in mail_dir.glob("*.eml"):
        key = next(
            line for line in path.read_text().splitlines() if line.lower().startswith("message-id:")
        )
        landed[int(key.split("reminder-")[1].split("@")[0])] += 1
    attempts = (mail_dir / "attempts.log").read_text().splitlines()
    print(
        f"faults: {len(due_ids)} due, {killed_at} sent before the kill, "
        f"{len(attempts)} delivery attempts, {len(landed)} landed"
    )

    assert set(landed) == due_ids
    assert set(landed.values()) == {1}
    assert not set(submitted_emails) & set(recipients)
    assert Reminder.objects.filter(kind="invitation", status="sent").count() == len(due_ids)
