"""Celery tasks: thin wrappers that take ids, call one domain function and return."""

from celery import shared_task
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from worksheets import occurrences, reminders

# Publishing a Celery message costs far more than claiming a row, so claimed rows go out in
# small batches: one message per batch keeps the sweep fast, and a batch is small enough that
# a redelivered message repeats little (rows already sent are skipped under their lock).
SEND_BATCH_SIZE = 50


@shared_task(ignore_result=True)
def sweep_due_reminders() -> int:
    """Claim due reminders and enqueue their sends, after the claim has committed."""
    ids = reminders.claim_due_reminders(now=timezone.now(), limit=settings.REMINDER_BATCH_SIZE)
    for start in range(0, len(ids), SEND_BATCH_SIZE):
        batch = ids[start : start + SEND_BATCH_SIZE]
        # A short argsrepr: Celery would otherwise format the whole id list for its logs.
        send_reminders.apply_async((batch,), argsrepr=f"({len(batch)} reminder ids)")
    return len(ids)


@shared_task(ignore_result=True, acks_late=True, reject_on_worker_lost=True)
def send_reminders(reminder_ids: list[int]) -> list[str]:
    """Send each claimed reminder; each is locked, checked and recorded on its own."""
    return [
        reminders.send_reminder(reminder_id=reminder_id, now=timezone.now())
        for reminder_id in reminder_ids
    ]


@shared_task(ignore_result=True)
def create_upcoming_occurrences() -> int:
    """Open the next occurrence of recurring assignments, with their reminders, ahead of time."""
    return occurrences.create_upcoming_occurrences(now=timezone.now())


def request_sweep() -> None:
    """Ask for a sweep as soon as the current transaction commits (an invitation is due now)."""
    transaction.on_commit(sweep_due_reminders.delay)
