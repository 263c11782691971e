"""Alerts: things about a couple that need the counselor's attention."""

import datetime as dt
import logging
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction

from therapy.models import Alert

logger = logging.getLogger(__name__)


# Subscales where a score in the top band is worth the counselor's attention.
CONCERN_SUBSCALES = {"over_dependence", "over_independence", "support_as_control"}


def _raise(
    *, couple, response, kind: str, reason: str, now: dt.datetime, subject: str = ""
) -> Alert | None:
    """Create the alert unless this response already has one of this kind, or an alert
    about the same `subject` is still open."""
    try:
        with transaction.atomic():
            return Alert.objects.create(
                couple=couple,
                response=response,
                kind=kind,
                subject=subject,
                reason=reason,
                created_at=now,
            )
    except IntegrityError:
        return None


def raise_score_alerts(
    *,
    response,
    bands: dict[str, list],
    previous_gap: int | None,
    current_gap: int | None,
    now: dt.datetime,
) -> list[Alert]:
    """After a submission: a concern subscale in its top band, or a gap that widened by at
    least `settings.ALERT_GAP_WIDENING` since the previous time both partners answered."""
    couple = response.assignment.couple
    name = response.partner.display_name
    raised = []
    for subscale in response.scores.get("subscales", []):
        top = (bands.get(subscale["key"]) or [{}])[-1].get("label")
        if (
            subscale["key"] in CONCERN_SUBSCALES
            and subscale["score"] is not None
            and subscale["band"] == top
        ):
            raised.append(
                _raise(
                    couple=couple,
                    response=response,
                    kind=Alert.Kind.CONCERN_BAND,
                    subject=f"partner {response.partner_id}: {subscale['key']}",
                    now=now,
                    reason=f"{name}: “{subscale['label']}” is {subscale['score']} of "
                    f"{subscale['maximum']} ({subscale['band']}).",
                )
            )
            break
    widening = settings.ALERT_GAP_WIDENING
    if (
        previous_gap is not None
        and current_gap is not None
        and current_gap - previous_gap >= widening
    ):
        raised.append(
            _raise(
                couple=couple,
                response=response,
                kind=Alert.Kind.GAP_WIDENED,
                now=now,
                reason=f"The gap in preferred balance widened from {previous_gap} to {current_gap} "
                f"of 10 on “{response.assignment.template.title}”.",
            )
        )
    return [alert for alert in raised if alert]


def raise_delivery_alert(*, reminder, now: dt.datetime) -> Alert | None:
    response = reminder.response
    return _raise(
        couple=response.assignment.couple,
        response=response,
        kind=Alert.Kind.DELIVERY_FAILED,
        now=now,
        reason=f"{reminder.get_kind_display()} to "
        f"{response.partner.display_name} could not be delivered: "
        f"{reminder.last_error or 'the provider refused it'}.",
    )


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
    # The same worksheet the time before, whether a recurring occurrence or a new assignment.
    previous = (
        type(response)
        .objects.filter(
            partner=response.partner,
            assignment__template__slug=assignment.template.slug,
            due_at__lt=response.due_at,
        )
        .order_by("-due_at")
        .first()
    )
    kind = Alert.Kind.MISSED_WORK
    if previous is not None and not previous.is_submitted:
        kind = Alert.Kind.MISSED_TWICE
        reason += " The time before was missed too."
    alert = _raise(couple=couple, response=response, kind=kind, reason=reason, now=now)
    if alert is None:
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
