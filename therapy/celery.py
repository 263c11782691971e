"""The Celery application: broker settings, limits and the beat schedule, all in one place."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "therapy.settings")

app = Celery("therapy")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.conf.update(
    task_serializer="json",
    accept_content=["json"],
    result_serializer="json",
    task_ignore_result=True,
    # A send is acknowledged only once it has run, and given back if its worker dies, so a
    # killed worker loses nothing; the row lock in the send task makes a second run harmless.
    task_acks_late=True,
    task_reject_on_worker_lost=True,
    worker_prefetch_multiplier=1,
    task_soft_time_limit=60,
    task_time_limit=90,
    broker_connection_retry_on_startup=True,
    timezone="UTC",
    enable_utc=True,
)


def _beat_schedule() -> dict:
    from django.conf import settings

    return {
        # Claims reminders whose time has come (and ones whose lease ran out) and enqueues
        # their sends. Local times live on the rows, so beat never needs a person's time zone.
        "sweep-due-reminders": {
            "task": "worksheets.tasks.sweep_due_reminders",
            "schedule": float(settings.REMINDER_SWEEP_SECONDS),
        },
        # Opens the next occurrence of recurring assignments a day ahead. Daily would do; hourly
        # costs little (it is idempotent) and recovers within the hour after an outage.
        "create-upcoming-occurrences": {
            "task": "worksheets.tasks.create_upcoming_occurrences",
            "schedule": 3600.0,
        },
        # Assigns a partner the short follow-up of the new thing they planned in their time
        # map, a week after they handed it in (worksheets/follow_ups.py). Hourly, so it opens
        # within the hour of the week being up; a second run assigns nothing more.
        "assign-growth-follow-ups": {
            "task": "worksheets.tasks.assign_growth_follow_ups",
            "schedule": 3600.0,
        },
        # Erases couples closed for longer than the retention period, and old log and history
        # rows (therapy/retention.py). Daily is enough: the period is counted in days.
        "apply-records-retention": {
            "task": "therapy.tasks.apply_records_retention",
            "schedule": 24 * 3600.0,
        },
    }


@app.on_after_configure.connect
def _install_beat_schedule(sender, **kwargs):
    sender.conf.beat_schedule = _beat_schedule()


app.autodiscover_tasks()
