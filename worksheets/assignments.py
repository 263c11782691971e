"""Assigning worksheets to couples."""

import datetime as dt
from zoneinfo import ZoneInfo

from django.db import transaction

from clients.models import Couple, Partner
from therapy.history import record_update
from therapy.models import Counselor
from worksheets.models import Assignment, Reminder, Response, WorksheetTemplate
from worksheets.reminders import plan_reminders
from worksheets.scheduling import deadline_for, end_of_local_day
from worksheets.tasks import request_sweep


class AssignmentError(ValueError):
    """Work that cannot be assigned or changed as asked; `field` names the detail at fault
    (a keyword of assign_worksheet, or "status"), or is None when it is the couple's state."""

    def __init__(self, message: str, *, field: str | None = None):
        super().__init__(message)
        self.field = field


@transaction.atomic
def assign_worksheet(
    *,
    couple: Couple,
    template: WorksheetTemplate,
    assigned_by: Counselor | None,
    now: dt.datetime,
    due_at: dt.datetime | None = None,
    due_date: dt.date | None = None,
    visibility_overrides: dict[str, str] | None = None,
    reminder_plan: dict | None = None,
    recurrence: str = Assignment.Recurrence.ONCE,
    interval_days: int = 7,
    repeat_until: dt.datetime | None = None,
    max_occurrences: int | None = None,
    reveal: str = Assignment.Reveal.AFTER_BOTH,
    for_partner: Partner | None = None,
) -> Assignment:
    """Assign `template` to both partners of `couple` (or to `for_partner` alone), and plan
    reminders.

    Give one of `due_date` or `due_at`. Work due by a date is due by the end of that date for
    each partner, on their own clock: each partner's response holds that instant, which is
    what overdue and the reminders read. Work due at `due_at` is due at that instant for both.

    The reminder rows are written in the same transaction, so an assignment never exists
    without its invitations. A recurring assignment starts with this first occurrence; the
    daily job opens the next ones (worksheets.occurrences).
    """
    if not couple.is_active:
        raise AssignmentError("Worksheets can only be assigned to an active couple.")
    if (due_at is None) == (due_date is None):
        raise AssignmentError("Give a due date or a due time, not both.", field="due_date")
    if due_date is not None:
        due_at = end_of_local_day(due_date, ZoneInfo(couple.practice.time_zone))
    if due_at <= now:
        raise AssignmentError(
            "The due date must be in the future.",
            field="due_date" if due_date is not None else "due_at",
        )
    if for_partner is not None and (for_partner.couple_id != couple.pk or for_partner.is_removed):
        raise AssignmentError("That partner is not part of this couple.", field="for_partner")
    assignment = Assignment(
        couple=couple,
        template=template,
        due_at=due_at,
        due_date=due_date,
        assigned_by=assigned_by,
        visibility_overrides=visibility_overrides or {},
        reminder_plan=reminder_plan or {},
        recurrence=recurrence,
        interval_days=interval_days,
        repeat_until=repeat_until,
        max_occurrences=max_occurrences,
        reveal=reveal,
        only_partner=for_partner,
        created_at=now,
    )
    partners = list(assignment.partners_to_ask())
    if not partners:
        raise AssignmentError("Add the partners before assigning a worksheet.")
    deadlines = {
        partner: deadline_for(partner.time_zone, due_at=due_at, due_date=due_date)
        for partner in partners
    }
    for partner, deadline in deadlines.items():
        if deadline <= now:
            raise AssignmentError(
                f"{due_date:%-d %B} has already ended for {partner.display_name}, whose time "
                f"zone is {partner.time_zone}. Choose a later date.",
                field="due_date",
            )
    assignment.save()
    for partner, deadline in deadlines.items():
        response = Response.objects.create(
            assignment=assignment, partner=partner, due_at=deadline, due_date=due_date
        )
        plan_reminders(response=response, now=now)
    request_sweep()
    return assignment


@transaction.atomic
def assign_to_partners(
    *, couple: Couple, template: WorksheetTemplate, partner: Partner | None, **details
) -> list[Assignment]:
    """Assign work to one partner, or to both (`partner` None).

    A safety check for both goes to each partner as work of their own: each is asked alone,
    and nothing in one partner's portal is tied to the other's.
    """
    if partner is None and template.is_safety_check:
        return [
            assign_worksheet(couple=couple, template=template, for_partner=each, **details)
            for each in Partner.objects.current().filter(couple=couple)
        ]
    return [assign_worksheet(couple=couple, template=template, for_partner=partner, **details)]


@transaction.atomic
def cancel_assignment(*, assignment: Assignment) -> None:
    """Close an assignment: partners can no longer answer it and its reminders stop."""
    Assignment.objects.filter(pk=assignment.pk).update(status=Assignment.Status.CANCELLED)
    record_update(Assignment, [assignment.pk], reason="Cancelled")
    Reminder.objects.filter(response__assignment=assignment).open().update(
        status=Reminder.Status.CANCELLED, lease_until=None
    )


@transaction.atomic
def pause_assignment(*, assignment: Assignment) -> None:
    """Pause an active assignment: partners cannot answer it meanwhile, its reminders are
    skipped when they come due (the send task re-checks that the assignment is active), no
    later occurrence opens, and nothing of it counts as overdue."""
    paused = Assignment.objects.filter(pk=assignment.pk, status=Assignment.Status.ACTIVE).update(
        status=Assignment.Status.PAUSED
    )
    if not paused:
        raise AssignmentError("Only an active assignment can be paused.", field="status")
    record_update(Assignment, [assignment.pk], reason="Paused")
