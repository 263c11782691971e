"""Celery tasks: thin wrappers that take ids, call one domain function and return."""

from celery import shared_task
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from worksheets import reminders


@shared_task(ignore_result=True)
def sweep_due_reminders() -> int:
    """Claim due reminders and enqueue one send each, after the claim has committed."""
    ids = reminders.claim_due_reminders(now=timezone.now(), limit=settings.REMINDER_BATCH_SIZE)
    for reminder_id in ids:
        send_reminder.delay(reminder_id)
    return len(ids)


@shared_task(ignore_result=True, acks_late=True, reject_on_worker_lost=True)
def send_reminder(reminder_id: int) -> str:
    return reminders.send_reminder(reminder_id=reminder_id, now=timezone.now())


def request_sweep() -> None:
    """Ask for a sweep as soon as the current transaction commits (an invitation is due now)."""
    transaction.on_commit(sweep_due_reminders.delay)
