"""Read functions behind the counselor's dashboard. Query counts do not grow with rows."""

import datetime as dt
from dataclasses import dataclass

from django.db.models import Prefetch

from clients.models import Couple, Partner
from therapy import access
from therapy.access import couples_for
from worksheets.models import Assignment, Reminder, Response

# Older assignments stay on the couple's page; the home shows the recent weeks.
RECENT_WINDOW = dt.timedelta(days=14)


@dataclass(frozen=True)
class PartnerState:
    partner: Partner
    response: Response | None

    @property
    def label(self) -> str:
        return self.response.get_status_display() if self.response else "Not assigned"


@dataclass(frozen=True)
class AssignmentProgress:
    assignment: Assignment
    states: list[PartnerState]

    @property
    def submitted_count(self) -> int:
        return sum(1 for state in self.states if state.response and state.response.is_submitted)


@dataclass(frozen=True)
class CoupleOverview:
    couple: Couple
    partners: list[Partner]
    assignments: list[AssignmentProgress]


def assignment_progress(assignment: Assignment, partners: list[Partner]) -> AssignmentProgress:
    # With recurring work a partner has several responses; the latest occurrence is the state.
    latest: dict[int, Response] = {}
    for response in assignment.responses.all():
        current = latest.get(response.partner_id)
        if current is None or response.occurrence > current.occurrence:
            latest[response.partner_id] = response
    return AssignmentProgress(
        assignment, [PartnerState(partner, latest.get(partner.pk)) for partner in partners]
    )


def caseload_overview(user, *, now: dt.datetime) -> list[CoupleOverview]:
    """Each couple the user may see, with the assignments due in the last two weeks or later,
    and each partner's state.

    Four queries whatever the caseload: couples, partners, assignments, responses.
    """
    couples = (
        couples_for(user)
        .exclude(status=Couple.Status.CLOSED)
        .prefetch_related(
            "partners",
            Prefetch(
                "assignments",
                queryset=Assignment.objects.exclude(status=Assignment.Status.CANCELLED)
                .select_related("template")
                .prefetch_related("responses")
                .filter(due_at__gte=now - RECENT_WINDOW)
                .order_by("-due_at"),
            ),
        )
    )
    overview = []
    for couple in couples:
        partners = list(couple.partners.all())
        overview.append(
            CoupleOverview(
                couple,
                partners,
                [assignment_progress(a, partners) for a in couple.assignments.all()],
            )
        )
    return overview


@dataclass(frozen=True)
class Attention:
    failed_reminders: int
    overdue_responses: int
    open_alerts: list


def needs_attention(user, *, now: dt.datetime) -> Attention:
    """What the counselor should look at first: three queries, whatever the caseload."""
    failed = access.reminders_for(user).filter(status=Reminder.Status.FAILED).count()
    overdue = (
        access.responses_for(user)
        .filter(
            due_at__lt=now,
            assignment__status=Assignment.Status.ACTIVE,
            status__in=[Response.Status.NOT_STARTED, Response.Status.DRAFT],
        )
        .count()
    )
    alerts = list(
        access.alerts_for(user).filter(acknowledged_at__isnull=True).select_related("couple")[:20]
    )
    return Attention(failed, overdue, alerts)
