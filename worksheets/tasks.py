"""Celery tasks: thin wrappers that take ids, call one domain function and return."""

import time

from celery import shared_task
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from worksheets import occurrences, outbox, reminders

# Publishing a Celery message costs far more than claiming a row, so claimed rows go out in
# small batches: one message per batch keeps the sweep fast, a batch shares one SMTP
# connection and a few queries, and a redelivered batch repeats nothing (rows already sent
# are no longer claimed).
SEND_BATCH_SIZE = 50


def _enqueue(ids: list[int]) -> None:
    for start in range(0, len(ids), SEND_BATCH_SIZE):
        batch = ids[start : start + SEND_BATCH_SIZE]
        # A short argsrepr: Celery would otherwise format the whole id list for its logs.
        send_reminders.apply_async((batch,), argsrepr=f"({len(batch)} message ids)")


@shared_task(ignore_result=True)
def sweep_due_reminders() -> int:
    """Claim every due message and enqueue its send, batch after batch, until nothing due is
    left or the sweep has run for REMINDER_SWEEP_BUDGET seconds (the next beat goes on).

    First, rows a dead worker left "sending" are settled by their kind's rule, and work that
    became overdue since the last sweep is reported to the practices' systems.
    """
    started = time.monotonic()
    limit = settings.REMINDER_BATCH_SIZE
    reminders.report_overdue_work(now=timezone.now(), limit=limit)
    claimed = outbox.recover_interrupted_sends(now=timezone.now(), limit=limit)
    _enqueue(claimed)
    total = len(claimed)
    while time.monotonic() - started < settings.REMINDER_SWEEP_BUDGET:
        ids = outbox.claim_due_reminders(now=timezone.now(), limit=limit)
        _enqueue(ids)
        total += len(ids)
        if len(ids) < limit:
            break
    return total


@shared_task(ignore_result=True, acks_late=True, reject_on_worker_lost=True)
def send_reminders(reminder_ids: list[int]) -> dict:
    """Send a batch of claimed messages and record what became of each."""
    return outbox.send_batch(reminder_ids)


@shared_task(ignore_result=True)
def create_upcoming_occurrences() -> int:
    """Open the next occurrence of recurring assignments, with their reminders, ahead of time."""
    return occurrences.create_upcoming_occurrences(now=timezone.now())


@shared_task(ignore_result=True)
def assign_growth_follow_ups() -> int:
    """Assign the follow-up of each time map whose "new thing to try" is a week old."""
    # Imported here: follow_ups assigns work through worksheets.assignments, which imports
    # this module for request_sweep.
    from worksheets import follow_ups

    return follow_ups.assign_due_follow_ups(now=timezone.now())


def request_sweep() -> None:
    """Ask for a sweep as soon as the current transaction commits (a message is due now)."""
    transaction.on_commit(sweep_due_reminders.delay)
