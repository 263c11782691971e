"""Read functions behind the counselor's dashboard. Query counts do not grow with rows."""

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import (
    Count,
    IntegerField,
    Max,
    Min,
    OuterRef,
    Q,
    Subquery,
)
from django.db.models.functions import Coalesce

from clients.models import Couple, Partner
from therapy import access
from therapy.models import Alert, CounselingSession
from worksheets.models import Assignment, Reminder, Response

# "This period": the worksheets due in the last two weeks or still to come.
PERIOD = dt.timedelta(days=14)
SORTS = {
    "couple": lambda row: row.couple.label.lower(),
    "next_session": lambda row: (row.next_session is None, row.next_session),
    "overdue": lambda row: -row.overdue,
    "gap": lambda row: (row.gap is None, -(row.gap or 0)),
    "alerts": lambda row: -row.open_alerts,
}
OPEN = [Response.Status.NOT_STARTED, Response.Status.DRAFT]


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


@dataclass
class PartnerSummary:
    partner: Partner
    done: int = 0
    assigned: int = 0
    balance: int | None = None
    lean: str = ""


@dataclass
class CaseloadRow:
    couple: Couple
    next_session: dt.datetime | None
    overdue: int
    open_alerts: int
    partners: list[PartnerSummary] = field(default_factory=list)
    gap: int | None = None
    gap_change: int | None = None

    @property
    def needs_attention(self) -> bool:
        return bool(self.overdue or self.open_alerts)


@dataclass(frozen=True)
class GapPoint:
    at: dt.datetime
    gap: int
    worksheet: str


def gap_series(responses: list[Response]) -> list[GapPoint]:
    """The partners' gap in preferred balance, each time both answered the same occurrence."""
    pairs: dict[tuple[int, int], list[Response]] = defaultdict(list)
    for response in responses:
        if response.is_submitted and response.scores.get("preferred_balance") is not None:
            pairs[(response.assignment_id, response.occurrence)].append(response)
    points = []
    for pair in pairs.values():
        if len(pair) == 2:
            first, second = pair
            points.append(
                GapPoint(
                    max(first.submitted_at, second.submitted_at),
                    abs(first.scores["preferred_balance"] - second.scores["preferred_balance"]),
                    first.assignment.template.title,
                )
            )
    return sorted(points, key=lambda point: point.at)


def _count(queryset, owner_field: str):
    """A count per outer row as a subquery, so several counts do not multiply each other."""
    per_owner = (
        queryset.filter(**{owner_field: OuterRef("pk")})
        .order_by()
        .values(owner_field)
        .annotate(n=Count("pk"))
        .values("n")[:1]
    )
    return Coalesce(Subquery(per_owner, output_field=IntegerField()), 0)


def _latest(field: str, *, empty):
    """A partner's most recent submitted value of `field`, skipping answers without one."""
    latest = (
        Response.objects.filter(partner=OuterRef("pk"), status=Response.Status.SUBMITTED)
        .exclude(**{field: empty})
        .order_by("-submitted_at")
        .values(field)[:1]
    )
    return Subquery(latest)


def caseload(
    user, *, now: dt.datetime, sort: str = "couple", attention_only: bool = False
) -> list[CaseloadRow]:
    """One row per active or paused couple the user may see.

    Four queries whatever the caseload: the counselor, couples with their counts, partners
    with theirs, and the gap of every occurrence both partners answered. The figures are
    worked out in the database from the columns kept beside the stored scores; reading the
    scores themselves would be most of the cost.
    """
    this_period = Response.objects.filter(due_at__gte=now - PERIOD)
    partners = (
        Partner.objects.filter(removed_at__isnull=True)
        .only("pk", "couple_id", "display_name")
        .annotate(
            # Subqueries rather than a join: a join would read every response of the caseload.
            assigned=_count(this_period, "partner"),
            done=_count(this_period.filter(status=Response.Status.SUBMITTED), "partner"),
            latest_balance=_latest("preferred_balance", empty=None),
            latest_lean=_latest("lean", empty=""),
        )
    )
    couples = list(
        access.couples_for(user)
        .exclude(status=Couple.Status.CLOSED)
        .only("pk", "label", "status")
        .annotate(
            next_session=Subquery(
                CounselingSession.objects.filter(couple=OuterRef("pk"), starts_at__gt=now)
                .order_by("starts_at")
                .values("starts_at")[:1]
            ),
            open_alerts=_count(Alert.objects.filter(acknowledged_at__isnull=True), "couple"),
            overdue=_count(
                Response.objects.filter(
                    status__in=OPEN, due_at__lt=now, assignment__status=Assignment.Status.ACTIVE
                ),
                "assignment__couple",
            ),
        )
    )
    # Grouped by hand rather than prefetched: prefetching costs a queryset per couple.
    by_couple: dict[int, list[Partner]] = defaultdict(list)
    for partner in partners.filter(couple__in=[c.pk for c in couples]).order_by("pk"):
        by_couple[partner.couple_id].append(partner)
    # Each occurrence both partners answered is one gap: the higher balance minus the lower.
    pairs = (
        Response.objects.filter(
            assignment__couple__in=[c.pk for c in couples],
            status=Response.Status.SUBMITTED,
            preferred_balance__isnull=False,
        )
        .values("assignment__couple_id", "assignment_id", "occurrence")
        .annotate(
            answers=Count("pk"),
            high=Max("preferred_balance"),
            low=Min("preferred_balance"),
            completed=Max("submitted_at"),
        )
        .filter(answers=2)
        .order_by("completed")
        .values_list("assignment__couple_id", "high", "low")
    )
    gaps: dict[int, list[int]] = defaultdict(list)
    for couple_id, high, low in pairs:
        gaps[couple_id].append(high - low)
    rows = [_row(couple, by_couple[couple.pk], gaps[couple.pk]) for couple in couples]
    if attention_only:
        rows = [row for row in rows if row.needs_attention]
    return sorted(rows, key=SORTS.get(sort, SORTS["couple"]))


def _row(couple: Couple, partners: list[Partner], gaps: list[int]) -> CaseloadRow:
    summaries = [
        PartnerSummary(
            p, done=p.done, assigned=p.assigned, balance=p.latest_balance, lean=p.latest_lean or ""
        )
        for p in partners
    ]
    return CaseloadRow(
        couple=couple,
        next_session=couple.next_session,
        overdue=couple.overdue,
        open_alerts=couple.open_alerts,
        partners=summaries,
        gap=gaps[-1] if gaps else None,
        gap_change=gaps[-1] - gaps[-2] if len(gaps) > 1 else None,
    )


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
            status__in=OPEN,
        )
        .count()
    )
    alerts = list(
        access.alerts_for(user).filter(acknowledged_at__isnull=True).select_related("couple")[:20]
    )
    return Attention(failed, overdue, alerts)


@dataclass
class SubscaleChart:
    key: str
    label: str
    maximum: int
    series: list  # [(partner, [(submitted_at, score), ...])]


@dataclass
class CoupleDetail:
    couple: Couple
    partners: list[Partner]
    responses: list[Response]
    charts_for: str
    subscale_charts: list[SubscaleChart]
    gaps: list[GapPoint]
    reminders_sent: dict[int, int]
    reminders_failed: dict[int, int]
    notes: list
    alerts: list

    @property
    def deliveries(self) -> list[tuple[Partner, int, int]]:
        return [
            (p, self.reminders_sent.get(p.pk, 0), self.reminders_failed.get(p.pk, 0))
            for p in self.partners
        ]


def couple_detail(couple: Couple, *, now: dt.datetime) -> CoupleDetail:
    """Everything on a couple's page, in a fixed number of queries whatever its history."""
    partners = [p for p in couple.partners.all() if p.removed_at is None]
    responses = list(
        Response.objects.filter(assignment__couple=couple)
        .select_related("assignment__template", "partner")
        .order_by("-due_at", "partner_id")
    )
    submitted = sorted((r for r in responses if r.is_submitted), key=lambda r: r.submitted_at)
    # Chart the worksheet answered most often: usually the weekly check-in.
    counts: dict[str, int] = defaultdict(int)
    for response in submitted:
        if response.scores.get("subscales"):
            counts[response.assignment.template.slug] += 1
    charts_for = max(counts, key=counts.get) if counts else ""
    charts = _subscale_charts(
        [r for r in submitted if r.assignment.template.slug == charts_for], partners
    )
    reminders = (
        Reminder.objects.filter(response__assignment__couple=couple)
        .values("response__partner_id", "status")
        .annotate(n=Count("pk"))
    )
    sent, failed = defaultdict(int), defaultdict(int)
    for row in reminders:
        if row["status"] == Reminder.Status.SENT:
            sent[row["response__partner_id"]] += row["n"]
        if row["status"] == Reminder.Status.FAILED:
            failed[row["response__partner_id"]] += row["n"]
    return CoupleDetail(
        couple=couple,
        partners=partners,
        responses=responses,
        charts_for=next(
            (
                r.assignment.template.title
                for r in submitted
                if r.assignment.template.slug == charts_for
            ),
            "",
        ),
        subscale_charts=charts,
        gaps=gap_series(responses),
        reminders_sent=dict(sent),
        reminders_failed=dict(failed),
        notes=list(couple.notes.select_related("counselor__user")[:20]),
        alerts=list(couple.alerts.filter(acknowledged_at__isnull=True)),
    )


def _subscale_charts(responses: list[Response], partners: list[Partner]) -> list[SubscaleChart]:
    charts: dict[str, SubscaleChart] = {}
    for response in responses:
        for subscale in response.scores.get("subscales", []):
            chart = charts.setdefault(
                subscale["key"],
                SubscaleChart(
                    subscale["key"],
                    subscale["label"],
                    subscale["maximum"],
                    [(partner, []) for partner in partners],
                ),
            )
            if subscale["score"] is None:
                continue
            for partner, points in chart.series:
                if partner.pk == response.partner_id:
                    points.append((response.submitted_at, subscale["score"]))
    return list(charts.values())


@dataclass(frozen=True)
class PracticeTotals:
    active_couples: int
    completion_by_worksheet: list[tuple[str, int, int]]  # title, handed in, due so far
    reminders_sent: int
    reminders_failed: int
    counselors: list[tuple[str, str, int]]  # name, role, active couples

    @property
    def delivery_rate(self) -> int | None:
        attempted = self.reminders_sent + self.reminders_failed
        return round(100 * self.reminders_sent / attempted) if attempted else None


def practice_totals(practice, *, now: dt.datetime) -> PracticeTotals:
    """The practice at a glance, for its admins: four queries whatever its size."""
    couples = Couple.objects.filter(practice=practice)
    completion = (
        Response.objects.filter(assignment__couple__practice=practice, due_at__lte=now)
        .values("assignment__template__title")
        .annotate(done=Count("pk", filter=Q(status=Response.Status.SUBMITTED)), due=Count("pk"))
        .order_by("assignment__template__title")
    )
    deliveries = Reminder.objects.filter(response__assignment__couple__practice=practice).aggregate(
        sent=Count("pk", filter=Q(status=Reminder.Status.SENT)),
        failed=Count("pk", filter=Q(status=Reminder.Status.FAILED)),
    )
    counselors = (
        practice.counselors.select_related("user")
        .annotate(active=Count("couples", filter=Q(couples__status=Couple.Status.ACTIVE)))
        .order_by("user__last_name")
    )
    return PracticeTotals(
        active_couples=couples.filter(status=Couple.Status.ACTIVE).count(),
        completion_by_worksheet=[
            (row["assignment__template__title"], row["done"], row["due"]) for row in completion
        ],
        reminders_sent=deliveries["sent"],
        reminders_failed=deliveries["failed"],
        counselors=[(c.display_name, c.get_role_display(), c.active) for c in counselors],
    )
