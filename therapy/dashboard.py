"""Read functions behind the counselor's dashboard. Query counts do not grow with rows."""

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import (
    Count,
    Func,
    IntegerField,
    OuterRef,
    Q,
    Subquery,
)
from django.db.models.expressions import Star
from django.utils import timezone

from clients.models import Couple, Partner
from therapy import access
from therapy.alerts import current_patterns
from therapy.models import Alert, CounselingSession
from worksheets.answers import answer_text
from worksheets.interdependence import position_label
from worksheets.models import Assignment, Reminder, Response

# "This period": the worksheets due in the last two weeks or still to come.
PERIOD = dt.timedelta(days=14)
SORTS = {
    "couple": lambda row: row.label.lower(),
    "next_session": lambda row: (row.next_session is None, row.next_session),
    "overdue": lambda row: -row.overdue,
    "gap": lambda row: (row.gap is None, -(row.gap or 0)),
    "alerts": lambda row: -row.open_alerts,
}


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


# The caseload is plain data, not model instances: it is read for every couple on each visit
# to the home page, and building hundreds of models would cost more than the queries.
@dataclass
class PartnerSummary:
    partner_id: int
    name: str
    done: int = 0
    assigned: int = 0
    balance: int | None = None
    # The key of the latest position on the interdependence map, where worked out.
    position: str = ""

    @property
    def position_label(self) -> str:
        return position_label(self.position)


@dataclass
class CaseloadRow:
    couple_id: int
    label: str
    status: str
    next_session: dt.datetime | None
    overdue: int
    open_alerts: int
    partners: list[PartnerSummary] = field(default_factory=list)
    gap: int | None = None
    gap_change: int | None = None

    @property
    def status_label(self) -> str:
        return Couple.Status(self.status).label

    @property
    def needs_attention(self) -> bool:
        return bool(self.overdue or self.open_alerts)


@dataclass(frozen=True)
class GapPoint:
    at: dt.datetime
    gap: int
    worksheet: str


def gap_series(responses: list[Response]) -> list[GapPoint]:
    """The partners' gap in preferred balance, each time both answered the same occurrence,
    dated by the submission that completed the pair."""
    completed = sorted(
        (r for r in responses if r.balance_gap is not None), key=lambda r: (r.submitted_at, r.pk)
    )
    return [GapPoint(r.submitted_at, r.balance_gap, r.assignment.template.title) for r in completed]


def _count(queryset, owner_field: str):
    """A count per outer row as a subquery, so several counts do not multiply each other.
    An ungrouped count(*) answers 0 rather than nothing, and reads only the index."""
    per_owner = (
        queryset.filter(**{owner_field: OuterRef("pk")})
        .order_by()
        .values(n=Func(Star(), function="COUNT", output_field=IntegerField()))
    )
    return Subquery(per_owner)


def _latest(field: str, *, empty):
    """A partner's most recent submitted value of `field`, skipping answers without one."""
    latest = (
        Response.objects.filter(partner=OuterRef("pk"), status=Response.Status.SUBMITTED)
        .exclude(**{field: empty})
        .order_by("-submitted_at")
        .values(field)[:1]
    )
    return Subquery(latest)


def _gap(back: int):
    """The couple's gap in preferred balance, `back` pairs before the latest."""
    gaps = (
        Response.objects.filter(assignment__couple=OuterRef("pk"), balance_gap__isnull=False)
        .order_by("-submitted_at", "-pk")
        .values("balance_gap")[back : back + 1]
    )
    return Subquery(gaps)


def caseload(
    user, *, now: dt.datetime, sort: str = "couple", attention_only: bool = False
) -> list[CaseloadRow]:
    """One row per active or paused couple the user may see.

    Two queries whatever the caseload (three if the user's counselor is not loaded yet):
    couples with their figures, and partners with theirs. Every figure is a subquery served
    by an index, over the columns kept beside the stored scores, so no query reads a
    couple's whole history.
    """
    listed = access.couples_for(user).exclude(status=Couple.Status.CLOSED)
    couples = (
        listed.annotate(
            next_session=Subquery(
                CounselingSession.objects.filter(couple=OuterRef("pk"), starts_at__gt=now)
                .order_by("starts_at")
                .values("starts_at")[:1]
            ),
            open_alerts=_count(Alert.objects.filter(acknowledged_at__isnull=True), "couple"),
            overdue=_count(Response.objects.overdue(now), "assignment__couple"),
            gap=_gap(0),
            previous_gap=_gap(1),
        )
        .order_by()
        .values_list(
            "pk", "label", "status", "next_session", "overdue", "open_alerts", "gap", "previous_gap"
        )
    )
    this_period = Response.objects.filter(due_at__gte=now - PERIOD)
    partners = (
        Partner.objects.filter(removed_at__isnull=True, couple__in=listed.values("pk"))
        .annotate(
            done=_count(this_period.filter(status=Response.Status.SUBMITTED), "partner"),
            assigned=_count(this_period, "partner"),
            balance=_latest("preferred_balance", empty=None),
            position=_latest("map_position", empty=""),
        )
        .order_by("pk")
        .values_list("couple_id", "pk", "display_name", "done", "assigned", "balance", "position")
    )
    by_couple: dict[int, list[PartnerSummary]] = defaultdict(list)
    for couple_id, pk, name, done, assigned, balance, position in partners:
        by_couple[couple_id].append(
            PartnerSummary(pk, name, done, assigned, balance, position or "")
        )
    rows = [
        CaseloadRow(
            couple_id=pk,
            label=label,
            status=status,
            next_session=next_session,
            overdue=overdue,
            open_alerts=open_alerts,
            partners=by_couple[pk],
            gap=gap,
            gap_change=gap - previous_gap if previous_gap is not None else None,
        )
        for pk, label, status, next_session, overdue, open_alerts, gap, previous_gap in couples
    ]
    if attention_only:
        rows = [row for row in rows if row.needs_attention]
    return sorted(rows, key=SORTS.get(sort, SORTS["couple"]))


LATEST_ALERTS = 5


@dataclass(frozen=True)
class Attention:
    failed_reminders: int
    overdue_responses: int
    open_alerts: int
    latest_alerts: list
    # Every open safety alert, newest first: each asks to see one partner alone.
    urgent_alerts: list


def needs_attention(user, *, now: dt.datetime) -> Attention:
    """What the counselor should look at first: five queries, whatever the caseload.

    Urgent alerts are all listed, not only the latest few: none may drop out of sight."""
    failed = access.reminders_for(user).filter(status=Reminder.Status.FAILED).count()
    overdue = access.responses_for(user).overdue(now).count()
    open_alerts = access.alerts_for(user).filter(acknowledged_at__isnull=True)
    latest = list(open_alerts.select_related("couple")[:LATEST_ALERTS])
    urgent = list(
        open_alerts.filter(kind=Alert.Kind.SAFETY)
        .select_related("couple", "response__partner")
        .order_by("-created_at", "-pk")
    )
    return Attention(failed, overdue, open_alerts.count(), latest, urgent)


@dataclass
class SubscaleChart:
    key: str
    label: str
    maximum: int
    series: list  # [(partner, [(submitted_at, score), ...])]


@dataclass(frozen=True)
class SafetyAlert:
    """A safety alert with what raised it: the questions that signalled and the partner's
    answers to them. The counselor reads them; the other partner never does."""

    alert: Alert
    partner: Partner | None
    worksheet: str
    signals: list[tuple[str, str]]  # (question, the answer in words)


@dataclass(frozen=True)
class CompletionRow:
    """One week of one worksheet: each partner's responses due that week (usually one)."""

    week_of: dt.date  # the Monday of the week, in the current (the practice's) time zone
    due_at: dt.datetime
    cells: list[list[Response]]  # one list per partner column


@dataclass(frozen=True)
class CompletionGroup:
    worksheet: str
    rows: list[CompletionRow]  # the latest week first

    @property
    def handed_in(self) -> int:
        return sum(r.is_submitted for row in self.rows for cell in row.cells for r in cell)

    @property
    def asked(self) -> int:
        return sum(len(cell) for row in self.rows for cell in row.cells)


def completion_columns(responses: list[Response], partners: list[Partner]) -> list[Partner]:
    """The current partners, then any partner since removed who still has responses."""
    columns = list(partners)
    known = {partner.pk for partner in columns}
    for response in sorted(responses, key=lambda r: r.partner_id):
        if response.partner_id not in known:
            known.add(response.partner_id)
            columns.append(response.partner)
    return columns


def completion_groups(responses: list[Response], columns: list[Partner]) -> list[CompletionGroup]:
    """The completion table, grouped by worksheet (the one due latest first) and by week:
    from the responses already loaded, so no query whatever the history."""
    position = {partner.pk: n for n, partner in enumerate(columns)}
    weeks: dict[str, dict[dt.date, CompletionRow]] = {}
    for response in sorted(responses, key=lambda r: (r.due_at, r.pk), reverse=True):
        day = timezone.localtime(response.due_at).date()
        week_of = day - dt.timedelta(days=day.weekday())
        rows = weeks.setdefault(response.assignment.template.title, {})
        row = rows.get(week_of)
        if row is None:
            row = rows[week_of] = CompletionRow(
                week_of, response.due_at, [[] for _ in columns]
            )
        row.cells[position[response.partner_id]].append(response)
    return [CompletionGroup(title, list(rows.values())) for title, rows in weeks.items()]


@dataclass
class CoupleDetail:
    couple: Couple
    partners: list[Partner]
    responses: list[Response]
    charts_for: str
    subscale_charts: list[SubscaleChart]
    # Each partner's path on the interdependence map: [(partner, [(submitted_at, map), ...])]
    map_paths: list
    # The couple patterns that hold now (therapy.patterns), with their evidence.
    patterns: list
    gaps: list[GapPoint]
    reminders_sent: dict[int, int]
    reminders_failed: dict[int, int]
    notes: list
    alerts: list  # every open alert, urgent ones included
    urgent_alerts: list[SafetyAlert]  # open, newest first
    safety_follow_ups: list[SafetyAlert]  # acknowledged, the latest acknowledged first
    # What partners told the counselor privately, each with the answer in words.
    private_answers: list[tuple[access.CounselorOnlyAnswer, str]]
    joint_work_paused: bool

    @property
    def deliveries(self) -> list[tuple[Partner, int, int]]:
        return [
            (p, self.reminders_sent.get(p.pk, 0), self.reminders_failed.get(p.pk, 0))
            for p in self.partners
        ]

    @property
    def completion_columns(self) -> list[Partner]:
        return completion_columns(self.responses, self.partners)

    @property
    def completion(self) -> list[CompletionGroup]:
        return completion_groups(self.responses, self.completion_columns)

    @property
    def pattern_rows(self) -> list[tuple]:
        """Each pattern that holds now, with its open alert (None once acknowledged): the
        pattern is told once, with today's evidence, and acknowledged where it is told."""
        open_for = {a.subject: a for a in self.alerts if a.kind == Alert.Kind.PATTERN}
        return [(pattern, open_for.get(pattern.subject)) for pattern in self.patterns]

    @property
    def has_open_pattern_alerts(self) -> bool:
        return any(alert for _, alert in self.pattern_rows)

    @property
    def other_alerts(self) -> list[Alert]:
        """The open alerts neither urgent nor told under the patterns that hold now."""
        holding = {pattern.subject for pattern in self.patterns}
        return [
            alert
            for alert in self.alerts
            if not alert.is_urgent
            and not (alert.kind == Alert.Kind.PATTERN and alert.subject in holding)
        ]


def _safety_alert(alert: Alert, responses: dict[int, Response]) -> SafetyAlert:
    response = responses.get(alert.response_id)
    if response is None:
        return SafetyAlert(alert, None, "", [])
    items = {item.key: item for item in response.assignment.template.items.all()}
    signals = [
        (items[key].prompt, answer_text(items[key], response.answers.get(key)))
        for key in alert.signal_keys
        if key in items
    ]
    return SafetyAlert(alert, response.partner, response.assignment.template.title, signals)


def couple_detail(couple: Couple, *, now: dt.datetime) -> CoupleDetail:
    """Everything on a couple's page, in a fixed number of queries whatever its history:
    partners, responses, their worksheets' items, reminder counts, notes, alerts, and
    whether joint work is paused."""
    partners = list(couple.partners.current())
    responses = list(
        Response.objects.filter(assignment__couple=couple)
        .select_related("assignment__template", "partner")
        .prefetch_related("assignment__template__items")
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
        Reminder.objects.filter(partner__couple=couple)
        .exclude(kind__in=[Reminder.Kind.SAFETY_NOTICE, Reminder.Kind.ALERT_EMAIL])
        .values("partner_id", "status")
        .annotate(n=Count("pk"))
    )
    sent, failed = defaultdict(int), defaultdict(int)
    for row in reminders:
        if row["status"] in (Reminder.Status.SENT, Reminder.Status.DELIVERED):
            sent[row["partner_id"]] += row["n"]
        if row["status"] in (Reminder.Status.FAILED, Reminder.Status.UNDELIVERED):
            failed[row["partner_id"]] += row["n"]
    # Open alerts, and every safety alert ever raised: acknowledged ones are the record of
    # what was done about each.
    alerts = list(
        couple.alerts.filter(Q(acknowledged_at__isnull=True) | Q(kind=Alert.Kind.SAFETY))
        .select_related("acknowledged_by__user")
        .order_by("-created_at", "-pk")
    )
    by_pk = {response.pk: response for response in responses}
    followed_up = sorted(
        (a for a in alerts if a.is_urgent and not a.is_open),
        key=lambda a: a.acknowledged_at,
        reverse=True,
    )
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
        map_paths=[
            (partner, [(r.submitted_at, r.scores["map"]) for r in submitted
                       if r.partner_id == partner.pk and r.scores.get("map")])
            for partner in partners
        ],
        patterns=current_patterns(couple, partners=partners),
        gaps=gap_series(responses),
        reminders_sent=dict(sent),
        reminders_failed=dict(failed),
        notes=list(couple.notes.select_related("counselor__user")[:20]),
        alerts=[alert for alert in alerts if alert.is_open],
        urgent_alerts=[_safety_alert(a, by_pk) for a in alerts if a.is_urgent and a.is_open],
        safety_follow_ups=[_safety_alert(alert, by_pk) for alert in followed_up],
        private_answers=[
            (answer, answer_text(answer.item, answer.answer))
            for answer in access.counselor_only_answers(responses)
        ],
        joint_work_paused=access.joint_work_paused(couple),
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
    deliveries = Reminder.objects.filter(partner__couple__practice=practice).aggregate(
        sent=Count("pk", filter=Q(status__in=[Reminder.Status.SENT, Reminder.Status.DELIVERED])),
        failed=Count(
            "pk", filter=Q(status__in=[Reminder.Status.FAILED, Reminder.Status.UNDELIVERED])
        ),
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
