"""Saving and submitting a partner's answers."""

import datetime as dt

from django.db import transaction

from clients.models import Partner
from worksheets.models import Response, WorksheetItem, WorksheetTemplate
from worksheets.reminders import cancel_open_reminders
from worksheets.scoring import ScaleItem, score_answers


class ResponseClosed(Exception):
    """The response can no longer be changed (submitted, or its assignment is not active)."""


def scale_items(template: WorksheetTemplate) -> list[ScaleItem]:
    return [
        ScaleItem(
            key=item.key,
            minimum=1,
            maximum=len(item.options["anchors"]),
            reverse_keyed=item.reverse_keyed,
        )
        for item in template.items.all()
        if item.kind == WorksheetItem.Kind.AGREEMENT
    ]


def _lock_open_response(response_id: int, partner: Partner) -> Response:
    response = (
        Response.objects.select_for_update(of=("self",))
        .select_related("assignment__template")
        .get(pk=response_id, partner=partner)
    )
    if response.is_submitted:
        raise ResponseClosed("This worksheet has already been submitted.")
    if not response.assignment.is_active:
        raise ResponseClosed("Your counselor has closed this worksheet.")
    return response


@transaction.atomic
def save_draft(*, response_id: int, partner: Partner, answers: dict, now: dt.datetime) -> Response:
    """Keep whatever the partner has entered so far, valid or not yet."""
    response = _lock_open_response(response_id, partner)
    response.answers = answers
    response.status = Response.Status.DRAFT
    response.updated_at = now
    response.save(update_fields=["answers", "status", "updated_at"])
    return response


@transaction.atomic
def submit_response(
    *, response_id: int, partner: Partner, answers: dict, now: dt.datetime
) -> Response:
    """Hand the worksheet in: score it once, store the scores, and stop its reminders.

    The response row is locked, so a reminder send in progress finishes (and is recorded as
    sent) before this commits, and any later send sees the submission and skips.
    """
    response = _lock_open_response(response_id, partner)
    template = response.assignment.template
    report = score_answers(items=scale_items(template), answers=answers, spec=template.scoring)
    response.answers = answers
    response.scores = report.as_dict()
    response.status = Response.Status.SUBMITTED
    response.updated_at = now
    response.submitted_at = now
    response.save()
    cancel_open_reminders(response)
    return response
