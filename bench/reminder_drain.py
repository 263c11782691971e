"""A backlog of due reminders drained end to end, as production sends them.

Ours: 20,000 due invitations; one run of the real sweep task (as beat runs it), Redis, the
Celery worker as docker-compose.yml runs it in production (its command read from there, so its
pool processes are production's) with the production settings (DEBUG off), Django's SMTP
backend, to a local SMTP server in a process of its own that records every message it
receives. The clock runs from the sweep until every row is recorded as sent, and the server
must have received each message exactly once.

The baseline is the mail alone: the same number of the same message sent by this process in a
plain loop through one connection of the same SMTP backend, to the same server, in the same
run. The ratio says how much of a send is the machinery around it (claiming, checking, the
portal link, the message, recording) rather than SMTP.

Queries per send are counted on one batch sent in this process, amortised over the batch.
"""

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import yaml
from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db import connection
from django.test.utils import CaptureQueriesContext, override_settings

from bench import seed, servers
from worksheets import outbox
from worksheets.models import Reminder
from worksheets.tasks import SEND_BATCH_SIZE, sweep_due_reminders

NAME = "reminder_drain_e2e"
REMINDERS = 20_000
ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
READY_TIMEOUT = 60
SEND_TIMEOUT = 300
STOP_TIMEOUT = 20
SMTP = "django.core.mail.backends.smtp.EmailBackend"


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def stop(process: subprocess.Popen) -> None:
    """SIGTERM (a warm shutdown) to the whole process group, then SIGKILL if it hangs."""
    if process.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=STOP_TIMEOUT)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


def wait_until(predicate, *, timeout: float, what: str, interval: float = 0.05) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise RuntimeError(f"Timed out after {timeout}s waiting for {what}")
        time.sleep(interval)


@contextlib.contextmanager
def smtp_server(record: Path, log: Path):
    """The project's test SMTP server, recording every message, in a process of its own."""
    port = free_port()
    argv = [sys.executable, "-m", "tests.smtp_servers", "--port", str(port), "--record", record]
    with log.open("wb") as output:
        process = subprocess.Popen(
            [str(arg) for arg in argv],
            cwd=ROOT,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        wait_until(lambda: _answers(port), timeout=READY_TIMEOUT, what="the SMTP server")
        yield port
    finally:
        stop(process)


def _answers(port: int) -> bool:
    import socket

    with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 1) as sock:
        return sock.recv(3) == b"220"
    return False


def received(record: Path) -> list[dict]:
    if not record.exists():
        return []
    return [json.loads(line) for line in record.read_text().splitlines() if line.strip()]


def mail_env(port: int) -> dict:
    return {
        "EMAIL_BACKEND": SMTP,
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": str(port),
        "EMAIL_USE_TLS": "false",
    }


def worker_command() -> list[str]:
    """The worker's command as docker-compose.yml runs it in production, read from there so
    that the bench cannot drift from it."""
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    program, *argv = compose["services"]["worker"]["command"]
    return [str(BIN / program), *argv]


def worker_concurrency() -> int:
    argv = worker_command()
    return next(int(arg.split("=", 1)[1]) for arg in argv if arg.startswith("--concurrency="))


@contextlib.contextmanager
def running_worker(*, port: int, scratch: Path):
    """Production's worker, with the production settings (DEBUG off), sending to `port`."""
    env = servers.production_environment(
        settings_module="therapy.settings", static_root=scratch / "static", **mail_env(port)
    )
    log = scratch / "drain-worker.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            worker_command(),
            cwd=ROOT,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        wait_until(
            lambda: b"ready" in log.read_bytes() or process.poll() is not None,
            timeout=READY_TIMEOUT,
            what=f"the worker logging to {log}",
            interval=0.2,
        )
        if process.poll() is not None:
            raise RuntimeError(f"The worker exited early; see {log}")
        yield
    finally:
        stop(process)


def sent_count() -> int:
    return Reminder.objects.filter(status=Reminder.Status.SENT).count()


def queries_per_send(port: int) -> tuple[float, list[dict]]:
    """One batch sent in this process, its queries counted (the workers' are out of reach).
    Returns queries per send and the messages it sent, which the baseline copies."""
    ids = outbox.claim_due_reminders(now=_now(), limit=SEND_BATCH_SIZE)
    with (
        override_settings(EMAIL_BACKEND=SMTP, EMAIL_HOST="127.0.0.1", EMAIL_PORT=port),
        CaptureQueriesContext(connection) as queries,
    ):
        results = outbox.send_batch(ids)
    if list(results.values()) != [Reminder.Status.SENT] * len(ids):
        raise RuntimeError(f"The in-process batch did not send everything: {results}")
    return len(queries) / len(ids), ids


def _now():
    from django.utils import timezone

    return timezone.now()


def time_mail_only(port: int, sample_ids: list[int]) -> float:
    """Seconds to send REMINDERS copies of real reminders through one connection of the same
    SMTP backend, one message per call as the outbox sends them."""
    sample = Reminder.objects.select_related(
        "partner__couple", "response__assignment__template"
    ).get(pk=sample_ids[0])
    message = outbox.compose(sample, now=_now(), token="x" * 43)
    with override_settings(EMAIL_BACKEND=SMTP, EMAIL_HOST="127.0.0.1", EMAIL_PORT=port):
        mail = get_connection(fail_silently=False)
        mail.open()
        started = time.perf_counter()
        for number in range(REMINDERS):
            mail.send_messages(
                [
                    EmailMessage(
                        subject=message.subject,
                        body=message.body,
                        from_email=settings.DEFAULT_FROM_EMAIL,
                        to=[sample.partner.email],
                        headers={"Message-ID": f"<baseline-{number}@localhost>"},
                        connection=mail,
                    )
                ]
            )
        elapsed = time.perf_counter() - started
        mail.close()
    return elapsed


def run(scratch: Path) -> tuple[dict, str]:
    seed.clear_reminders()
    # One batch more than measured: it is sent in this process to count queries.
    seed.seed_due_reminders(
        REMINDERS + SEND_BATCH_SIZE, kinds=["invitation"], label=NAME, chunks=10
    )
    record = scratch / "drain-received.jsonl"
    with smtp_server(record, scratch / "drain-smtp.log") as port:
        per_send, sample_ids = queries_per_send(port)
        with running_worker(port=port, scratch=scratch):
            started = time.perf_counter()
            claimed = sweep_due_reminders()
            wait_until(
                lambda: sent_count() >= REMINDERS + SEND_BATCH_SIZE,
                timeout=SEND_TIMEOUT,
                what="every reminder to be sent",
                interval=0.1,
            )
            elapsed = time.perf_counter() - started
        got = received(record)
        ids = [message["message_id"] for message in got]
        expected = REMINDERS + SEND_BATCH_SIZE
        if len(ids) != expected or len(set(ids)) != expected:
            raise RuntimeError(
                f"The SMTP server received {len(ids):,} messages, {len(set(ids)):,} distinct, "
                f"not {expected:,} once each"
            )
        record.unlink()
        mail_only = time_mail_only(port, sample_ids)
    value = REMINDERS / elapsed
    baseline = REMINDERS / mail_only
    result = {
        "value": round(value, 1),
        "unit": "sends/s",
        "baseline": round(baseline, 1),
        "ratio": round(value / baseline, 3),
        "queries": round(per_send, 2),
        "notes": (
            f"{REMINDERS:,} due invitations ({claimed:,} claimed by one sweep) through "
            f"production's Celery worker (--concurrency={worker_concurrency()}, as "
            "docker-compose.yml runs it, production settings) to a local SMTP server in its "
            "own process, counted there (each exactly once); queries: per send, over one "
            "batch of "
            f"{SEND_BATCH_SIZE} sent in-process; baseline: the same message sent in a plain "
            "loop through one connection of the same SMTP backend to the same server"
        ),
    }
    line = (
        f"{NAME}: {value:,.0f} sends/s (a worker of {worker_concurrency()} processes, SMTP; "
        f"plain-loop baseline {baseline:,.0f}/s, ratio {value / baseline:.2f}, "
        f"{per_send:.2f} queries per send)"
    )
    return result, line
