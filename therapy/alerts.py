"""Alerts: things about a couple that need the counselor's attention."""

import datetime as dt
import logging

from django.conf import settings
from django.db import IntegrityError, transaction

from therapy import patterns
from therapy.history import record_update
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
            alert = Alert.objects.create(
                couple=couple,
                response=response,
                kind=kind,
                subject=subject,
                reason=reason,
                created_at=now,
            )
    except IntegrityError:
        return None
    _tell_practice_systems(alert, now=now)
    return alert


def _tell_practice_systems(alert: Alert, *, now: dt.datetime) -> None:
    """The "alert.raised" webhook event, in the transaction that raised the alert."""
    from therapy import webhooks

    if (event := webhooks.alert_event(alert)) is not None:
        webhooks.emit(event, now=now)


def raise_score_alerts(
    *, response, bands: dict[str, list], gaps: list[int | None], now: dt.datetime
) -> list[Alert]:
    """After a submission: a concern subscale in its top band, or a gap that widened by at
    least `settings.ALERT_GAP_WIDENING` since the previous time both partners answered.

    `gaps` are the couple's gaps on this worksheet, oldest first, this submission's last.
    A gap that keeps widening is one trend: it raises one alert while it lasts, like a couple
    pattern, and a new one only once it has stopped widening and starts again."""
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

    def widened(before, after) -> bool:
        return before is not None and after is not None and after - before >= widening

    *earlier, previous_gap, current_gap = [None, None, *gaps]
    if widened(previous_gap, current_gap):
        goes_on = (
            widened(earlier[-1], previous_gap)
            and couple.alerts.filter(kind=Alert.Kind.GAP_WIDENED, subject=GAP_WIDENING).exists()
        )
        if not goes_on:
            raised.append(
                _raise(
                    couple=couple,
                    response=response,
                    kind=Alert.Kind.GAP_WIDENED,
                    subject=GAP_WIDENING,
                    now=now,
                    reason=f"The gap in preferred balance widened from {previous_gap} to "
                    f"{current_gap} of 10 on “{response.assignment.template.title}”.",
                )
            )
    return [alert for alert in raised if alert]


GAP_WIDENING = "gap widening"
# How many of the couple's latest submissions the patterns are read from: enough for the
# window of each partner's, with the other worksheets in between.
PATTERN_SOURCE_ROWS = 24


def pattern_histories(couple, *, partners=None, without=None, submitted=None):
    """Each current partner's recent map points and guess accuracy, and the couple's gaps,
    from the figures stored at submission, in two queries; None unless there are two
    partners. `without` leaves one submission out (to see what held before it); `submitted`
    is every submitted response of the couple, when the caller has them already."""
    from worksheets.models import Response
    from worksheets.scoring import compare_partners

    partners = list(couple.partners.current()) if partners is None else partners
    if len(partners) != 2:
        return None
    if submitted is None:
        rows = (
            Response.objects.filter(assignment__couple=couple, status=Response.Status.SUBMITTED)
            .exclude(pk=getattr(without, "pk", None))
            .order_by("-submitted_at", "-pk")
            .only("partner_id", "assignment_id", "occurrence", "scores", "balance_gap")
        )
    else:
        rows = sorted(
            (r for r in submitted if r.pk != getattr(without, "pk", None)),
            key=lambda r: (r.submitted_at, r.pk),
            reverse=True,
        )
    rows = list(reversed(rows[:PATTERN_SOURCE_ROWS]))
    pairs: dict[tuple, dict] = {}
    for row in rows:
        pairs.setdefault((row.assignment_id, row.occurrence), {})[row.partner_id] = row
    a, b = partners
    accuracy = {a.pk: [], b.pk: []}
    for pair in pairs.values():
        if a.pk in pair and b.pk in pair:
            result = compare_partners(pair[a.pk].scores, pair[b.pk].scores)
            for partner, value in ((a, result.a_guessed_b), (b, result.b_guessed_a)):
                if value is not None:
                    accuracy[partner.pk].append(value)
    histories = [
        patterns.PartnerHistory(
            partner_id=partner.pk,
            name=partner.display_name,
            points=[
                patterns.MapPoint(r.scores["map"]["setting_aside"], r.scores["map"]["going_alone"])
                for r in rows
                if r.partner_id == partner.pk and r.scores.get("map")
            ],
            guess_accuracy=accuracy[partner.pk],
        )
        for partner in partners
    ]
    gaps = [r.balance_gap for r in rows if r.balance_gap is not None]
    return histories, gaps


def current_patterns(
    couple, *, partners=None, without=None, submitted=None
) -> list[patterns.Pattern]:
    """The couple patterns that hold now; `partners`, the current ones, and `submitted`, the
    couple's submitted responses, if already loaded."""
    found = pattern_histories(couple, partners=partners, without=without, submitted=submitted)
    if found is None:
        return []
    (a, b), gaps = found
    return patterns.couple_patterns(a, b, gaps)


def raise_pattern_alerts(*, couple, latest, now: dt.datetime) -> list[Alert]:
    """After a submission: an alert for each couple pattern (therapy.patterns) that holds.

    One alert per pattern while it lasts: a pattern that already held before this submission
    and already has its alert raises nothing more, even once that alert is acknowledged; an
    open alert whose pattern no longer holds is closed, with "The pattern ended" in its
    history; a pattern that had ended and comes back raises a new one."""
    partners = list(couple.partners.current())
    holding = current_patterns(couple, partners=partners)
    ended = list(
        couple.alerts.filter(kind=Alert.Kind.PATTERN, acknowledged_at__isnull=True)
        .exclude(subject__in=[p.subject for p in holding])
        .values_list("pk", flat=True)
    )
    if ended:
        Alert.objects.filter(pk__in=ended).update(acknowledged_at=now)
        record_update(Alert, ended, reason="The pattern ended")
    if not holding:
        return []
    held_before = {p.subject for p in current_patterns(couple, partners=partners, without=latest)}
    alerted = set(
        couple.alerts.filter(
            kind=Alert.Kind.PATTERN, subject__in=[p.subject for p in holding]
        ).values_list("subject", flat=True)
    )
    raised = [
        _raise(
            couple=couple,
            response=None,
            kind=Alert.Kind.PATTERN,
            subject=pattern.subject,
            now=now,
            reason=f"{pattern.title}. {pattern.evidence} A pattern to explore together, "
            "not a diagnosis.",
        )
        for pattern in holding
        if not (pattern.subject in held_before and pattern.subject in alerted)
    ]
    return [alert for alert in raised if alert]


def raise_safety_alert(*, response, signal_keys: list[str], now: dt.datetime) -> Alert | None:
    """An urgent alert for answers that signal fear or harm, unless these signals were already
    raised for this response. Returns the new alert, or None.

    One safety alert per response is open at a time; a signal on a new item while it is open
    joins it. Once acknowledged, a later save with a new signal raises a new alert. Called with
    the response locked, so two saves at once cannot both raise one.
    """
    raised = response.alerts.filter(kind=Alert.Kind.SAFETY)
    known = {key for alert in raised for key in alert.signal_keys}
    new = [key for key in signal_keys if key not in known]
    if not new:
        return None
    still_open = raised.filter(acknowledged_at__isnull=True).first()
    if still_open is not None:
        still_open.signal_keys = [*still_open.signal_keys, *new]
        still_open.save(update_fields=["signal_keys"])
        return None
    name = response.partner.display_name
    alert = Alert.objects.create(
        couple=response.assignment.couple,
        response=response,
        kind=Alert.Kind.SAFETY,
        subject=f"response {response.pk}",
        signal_keys=new,
        created_at=now,
        reason=f"{name}'s answers on “{response.assignment.template.title}” may signal fear "
        f"or harm at home. Speak with {name} alone first, before any joint work.",
    )
    logger.warning("Urgent safety alert %s raised for couple %s", alert.pk, alert.couple_id)
    _tell_practice_systems(alert, now=now)
    return alert


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


def raise_webhook_alert(*, reminder, now: dt.datetime) -> Alert | None:
    """A webhook about this couple could not be delivered. One open alert per subscription
    and couple, however many of its webhooks fail; the reason names the receiver's host and
    the error, never the event's content."""
    from urllib.parse import urlsplit

    host = urlsplit(reminder.subscription.url).hostname
    return _raise(
        couple=reminder.partner.couple,
        response=None,
        kind=Alert.Kind.DELIVERY_FAILED,
        subject=f"webhook {reminder.subscription_id}",
        now=now,
        reason=f"The practice's system at {host} did not receive the "
        f"“{reminder.event_type}” event: {reminder.last_error or 'it refused it'}.",
    )


def raise_missed_work_alert(*, response, now: dt.datetime) -> Alert | None:
    """The partner did not hand in the work after the last reminder: tell the counselors.

    At most one such alert per response. The counselors who asked for alerts by e-mail get one
    through the outbox (worksheets.outbox), naming the couple and the worksheet, never answers.
    """
    assignment = response.assignment
    couple = assignment.couple
    nudges = (
        # A text the provider reported delivered was sent too.
        response.reminders.filter(status__in=["sent", "delivered"])
        .exclude(kind__in=["invitation", "counselor_alert"])
        .count()
    )
    # No date in the stored words: pages show when the alert was raised, in the reader's
    # own date format, beside them.
    reason = (
        f"{response.partner.display_name} has not handed in “{assignment.template.title}” "
        f"after {nudges} reminder{'s' if nudges != 1 else ''}."
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
    return _raise(couple=couple, response=response, kind=kind, reason=reason, now=now)


class AcknowledgementError(ValueError):
    pass


def acknowledge(*, alerts, counselor, now: dt.datetime, note: str = "") -> int:
    """Mark open alerts as seen. An urgent alert needs a note on the follow-up, kept with it:
    who acknowledged it, when, and what was done stay in the record."""
    note = note.strip()
    open_alerts = alerts.filter(acknowledged_at__isnull=True)
    if not note and open_alerts.filter(kind=Alert.Kind.SAFETY).exists():
        raise AcknowledgementError(
            "Write a short note on the follow-up to acknowledge an urgent alert."
        )
    ids = list(open_alerts.values_list("pk", flat=True))
    count = Alert.objects.filter(pk__in=ids, acknowledged_at__isnull=True).update(
        acknowledged_at=now, acknowledged_by=counselor, follow_up_note=note
    )
    record_update(Alert, ids, reason="Acknowledged")
    return count
