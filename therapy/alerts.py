"""Alerts: things about a couple that need the counselor's attention."""

import datetime as dt
import logging
from zoneinfo import ZoneInfo

from django.core.mail import send_mail
from django.db import IntegrityError, transaction

from therapy.models import Alert

logger = logging.getLogger(__name__)


def raise_missed_work_alert(*, response, now: dt.datetime) -> Alert | None:
    """The partner did not hand in the work after the last reminder: tell the counselors.

    At most one such alert per response; the counselors who asked for it also get an e-mail,
    which names the couple and the worksheet but carries no answers.
    """
    assignment = response.assignment
    couple = assignment.couple
    nudges = (
        response.reminders.filter(status="sent")
        .exclude(kind__in=["invitation", "counselor_alert"])
        .count()
    )
    due = response.due_at.astimezone(ZoneInfo(couple.practice.time_zone))
    reason = (
        f"{response.partner.display_name} has not handed in “{assignment.template.title}” "
        f"(due {due:%d %b %Y}) after {nudges} reminder{'s' if nudges != 1 else ''}."
    )
    try:
        with transaction.atomic():
            alert = Alert.objects.create(
                couple=couple,
                response=response,
                kind=Alert.Kind.MISSED_WORK,
                reason=reason,
                created_at=now,
            )
    except IntegrityError:
        return None
    recipients = [
        c.user.email
        for c in couple.counselors.select_related("user")
        if c.alert_by_email and c.user.email
    ]
    if recipients:
        try:
            send_mail(
                f"Worksheet still open: {couple.label}",
                reason + "\n\nSee the counselor dashboard for details.",
                None,
                recipients,
            )
        except OSError:
            logger.warning("Could not e-mail the alert for couple %s", couple.pk)
    return alert


def acknowledge(*, alerts, counselor, now: dt.datetime) -> int:
    return alerts.filter(acknowledged_at__isnull=True).update(
        acknowledged_at=now, acknowledged_by=counselor
    )
