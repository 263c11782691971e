"""Messages survive a worker killed mid-batch, Redis shut down without saving, and two beats at
once, counted where they arrive: a real SMTP server in a process of its own, which records
every DATA transaction it receives and never de-duplicates (plain SMTP has no idempotency).

What is promised, per kind (worksheets/outbox.py): nothing is lost; a nudge is never doubled
(one interrupted mid-send is recorded "unknown" and not sent again); an invitation may be
doubled, but only if it was among the rows "sending" when the worker died.
"""

import datetime as dt
import signal
import subprocess
import time
from collections import Counter

import pytest
from django.utils import timezone

from clients.messaging import message_id
from tests.factories import CounselorFactory, PracticeFactory, couple_with_partners
from tests.integration.processes import (
    WORKER,
    beat_command,
    free_port,
    process_env,
    running,
    stop,
    wait_for,
)
from tests.smtp_servers import read_records
from worksheets.assignments import assign_worksheet
from worksheets.library import latest_templates, load_library
from worksheets.models import Reminder, Response
from worksheets.responses import submit_response

pytestmark = [pytest.mark.faults, pytest.mark.integration]
COUPLES = 200
SUBMITTED_EARLY = 20
# A little slow per message, so that the kill lands while a batch is under way.
SINK_DELAY = 0.03
SHORT_LEASES = {
    # Claimed rows whose Celery message was lost (the kill, the Redis restart) come back soon.
    "REMINDER_LEASE_SECONDS": 5,
    # A batch starts no send after 4 s; a "sending" row is settled by its kind's rule after
    # 12 s, well after any live batch has recorded its rows (a batch here takes 2 to 3 s).
    "OUTBOX_BATCH_SECONDS": 4,
    "OUTBOX_SENDING_LEASE_SECONDS": 12,
    "EMAIL_TIMEOUT": 3,
}
SETTLED = {Reminder.Status.SENT, Reminder.Status.UNKNOWN}


def start_redis(port: int, data_dir) -> subprocess.Popen:
    process = subprocess.Popen(
        [
            *("redis-server", "--port", str(port), "--bind", "127.0.0.1"),
            *("--save", "", "--appendonly", "no", "--dir", str(data_dir)),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    wait_for(lambda: redis_cli(port, "ping") == "PONG", timeout=20, what="redis")
    return process


def redis_cli(port: int, *args: str) -> str:
    return subprocess.run(
        ["redis-cli", "-p", str(port), *args], capture_output=True, text=True
    ).stdout.strip()


def seed(now):
    """Invitations for 200 couples, due now; for every other open response, its due-day
    nudge made due as well. Twenty partners submitted before the run.

    Each response's messages fall due a second apart from the next response's, so that the
    sweep (which takes the oldest first) puts invitations and nudges in the same batches: the
    kill then interrupts both kinds.
    """
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
    responses = list(Response.objects.select_related("partner").order_by("pk"))
    for response in responses[:SUBMITTED_EARLY]:
        submit_response(
            response_id=response.pk, partner=response.partner, answers={"confided": 4}, now=now
        )
    Reminder.objects.filter(
        kind=Reminder.Kind.DUE_DAY, response__in=responses[SUBMITTED_EARLY::2]
    ).update(due_at=now)
    order = {response.pk: n for n, response in enumerate(responses)}
    due = list(Reminder.objects.filter(status="pending", due_at__lte=now))
    for row in due:
        row.due_at = now - dt.timedelta(seconds=len(responses) - order[row.response_id])
    Reminder.objects.bulk_update(due, ["due_at"], batch_size=500)
    return {response.partner.email for response in responses[:SUBMITTED_EARLY]}


def unsettled(ids) -> int:
    return Reminder.objects.filter(pk__in=ids).exclude(status__in=SETTLED).count()


def test_every_due_message_arrives_and_only_interrupted_invitations_arrive_twice(
    transactional_db, tmp_path
):
    started = time.monotonic()
    now = timezone.now()
    submitted_emails = seed(now)
    due = dict(
        Reminder.objects.filter(status="pending", due_at__lte=now).values_list("pk", "kind")
    )
    invitations = {pk for pk, kind in due.items() if kind == Reminder.Kind.INVITATION}
    nudges = set(due) - invitations
    assert len(due) >= 500 and len(nudges) >= 150

    smtp_port, redis_port = free_port(), free_port()
    record = tmp_path / "smtp-received.jsonl"
    sink = [
        *("python", "-m", "tests.smtp_servers", "--port", str(smtp_port)),
        *("--record", str(record), "--delay", str(SINK_DELAY)),
    ]
    env = process_env(
        smtp_port=smtp_port,
        CELERY_BROKER_URL=f"redis://127.0.0.1:{redis_port}/0",
        REMINDER_BATCH_SIZE=100,
        **SHORT_LEASES,
    )
    redis_process = start_redis(redis_port, tmp_path)
    try:
        with running(sink, env=env, log=tmp_path / "smtp.log"):
            wait_for(
                lambda: b"listening" in (tmp_path / "smtp.log").read_bytes(),
                timeout=20,
                what="the SMTP sink",
            )
            with (
                running(beat_command(tmp_path / "beat-1"), env=env, log=tmp_path / "beat-1.log"),
                running(beat_command(tmp_path / "beat-2"), env=env, log=tmp_path / "beat-2.log"),
                running(WORKER, env=env, log=tmp_path / "worker-a.log") as worker_a,
                running(WORKER, env=env, log=tmp_path / "worker-b.log"),
            ):
                # Kill worker A with SIGKILL while sends are under way: mid-batch.
                wait_for(
                    lambda: len(read_records(record)) >= 60
                    and Reminder.objects.filter(status="sending").exists(),
                    timeout=90,
                    what="sends under way",
                )
                stop(worker_a, sig=signal.SIGKILL)
                # Every row a dead worker may have handed to the server without recording it
                # (and the live worker's rows in flight too: an upper bound).
                in_flight = dict(
                    Reminder.objects.filter(status="sending").values_list("pk", "kind")
                )
                # Redis goes down without saving: every message it held is lost.
                redis_cli(redis_port, "shutdown", "nosave")
                redis_process.wait(timeout=20)
                redis_process = start_redis(redis_port, tmp_path)
                with running(WORKER, env=env, log=tmp_path / "worker-c.log"):
                    wait_for(
                        lambda: unsettled(due) == 0,
                        timeout=150,
                        what="every due message to be settled",
                    )
    finally:
        stop(redis_process)

    received = read_records(record)
    arrivals = Counter(message["message_id"] for message in received)
    times = {pk: arrivals[message_id(f"reminder-{pk}")] for pk in due}
    final = dict(Reminder.objects.filter(pk__in=due).values_list("pk", "status"))
    unknown = {pk for pk, status in final.items() if status == Reminder.Status.UNKNOWN}
    attempts = dict(Reminder.objects.filter(pk__in=invitations).values_list("pk", "attempts"))
    sent_again = {pk for pk, n in attempts.items() if n > 1}
    doubled = {pk: n - 1 for pk, n in times.items() if n > 1}
    doubles = sum(doubled.values())
    nudge_doubles = sum(times[pk] - 1 for pk in nudges if times[pk] > 1)
    sending_at_kill = len(in_flight)
    print(
        f"\nfaults: {len(due)} due ({len(invitations)} invitations, {len(nudges)} nudges); "
        f"{sending_at_kill} sending at the kill "
        f"({sum(k == 'invitation' for k in in_flight.values())} invitations); "
        f"{len(received)} DATA received over {len({m['connection'] for m in received})} "
        f"connections; {len(sent_again)} invitations sent again, {doubles} arrived twice; "
        f"{len(unknown)} nudges unknown, {sum(times[pk] for pk in unknown)} of them arrived; "
        f"{nudge_doubles} nudges arrived twice; "
        f"{time.monotonic() - started:.0f} s"
    )

    # Only the due messages reached the server, and none reached a partner who had submitted.
    assert set(arrivals) <= {message_id(f"reminder-{pk}") for pk in due}
    assert not {address for m in received for address in m["recipients"]} & submitted_emails
    # Nothing lost: every row is sent, or (a nudge only) unknown; every sent row arrived.
    assert set(final.values()) <= SETTLED
    assert unknown <= nudges and unknown <= set(in_flight)
    assert [pk for pk in due if final[pk] == "sent" and times[pk] == 0] == []
    # Nudges: never doubled; an unknown one arrived once or not at all.
    assert nudge_doubles == 0
    # Invitations: doubled only among the rows in flight when the worker died.
    assert set(doubled) <= {pk for pk, kind in in_flight.items() if kind == "invitation"}
    assert doubles <= sending_at_kill
    # The kill did land mid-send: some rows were settled by their kind's rule.
    assert unknown or sent_again
