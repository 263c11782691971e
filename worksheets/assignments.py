"""Assigning worksheets to couples."""

import datetime as dt

from django.db import transaction

from clients.models import Couple
from therapy.models import Counselor
from worksheets.models import Assignment, Reminder, Response, WorksheetTemplate
from worksheets.reminders import plan_reminders
from worksheets.tasks import request_sweep


class AssignmentError(ValueError):
    pass


@transaction.atomic
def assign_worksheet(
    *,
    couple: Couple,
    template: WorksheetTemplate,
    due_at: dt.datetime,
    assigned_by: Counselor | None,
    now: dt.datetime,
    visibility_overrides: dict[str, str] | None = None,
    reminder_plan: dict | None = None,
    recurrence: str = Assignment.Recurrence.ONCE,
    interval_days: int = 7,
    repeat_until: dt.datetime | None = None,
    max_occurrences: int | None = None,
) -> Assignment:
    """Assign `template` to both partners of `couple`, due at `due_at`, and plan reminders.

    The reminder rows are written in the same transaction, so an assignment never exists
    without its invitations. A recurring assignment starts with this first occurrence; the
    daily job opens the next ones (worksheets.occurrences).
    """
    if not couple.is_active:
        raise AssignmentError("Worksheets can only be assigned to an active couple.")
    if due_at <= now:
        raise AssignmentError("The due date must be in the future.")
    partners = list(couple.partners.filter(removed_at__isnull=True))
    if not partners:
        raise AssignmentError("Add the partners before assigning a worksheet.")
    assignment = Assignment.objects.create(
        couple=couple,
        template=template,
        due_at=due_at,
        assigned_by=assigned_by,
        visibility_overrides=visibility_overrides or {},
        reminder_plan=reminder_plan or {},
        recurrence=recurrence,
        interval_days=interval_days,
        repeat_until=repeat_until,
        max_occurrences=max_occurrences,
        created_at=now,
    )
    for partner in partners:
        response = Response.objects.create(assignment=assignment, partner=partner, due_at=due_at)
        plan_reminders(response=response, now=now)
    request_sweep()
    return assignment


@transaction.atomic
def cancel_assignment(*, assignment: Assignment) -> None:
    """Close an assignment: partners can no longer answer it and its reminders stop."""
    Assignment.objects.filter(pk=assignment.pk).update(status=Assignment.Status.CANCELLED)
    Reminder.objects.filter(response__assignment=assignment).open().update(
        status=Reminder.Status.CANCELLED, lease_until=None
    )
