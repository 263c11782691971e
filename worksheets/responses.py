"""Saving and submitting a partner's answers."""

import datetime as dt
import logging

from django.conf import settings
from django.db import OperationalError, connection, transaction

from clients.models import Partner
from therapy import webhooks
from therapy.alerts import raise_pattern_alerts, raise_safety_alert, raise_score_alerts
from worksheets import outbox
from worksheets.models import Assignment, Response, WorksheetItem, WorksheetTemplate
from worksheets.reminders import cancel_open_reminders, plan_safety_notice
from worksheets.scoring import (
    CoupleResult,
    ScaleItem,
    change_since,
    compare_partners,
    score_answers,
)

logger = logging.getLogger(__name__)


class ResponseClosed(Exception):
    """The response can no longer be changed (submitted, or its assignment is not active)."""


class DraftChanged(Exception):
    """The draft was saved elsewhere (another tab, another device) since the page was made."""


def draft_version(response: Response) -> str:
    """What a page carries of the draft it was made from; a save from it checks that the
    draft is still the same, so that an older page never overwrites newer answers."""
    return response.updated_at.astimezone(dt.UTC).isoformat() if response.updated_at else ""


def _scale_range(item: WorksheetItem) -> tuple[int, int]:
    kind = item.options.get("answer_kind", item.kind)
    if kind == WorksheetItem.Kind.AGREEMENT:
        return 1, len(item.options["anchors"])
    return 0, 10


def scale_items(template: WorksheetTemplate) -> list[ScaleItem]:
    """The template's numerically answered items, as scoring sees them."""
    numeric = {
        WorksheetItem.Kind.AGREEMENT,
        WorksheetItem.Kind.SCALE,
        WorksheetItem.Kind.PERCEPTION,
    }
    return [
        ScaleItem(
            key=item.key,
            minimum=_scale_range(item)[0],
            maximum=_scale_range(item)[1],
            reverse_keyed=item.reverse_keyed,
            about=item.options.get("about", ""),
        )
        for item in template.items.all()
        if item.kind in numeric
    ]


def shared_item_keys(assignment: Assignment, items) -> set[str]:
    """Items whose answers the other partner may see, once both have submitted, unless the
    partner who gave an answer chose to keep it back (`Response.withheld`)."""
    return {
        item.key
        for item in items
        if assignment.visibility_of(item) == WorksheetItem.Visibility.SHARED
    }


def previous_submission(response: Response) -> Response | None:
    """The partner's last submitted response to the same worksheet, before this one."""
    return (
        Response.objects.filter(
            partner_id=response.partner_id,
            assignment__template__slug=response.assignment.template.slug,
            status=Response.Status.SUBMITTED,
        )
        .exclude(pk=response.pk)
        .order_by("-submitted_at")
        .first()
    )


def _check_open(response: Response) -> None:
    if response.is_submitted:
        raise ResponseClosed("This worksheet has already been submitted.")
    if not response.assignment.is_active:
        raise ResponseClosed(
            "Your counselor has paused this worksheet."
            if response.assignment.status == Assignment.Status.PAUSED
            else "Your counselor has closed this worksheet."
        )


def _lock_open_response(response_id: int, partner: Partner) -> Response:
    response = (
        Response.objects.select_for_update(of=("self",))
        .select_related("assignment__template")
        .get(pk=response_id, partner=partner)
    )
    _check_open(response)
    return response


def _wait_for_send_in_progress(response_id: int) -> None:
    """Let a send to this partner about this worksheet that is under way finish first, so the
    submission comes after it; but wait no longer than SUBMIT_WAIT_FOR_SEND_MS. Sends take the
    same advisory lock (worksheets.outbox); no send starts once the submission is in.
    (SQLite, in the demo, runs one writer at a time and needs no lock.)"""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT set_config('lock_timeout', %s, true)", [f"{settings.SUBMIT_WAIT_FOR_SEND_MS}ms"]
        )
        try:
            with transaction.atomic():
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [outbox.LOCK_BASE + response_id])
        except OperationalError:
            logger.info("A send to response %s was still under way; submitting anyway", response_id)
        cursor.execute("SELECT set_config('lock_timeout', '0', true)")


def _lock_occurrence(response_id: int, partner: Partner) -> tuple[Response, list[Response]]:
    """The partner's open response and the other responses to the same occurrence, locked
    in one order: when both partners submit at once, the second waits for the first and
    sees its submission, so the pair's gap is always worked out."""
    assignment_id, occurrence = (
        Response.objects.filter(pk=response_id, partner=partner)
        .values_list("assignment_id", "occurrence")
        .get()
    )
    responses = list(
        Response.objects.select_for_update(of=("self",))
        .select_related("assignment__template")
        .filter(assignment_id=assignment_id, occurrence=occurrence)
        .order_by("pk")
    )
    [response] = [r for r in responses if r.pk == response_id]
    _check_open(response)
    return response, [r for r in responses if r.pk != response_id]


@transaction.atomic
def save_draft(
    *,
    response_id: int,
    partner: Partner,
    answers: dict,
    now: dt.datetime,
    item_keys: set[str] | None = None,
    withheld: set[str] | None = None,
    version: str | None = None,
    page: str = "",
) -> Response:
    """Keep whatever the partner has entered so far, valid or not yet.

    With `item_keys`, only those items are replaced (one section of the worksheet); the rest
    of the draft stays as it was. `withheld` are the keys among them the partner chose not to
    share. With `version` (`draft_version` of the draft the page was made from) and `page`
    (the page's own token), nothing is saved, and DraftChanged is raised, if another page
    saved the draft since: another tab, another device. A page's saves over its own are
    kept, and so is an answer that signals a safety concern, wherever it comes from.
    """
    response = _lock_open_response(response_id, partner)
    changed_elsewhere = version is not None and version != draft_version(response)
    from_another_page = changed_elsewhere and not (page and page == response.saved_from_page)
    if item_keys is None:
        response.answers = answers
    else:
        kept = {key: value for key, value in response.answers.items() if key not in item_keys}
        response.answers = {**kept, **answers}
    # A safety answer posted from any page is kept, and raises its alert below.
    if from_another_page and not set(signalled_item_keys(response)) & answers.keys():
        raise DraftChanged
    if withheld is not None:
        others = [key for key in response.withheld if item_keys is None or key not in item_keys]
        response.withheld = sorted(set(others) | withheld)
    response.status = Response.Status.DRAFT
    response.updated_at = now
    response.saved_from_page = page
    response.save(update_fields=["answers", "withheld", "status", "updated_at", "saved_from_page"])
    raise_safety_signals(response, now=now)
    return response


@transaction.atomic
def submit_response(
    *, response_id: int, partner: Partner, answers: dict, now: dt.datetime
) -> Response:
    """Hand the worksheet in: score it once, store the scores, and stop its reminders.

    The occurrence's responses (this partner's and the other's) are locked, so a reminder
    send in progress finishes (and is recorded as sent) before this commits, any later send
    sees the submission and skips, and the partners' gap is worked out once both are in.
    """
    _wait_for_send_in_progress(response_id)
    response, others = _lock_occurrence(response_id, partner)
    template = response.assignment.template
    scores = score_answers(items=scale_items(template), answers=answers, spec=template.scoring)
    scores = scores.as_dict()
    previous = previous_submission(response)
    scores["change"] = change_since(previous.scores, scores) if previous else {}
    response.answers = answers
    response.scores = scores
    response.preferred_balance, response.map_position = headline_figures(scores)
    response.balance_gap = pair_gap(response, others)
    response.status = Response.Status.SUBMITTED
    response.updated_at = now
    response.submitted_at = now
    response.save()
    cancel_open_reminders(response)
    webhooks.emit(webhooks.submission_event(response), now=now)
    raise_safety_signals(response, now=now)
    _raise_alerts(response, now)
    if any(other.is_submitted for other in others):
        _settle_side_by_side(response, others)
    return response


def _settle_side_by_side(response: Response, others: list[Response]) -> None:
    """The pair is complete: whether the partners see it side by side is settled now, once,
    after this submission's own safety signals are raised, and never again."""
    # Imported here: therapy.access reads the other partner's response through this module.
    from therapy.access import joint_work_paused

    kept = joint_work_paused(response.assignment.couple)
    Response.objects.filter(pk__in=[response.pk, *(other.pk for other in others)]).update(
        kept_for_session=kept
    )
    response.kept_for_session = kept


def signalled_item_keys(response: Response) -> list[str]:
    """The items whose saved answers count as a safety signal."""
    return [
        item.key
        for item in response.assignment.template.items.all()
        if item.signals_in(response.answers.get(item.key))
    ]


def raise_safety_signals(response: Response, *, now: dt.datetime) -> None:
    """On every save, not only on submit (a frightened partner may never submit): a signal
    raises an urgent alert and writes its notice to the counselors in the same transaction."""
    keys = signalled_item_keys(response)
    if not keys:
        return
    alert = raise_safety_alert(response=response, signal_keys=keys, now=now)
    if alert is not None:
        plan_safety_notice(alert=alert, now=now)


def headline_figures(scores: dict) -> tuple[int | None, str]:
    """The preferred balance and the position on the interdependence map (where worked
    out), kept as columns for the caseload, which reads them for every partner."""
    return scores.get("preferred_balance"), (scores.get("map") or {}).get("position", "")


def pair_gap(response: Response, others: list[Response]) -> int | None:
    """The partners' gap in preferred balance, if this submission completes the pair."""
    answered = [r for r in others if r.is_submitted and r.preferred_balance is not None]
    if response.preferred_balance is None or len(answered) != 1:
        return None
    return abs(response.preferred_balance - answered[0].preferred_balance)


def _raise_alerts(response: Response, now: dt.datetime) -> None:
    """Tell the counselor about a concern score, or a gap between the partners that widened."""
    bands = {
        s["key"]: s.get("bands", [])
        for s in response.assignment.template.scoring.get("subscales", [])
    }
    earlier_gaps = []
    if response.balance_gap is not None:
        earlier_gaps = previous_couple_gaps(response)
    raise_score_alerts(
        response=response,
        bands=bands,
        gaps=[*reversed(earlier_gaps), response.balance_gap],
        now=now,
    )
    raise_pattern_alerts(couple=response.assignment.couple, latest=response, now=now)


def previous_couple_gaps(response: Response, count: int = 2) -> list[int]:
    """The gaps of the last `count` times before this one that both partners answered the
    same worksheet, the latest first."""
    return list(
        Response.objects.filter(
            assignment__couple_id=response.assignment.couple_id,
            assignment__template__slug=response.assignment.template.slug,
            balance_gap__isnull=False,
        )
        .exclude(pk=response.pk)
        .order_by("-submitted_at", "-pk")
        .values_list("balance_gap", flat=True)[:count]
    )


def other_partners_response(response: Response) -> Response | None:
    return (
        Response.objects.filter(
            assignment_id=response.assignment_id, occurrence=response.occurrence
        )
        .exclude(partner_id=response.partner_id)
        .select_related("partner")
        .first()
    )


def couple_result(response: Response) -> CoupleResult | None:
    """The couple-level results, once both partners have submitted this occurrence."""
    other = other_partners_response(response)
    if not response.is_submitted or other is None or not other.is_submitted:
        return None
    return compare_partners(response.scores, other.scores)
