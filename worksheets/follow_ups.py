"""Following up a partner's plan to try something new.

The time map asks each partner for one new thing to try in the coming month. A week after a
partner hands in a time map with that answer filled in, the same partner (and only them) is
assigned a short follow-up worksheet: did it happen, how backed did they feel, and a note.
Backing a partner's own growth builds trust, and the follow-up lets the counselor see whether
it did.
"""

import datetime as dt
import logging
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.db import IntegrityError, transaction

from clients.models import Couple, Partner
from therapy.access import joint_work_paused
from worksheets.answers import answer_text
from worksheets.assignments import AssignmentError, assign_worksheet
from worksheets.library import latest_templates
from worksheets.models import Assignment, Response, WorksheetItem

logger = logging.getLogger(__name__)

SOURCE_SLUG = "time-map"
SOURCE_ITEM = "new_thing_to_try"
FOLLOW_UP_SLUG = "growth-follow-up"
# The follow-up opens a week after the time map was handed in...
FOLLOW_UP_AFTER = dt.timedelta(days=7)
# ...and is not started any more a week after that: "the new thing you planned" weeks later,
# say after joint work was paused and resumed, would read as a reproach, not a check-in.
FOLLOW_UP_UNTIL = dt.timedelta(days=14)
# Due by the end of this many days after it opens, on the partner's own clock.
DUE_AFTER_DAYS = 3
BATCH_SIZE = 200


def new_thing_text(response: Response) -> str:
    """The partner's answer to the time map's "one new thing to try", stripped; "" if none."""
    answer = response.answers.get(SOURCE_ITEM)
    return answer.strip() if isinstance(answer, str) else ""


def _due_date(partner: Partner, now: dt.datetime) -> dt.date:
    today = now.astimezone(ZoneInfo(partner.time_zone)).date()
    return today + dt.timedelta(days=DUE_AFTER_DAYS)


def _candidates(now: dt.datetime):
    """Time maps handed in between one and two weeks ago, by partners still in an active
    couple, with no follow-up yet. Whether the answer is filled in is checked row by row:
    answers are encrypted, so the database cannot tell."""
    return Response.objects.filter(
        assignment__template__slug=SOURCE_SLUG,
        status=Response.Status.SUBMITTED,
        submitted_at__lte=now - FOLLOW_UP_AFTER,
        submitted_at__gt=now - FOLLOW_UP_UNTIL,
        partner__in=Partner.objects.current(),
        assignment__couple__status=Couple.Status.ACTIVE,
        follow_up__isnull=True,
    )


def assign_follow_up(*, source: Response, template, now: dt.datetime) -> Assignment | None:
    """The follow-up of one time-map response, if it is still wanted and not yet assigned.

    The source row is locked, and a second run that finds it locked skips it; the one-to-one
    key on `Assignment.follow_up_of` makes a second follow-up impossible even so. It goes
    through `assign_worksheet`, so its invitation and reminders follow the partner's time zone
    and quiet hours like any other work.
    """
    try:
        with transaction.atomic():
            locked = (
                Response.objects.select_for_update(of=("self",), skip_locked=True)
                .select_related("partner", "assignment__couple")
                .filter(pk=source.pk, follow_up__isnull=True)
                .first()
            )
            if locked is None or not _still_wanted(locked):
                return None
            assignment = assign_worksheet(
                couple=locked.assignment.couple,
                template=template,
                due_date=_due_date(locked.partner, now),
                assigned_by=None,
                now=now,
                for_partner=locked.partner,
            )
            assignment.follow_up_of = locked
            assignment.save(update_fields=["follow_up_of"])
            return assignment
    except IntegrityError:
        # Another run wrote the follow-up between our check and our write.
        return None
    except AssignmentError as refused:
        logger.info("No follow-up of response %s: %s", source.pk, refused)
        return None


def _still_wanted(source: Response) -> bool:
    """Re-checked under the lock: the answer is there, the partner is still in the couple,
    and joint work is not paused (an open safety alert, or individual work only; a follow-up
    about a partner's backing is not sent then)."""
    couple = source.assignment.couple
    return (
        bool(new_thing_text(source))
        and not source.partner.is_removed
        and couple.is_active
        and not joint_work_paused(couple)
    )


def assign_due_follow_ups(*, now: dt.datetime) -> int:
    """The hourly job: assign every follow-up whose week has passed. Returns how many.

    Running it again, or twice at once, assigns nothing more. The candidates are read in
    bounded pages by key, so empty answers (skipped on every run until they leave the
    two-week window) never hold back the rest.
    """
    template = latest_templates().get(slug=FOLLOW_UP_SLUG)
    created = 0
    last_pk = 0
    while True:
        page = list(
            _candidates(now)
            .filter(pk__gt=last_pk)
            .only("pk", "answers")
            .order_by("pk")[:BATCH_SIZE]
        )
        for source in page:
            if new_thing_text(source) and assign_follow_up(
                source=source, template=template, now=now
            ):
                created += 1
        if len(page) < BATCH_SIZE:
            return created
        last_pk = page[-1].pk


@dataclass(frozen=True)
class EarlierAnswer:
    text: str
    written_at: dt.datetime


def earlier_answer_for(response: Response) -> EarlierAnswer | None:
    """What the partner wrote in the time map this follow-up is about, for their own page.
    Only ever the answer of the same partner who is filling in the follow-up."""
    source = response.assignment.follow_up_of
    if source is None or source.partner_id != response.partner_id:
        return None
    text = new_thing_text(source)
    return EarlierAnswer(text=text, written_at=source.submitted_at) if text else None


@dataclass(frozen=True)
class FollowUp:
    """One follow-up, for the counselor. The answers are those handed in: None until then."""

    partner: Partner
    new_thing: str
    happened: str | None  # "yes", "partly" or "not_yet"
    happened_text: str | None  # the choice as the partner read it, e.g. "Partly, or I made a start"
    supported: int | None  # 0 (not backed at all) to 10 (fully backed)
    note: str
    submitted: bool
    due_at: dt.datetime
    submitted_at: dt.datetime | None


def follow_ups_for(responses) -> list[FollowUp]:
    """The follow-ups among `responses`, each with the plan it follows up, in due order.

    `responses` are any of a couple's responses (the session brief passes its list), loaded
    with `select_related("assignment", "partner")`; the others are ignored. Two queries
    whatever the number: the time-map answers followed up, and the "did it happen" item's
    choices.
    """
    follow_ups = [r for r in responses if r.assignment.follow_up_of_id is not None]
    if not follow_ups:
        return []
    sources = Response.objects.only("pk", "answers").in_bulk(
        [r.assignment.follow_up_of_id for r in follow_ups]
    )
    items = {
        item.template_id: item
        for item in WorksheetItem.objects.filter(
            template_id__in={r.assignment.template_id for r in follow_ups}, key="it_happened"
        )
    }
    return [
        _follow_up(response, sources[response.assignment.follow_up_of_id], items)
        for response in sorted(follow_ups, key=lambda r: (r.due_at, r.pk))
    ]


def _follow_up(response: Response, source: Response, items: dict) -> FollowUp:
    answers = response.answers if response.is_submitted else {}
    happened = answers.get("it_happened")
    item = items.get(response.assignment.template_id)
    return FollowUp(
        partner=response.partner,
        new_thing=new_thing_text(source),
        happened=happened,
        happened_text=answer_text(item, happened) if item and happened else None,
        supported=answers.get("felt_supported"),
        note=answers.get("note") or "",
        submitted=response.is_submitted,
        due_at=response.due_at,
        submitted_at=response.submitted_at,
    )
