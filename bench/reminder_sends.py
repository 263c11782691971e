"""Reminders sent per second end to end: sweep, Redis, two real Celery workers, file e-mail.

The baseline is the cost of the mail alone: the same number of the same message written by
the same file backend in a plain loop in this process. The ratio says how much of a send is
the machinery around the mail (locking, checks, a portal link, templates, the broker).
"""

import contextlib
import email
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import connection
from django.db.models import Count
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from bench import seed
from therapy.mailfiles import MessageFileBackend
from therapy.outbox import read_message
from worksheets import reminders
from worksheets.models import Reminder
from worksheets.tasks import sweep_due_reminders

NAME = "reminder_sends_e2e"
REMINDERS = 2_000
WORKERS = 2
ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
READY_TIMEOUT = 60
SEND_TIMEOUT = 180
STOP_TIMEOUT = 20


def send_one_in_process() -> tuple[int, Path]:
    """Send one reminder here to count a send's queries (workers' queries are out of reach).

    Returns the count and the message it wrote, which the baseline copies.
    """
    [reminder_id] = reminders.claim_due_reminders(now=timezone.now(), limit=1)
    with CaptureQueriesContext(connection) as queries:
        status = reminders.send_reminder(reminder_id=reminder_id, now=timezone.now())
    if status != Reminder.Status.SENT:
        raise RuntimeError(f"The in-process send ended {status!r}, not sent")
    [message] = Path(settings.EMAIL_FILE_PATH).glob("*.eml")
    return len(queries), message


def worker_env(mail_dir: Path) -> dict:
    """This process's bench settings, with the workers' mail in a directory of its own."""
    return {
        **os.environ,
        "EMAIL_BACKEND": "therapy.mailfiles.MessageFileBackend",
        "EMAIL_FILE_PATH": str(mail_dir),
        # The worker says "ready" at INFO.
        "LOG_LEVEL": "INFO",
        "PYTHONUNBUFFERED": "1",
    }


def start_worker(number: int, *, env: dict, log: Path) -> subprocess.Popen:
    argv = [
        str(BIN / "celery"),
        "-A",
        "therapy",
        "worker",
        "--concurrency=1",
        "--pool=prefork",
        "--without-gossip",
        "--without-mingle",
        "--loglevel=INFO",
        f"--hostname=bench{number}@%h",
    ]
    with log.open("wb") as output:
        # Its own session, so stopping it reaches its pool child too.
        return subprocess.Popen(
            argv, cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT, start_new_session=True
        )


def stop_worker(process: subprocess.Popen) -> None:
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
def running_workers(*, mail_dir: Path, log_dir: Path):
    """WORKERS Celery workers, started and ready; stopped however the block ends."""
    env = worker_env(mail_dir)
    logs = [log_dir / f"worker{number}.log" for number in range(1, WORKERS + 1)]
    processes = []
    try:
        for number, log in enumerate(logs, start=1):
            processes.append(start_worker(number, env=env, log=log))
        for process, log in zip(processes, logs, strict=True):
            wait_until(
                lambda process=process, log=log: (
                    b"ready" in log.read_bytes() or process.poll() is not None
                ),
                timeout=READY_TIMEOUT,
                what=f"the worker logging to {log}",
                interval=0.2,
            )
            if process.poll() is not None:
                raise RuntimeError(f"A worker exited early; see {log}")
        yield logs
    finally:
        for process in processes:
            stop_worker(process)


def sent_count() -> int:
    return Reminder.objects.filter(status=Reminder.Status.SENT).count()


def status_counts() -> dict:
    rows = Reminder.objects.values_list("status").annotate(n=Count("id")).order_by()
    return dict(rows)


def time_sends(expected_sent: int) -> float:
    """Seconds from the first sweep until every reminder is recorded as sent."""
    started = time.perf_counter()
    while sweep_due_reminders():
        pass
    try:
        wait_until(lambda: sent_count() >= expected_sent, timeout=SEND_TIMEOUT, what="the sends")
    except RuntimeError as error:
        raise RuntimeError(f"{error}: {status_counts()} of {expected_sent:,}") from error
    return time.perf_counter() - started


def check_worker_mail(mail_dir: Path) -> None:
    """Exactly one message per reminder: no send lost, none doubled."""
    files = sorted(mail_dir.glob("*.eml"))
    ids = {email.message_from_bytes(path.read_bytes())["Message-ID"] for path in files}
    if len(files) != REMINDERS or len(ids) != REMINDERS:
        raise RuntimeError(
            f"The workers wrote {len(files):,} messages with {len(ids):,} distinct ids, "
            f"not {REMINDERS:,}"
        )


def time_mail_only(sample: Path, directory: Path) -> float:
    """Seconds to write REMINDERS copies of a real reminder, one send per message as the
    send task does, with the same backend."""
    message = read_message(sample)
    backend = MessageFileBackend(file_path=directory)
    started = time.perf_counter()
    for number in range(REMINDERS):
        mail = EmailMessage(
            subject=message.subject,
            body=message.body,
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=message.recipients,
            headers={"Message-ID": f"<bench-{number}@localhost>"},
        )
        backend.send_messages([mail])
    return time.perf_counter() - started


def run(scratch: Path) -> tuple[dict, str]:
    seed.clear_reminders()
    # One more than measured: the first is sent in this process to count a send's queries.
    # Invitations only, one per response: nudges are capped per response and could be skipped.
    seed.seed_due_reminders(REMINDERS + 1, kinds=["invitation"], label=NAME, chunks=5)
    queries, sample = send_one_in_process()
    worker_mail = scratch / "worker-mail"
    with running_workers(mail_dir=worker_mail, log_dir=scratch):
        elapsed = time_sends(expected_sent=REMINDERS + 1)
    check_worker_mail(worker_mail)
    mail_only = time_mail_only(sample, scratch / "baseline-mail")
    value = REMINDERS / elapsed
    baseline = REMINDERS / mail_only
    result = {
        "value": round(value, 1),
        "unit": "sends/s",
        "baseline": round(baseline, 1),
        "ratio": round(value / baseline, 4),
        "queries": queries,
        "notes": (
            f"{REMINDERS:,} reminders through {WORKERS} Celery workers (prefork, concurrency 1); "
            "queries: per send, counted on one send run in-process; baseline: the same message "
            "written by the same file backend in a plain loop"
        ),
    }
    line = (
        f"{NAME}: {value:,.1f} sends/s ({WORKERS} workers; mail-only baseline "
        f"{baseline:,.0f}/s, ratio {value / baseline:.3f}, {queries} queries per send)"
    )
    return result, line
