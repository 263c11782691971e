"""The one-page brief a counselor reads before a session with a couple."""

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Case, F, Q, Value, When, prefetch_related_objects

from clients.models import Couple, Partner
from therapy import access
from therapy.alerts import current_patterns
from therapy.dashboard import gap_series
from therapy.models import Alert, CounselingSession
from therapy.session_prompts import MapMove, Prompt, choose_prompts
from worksheets.answers import answer_text
from worksheets.follow_ups import follow_ups_for
from worksheets.interdependence import map_summary
from worksheets.models import Response, WorksheetItem
from worksheets.scoring import compare_partners

READY_BEFORE = dt.timedelta(hours=24)
LOOK_BACK = dt.timedelta(days=14)  # when there was no earlier session
NOTE = (
    "Worksheet results are reflective exercises to talk over in session, "
    "not a diagnosis or a validated measure."
)
# Heads the counselor-only answers, on the page and on paper.
PRIVATE_NOTE = "For you only: never shown to the other partner; do not read out in a joint session."


BALANCE_LABEL = "Preferred balance (0–10)"
# Map axes, as the brief names their moves (worksheets.interdependence).
MAP_AXES = ("connection", "autonomy", "setting_aside", "going_alone")


@dataclass(frozen=True)
class Done:
    worksheet: str
    submitted_at: dt.datetime
    engagement: int | None  # the counselor's own 1–5 rating of the homework, once given


@dataclass(frozen=True)
class ScoreNow:
    """A partner's latest figure for one subscale, and its move since the last session."""

    worksheet: str
    label: str
    score: float
    maximum: int
    # Since their latest figure before the last session; None when there was none.
    change: float | None

    @property
    def direction(self) -> str:
        if self.change is None:
            return "no earlier figure"
        if not self.change:
            return "no change"
        return f"up {self.change:g}" if self.change > 0 else f"down {-self.change:g}"


@dataclass(frozen=True)
class Guesses:
    """How close one partner's picture of the other was (0–100), on the latest worksheet
    both handed in since the last session, and on the pair before it."""

    now: int
    before: int | None


@dataclass
class PartnerBrief:
    partner: Partner
    done: list[Done] = field(default_factory=list)
    missed: list[tuple[str, dt.datetime]] = field(default_factory=list)
    still_open: list[tuple[str, dt.datetime]] = field(default_factory=list)
    scores: list[ScoreNow] = field(default_factory=list)
    balance: int | None = None
    guesses: Guesses | None = None
    # Every point on the interdependence map, oldest first: [(submitted_at, map figures)].
    map_points: list = field(default_factory=list)

    @property
    def map_now(self) -> str:
        """Where the latest point puts this partner, in words."""
        return map_summary(self.map_points[-1][1]) if self.map_points else ""

    @property
    def homework(self) -> list[dict]:
        """Done, missed and still open, worksheet by worksheet."""
        rows: dict[str, dict] = {}

        def row(title):
            return rows.setdefault(
                title, {"worksheet": title, "done": [], "missed": [], "open": []}
            )

        for done in self.done:
            row(done.worksheet)["done"].append(done)
        for title, due in self.missed:
            row(title)["missed"].append(due)
        for title, due in self.still_open:
            row(title)["open"].append(due)
        return list(rows.values())

    @property
    def changes(self) -> list[tuple[str, float]]:
        """The figures that moved since the last session."""
        return [(s.label, s.change) for s in self.scores if s.change]


@dataclass(frozen=True)
class UrgentAlert:
    """An open safety alert, and the partner it is about: the one to see alone first."""

    alert: Alert
    partner_name: str

    @property
    def instruction(self) -> str:
        return f"Speak with {self.partner_name} alone first"


@dataclass(frozen=True)
class PrivateAnswer:
    """Something a partner told the counselor and no one else, in words."""

    partner_name: str
    worksheet: str
    question: str
    answer: str
    handed_in: bool


@dataclass
class Brief:
    couple: Couple
    session: CounselingSession | None
    since: dt.datetime
    is_ready: bool
    partners: list[PartnerBrief]
    gap: int | None
    gap_change: int | None
    urgent_alerts: list[UrgentAlert]
    alerts: list[Alert]  # the other open alerts, but for patterns (listed in `patterns`)
    patterns: list  # the couple patterns that hold now (therapy.patterns)
    shared_texts: list[tuple[str, str, str]]  # (partner's name, question, answer)
    # Each "new thing to try" followed up since the last session (worksheets.follow_ups).
    follow_ups: list
    private_answers: list[PrivateAnswer]
    joint_work_paused: bool
    prompts: list[Prompt]  # empty while joint work is paused
    note: str = NOTE
    private_note: str = PRIVATE_NOTE

    @property
    def map_paths(self) -> list:
        """Both partners' paths on the map, as the chart draws them."""
        return [(summary.partner, summary.map_points) for summary in self.partners]

    @property
    def has_ratings(self) -> bool:
        """Whether the counselor rated any homework shown: the key to "your rating" then."""
        return any(done.engagement for p in self.partners for done in p.done)

    @property
    def shared_by_question(self) -> list[tuple[str, list[tuple[str, str]]]]:
        """The shared written answers, question by question: [(question, [(name, answer)])]."""
        grouped: dict[str, list[tuple[str, str]]] = {}
        for name, question, text in self.shared_texts:
            grouped.setdefault(question, []).append((name, text))
        return list(grouped.items())

    @property
    def recent_map_paths(self) -> list:
        """Each partner's points since the last session, after the latest one before it."""
        paths = []
        for summary in self.partners:
            points = summary.map_points
            first = next((i for i, (at, _) in enumerate(points) if at >= self.since), len(points))
            paths.append((summary.partner, points[max(first - 1, 0) :]))
        return paths

    @property
    def pause_note(self) -> str:
        """Why there are no joint prompts, and what to do instead; blank when not paused."""
        if not self.joint_work_paused:
            return ""
        why = [
            "an urgent alert is open" if self.urgent_alerts else "",
            "you chose individual work only" if self.couple.individual_work_only else "",
        ]
        return (
            f"Joint work is paused: {' and '.join(w for w in why if w)}. "
            "No joint discussion prompts are listed. See each partner on their own in "
            "individual sessions first, and go back to joint work only once you judge it safe."
        )


# What the figures are read from; answers are read for the recent work only.
_FIGURE_FIELDS = (
    "assignment_id",
    "partner_id",
    "occurrence",
    "due_at",
    "status",
    "submitted_at",
    "updated_at",
    "engagement",
    "scores",
    "balance_gap",
)


def session_brief(couple: Couple, *, now: dt.datetime) -> Brief:
    """What happened since the last session, for the next one: urgent alerts first, homework
    done, missed and still open, each partner's figures and how they moved, how close their
    pictures of each other were, the map, the partners' gap, patterns and the other open
    alerts, shared written answers, what partners told the counselor privately, and prompts
    chosen by what changed (none while joint work is paused). A fixed number of queries,
    whatever the couple's history; every figure is the one stored at submission."""
    sessions = list(couple.sessions.select_related("counselor__user"))  # by starts_at
    session = next((s for s in sessions if s.starts_at > now), None)
    previous = [s for s in sessions if s.starts_at <= now][-1:]
    since = previous[0].starts_at if previous else now - LOOK_BACK
    # The whole history's figures, but answers only from the last session on (they are
    # stored encrypted); each assignment, template and partner is loaded once, not per row.
    everyone = {p.pk: p for p in couple.partners.all()}
    assignments = {a.pk: a for a in couple.assignments.select_related("template")}
    templates = {}
    for assignment in assignments.values():
        # One instance per template, so that its questions are loaded once.
        assignment.template = templates.setdefault(assignment.template_id, assignment.template)
    is_recent = Q(submitted_at__gte=since) | Q(submitted_at=None, due_at__gte=since)
    responses = list(
        Response.objects.filter(assignment__couple=couple)
        .only(*_FIGURE_FIELDS)
        .annotate(
            recent_answers=_only_if(is_recent, "answers"),
            recent_withheld=_only_if(is_recent, "withheld"),
        )
        .order_by("due_at")
    )
    for response in responses:
        response.partner = everyone[response.partner_id]
        response.assignment = assignments[response.assignment_id]
    submitted = sorted(
        (r for r in responses if r.is_submitted), key=lambda r: (r.submitted_at, r.pk)
    )
    recent = [r for r in responses if (r.submitted_at or r.due_at) >= since]
    for response in recent:
        response.answers, response.withheld = response.recent_answers, response.recent_withheld
    # Questions are read only for the work since the last session.
    prefetch_related_objects(
        [templates[pk] for pk in {r.assignment.template_id for r in recent}], "items"
    )
    partners = {pk: PartnerBrief(p) for pk, p in everyone.items() if p.removed_at is None}
    for response in recent:
        summary = partners.get(response.partner_id)
        if summary is None:
            continue
        title = response.assignment.template.title
        if response.is_submitted:
            summary.done.append(Done(title, response.submitted_at, response.engagement))
            if response.scores.get("preferred_balance") is not None:
                summary.balance = response.scores["preferred_balance"]
        elif response.assignment.is_active:
            late = response.due_at < now
            (summary.missed if late else summary.still_open).append((title, response.due_at))
    for partner_id, summary in partners.items():
        own = [r for r in submitted if r.partner_id == partner_id]
        summary.scores = _scores_now(own, since)
        summary.map_points = [(r.submitted_at, r.scores["map"]) for r in own if r.scores.get("map")]
    current = list(partners.values())
    if len(current) == 2:
        _add_guesses(current, submitted, since)
    gaps = gap_series(responses)
    gap_change = gaps[-1].gap - gaps[-2].gap if len(gaps) > 1 else None
    open_alerts = list(
        couple.alerts.filter(acknowledged_at__isnull=True).select_related("response__partner")
    )
    patterns = current_patterns(couple, partners=[s.partner for s in current], submitted=submitted)
    paused = access.joint_work_paused(couple, open_alerts=open_alerts)
    return Brief(
        couple=couple,
        session=session,
        since=since,
        is_ready=session is not None and now >= session.starts_at - READY_BEFORE,
        partners=current,
        gap=gaps[-1].gap if gaps else None,
        gap_change=gap_change,
        urgent_alerts=[_urgent(alert) for alert in open_alerts if alert.is_urgent],
        # An open pattern alert is the pattern itself, told under the patterns that hold now.
        alerts=[
            alert
            for alert in open_alerts
            if not alert.is_urgent and alert.kind != Alert.Kind.PATTERN
        ],
        patterns=patterns,
        shared_texts=_shared_texts(recent),
        follow_ups=follow_ups_for(recent),
        private_answers=_private_answers(recent),
        joint_work_paused=paused,
        # Clinical rule: while a partner may be unsafe at home, or the counselor chose
        # individual work, the brief suggests nothing to talk over together.
        prompts=[]
        if paused
        else choose_prompts(
            patterns=patterns,
            moves=_map_moves(current, since),
            gap_change=gap_change,
            worksheet_prompts=_worksheet_prompts(recent),
        ),
    )


def _only_if(condition: Q, field: str) -> Case:
    """A response's `field` where `condition` holds, else NULL: answers are decrypted only
    for the work since the last session, in the same query as the figures."""
    return Case(
        When(condition, then=F(field)),
        default=Value(None),
        output_field=Response._meta.get_field(field),
    )


def _urgent(alert: Alert) -> UrgentAlert:
    # A safety alert always comes from a response; "the partner concerned" is only a guard.
    partner = alert.response.partner if alert.response else None
    return UrgentAlert(alert, partner.display_name if partner else "the partner concerned")


def _scores_now(submitted: list[Response], since: dt.datetime) -> list[ScoreNow]:
    """One partner's latest figures on each worksheet done since the last session, each
    against their latest figure on the same worksheet before it. `submitted` is oldest first."""
    before: dict[tuple[int, str], float] = {}
    latest: dict[tuple[int, str], ScoreNow] = {}
    order: dict[tuple[int, str], tuple[str, int]] = {}
    for response in submitted:
        template = response.assignment.template
        figures = [
            (s["key"], s["label"], s["score"], s["maximum"])
            for s in response.scores.get("subscales", [])
            if s.get("score") is not None
        ]
        if response.scores.get("preferred_balance") is not None:
            figures.append(
                ("preferred_balance", BALANCE_LABEL, response.scores["preferred_balance"], 10)
            )
        for key, label, score, maximum in figures:
            figure = (template.pk, key)
            if response.submitted_at < since:
                before[figure] = score
                continue
            earlier = before.get(figure)
            change = None if earlier is None else round(score - earlier, 2)
            latest[figure] = ScoreNow(template.title, label, score, maximum, change)
            order.setdefault(figure, (template.title, len(order)))
    # Worksheet by worksheet, each in its own order, whichever was handed in first.
    return [latest[figure] for figure in sorted(latest, key=lambda f: order[f])]


def _add_guesses(partners: list[PartnerBrief], submitted: list[Response], since) -> None:
    """How close each partner's guesses of the other's answers were, on each worksheet both
    handed in (oldest first): the latest pair completed since the last session, and the one
    before it."""
    a, b = partners
    pairs: dict[tuple, dict] = {}
    completed = []
    for response in submitted:
        pair = pairs.setdefault((response.assignment_id, response.occurrence), {})
        pair[response.partner_id] = response
        if len(pair) == 2 and a.partner.pk in pair and b.partner.pk in pair:
            completed.append((response.submitted_at, pair))
    # Latest first, and only as far back as the two latest figures of each partner.
    history: dict[int, list[tuple[dt.datetime, int]]] = {a.partner.pk: [], b.partner.pk: []}
    for at, pair in reversed(completed):
        if all(len(values) >= 2 for values in history.values()):
            break
        if not any(response.scores.get("guesses") for response in pair.values()):
            continue
        result = compare_partners(pair[a.partner.pk].scores, pair[b.partner.pk].scores)
        for summary, value in ((a, result.a_guessed_b), (b, result.b_guessed_a)):
            if value is not None:
                history[summary.partner.pk].append((at, value))
    for summary in partners:
        values = history[summary.partner.pk]
        if values and values[0][0] >= since:
            summary.guesses = Guesses(values[0][1], values[1][1] if len(values) > 1 else None)


def _map_moves(partners: list[PartnerBrief], since: dt.datetime) -> list[MapMove]:
    """Each partner's move on each map axis since the last session: their latest point
    against the latest before it (or the first since, when there was none before)."""
    moves = []
    for summary in partners:
        points = summary.map_points
        recent = [figures for at, figures in points if at >= since]
        earlier = [figures for at, figures in points if at < since][-1:] or recent[:1]
        if not recent or not earlier:
            continue
        other = next((p.partner.display_name for p in partners if p is not summary), "")
        for axis in MAP_AXES:
            start, end = earlier[0].get(axis), recent[-1].get(axis)
            if start is not None and end is not None and end != start:
                moves.append(
                    MapMove(summary.partner.display_name, other, axis, round(end - start, 2))
                )
    return moves


def _shared_texts(responses: list[Response]) -> list[tuple[str, str, str]]:
    """Written answers the other partner may see: what is worth talking about together."""
    texts = []
    for response in responses:
        if not response.is_submitted:
            continue
        items = list(response.assignment.template.items.all())
        visible = access.answers_visible_to_partner(response, items)
        for item in items:
            if item.kind == WorksheetItem.Kind.TEXT and item.key in visible:
                texts.append((response.partner.display_name, item.prompt, visible[item.key]))
    return texts


def _private_answers(responses: list[Response]) -> list[PrivateAnswer]:
    return [
        PrivateAnswer(
            partner_name=found.partner.display_name,
            worksheet=found.worksheet,
            question=found.item.prompt,
            answer=answer_text(found.item, found.answer),
            handed_in=found.handed_in,
        )
        for found in access.counselor_only_answers(responses)
    ]


def _worksheet_prompts(responses: list[Response]) -> list[tuple[str, list[str]]]:
    """Each worksheet done since the last session, with its own discussion prompts."""
    found: dict[int, tuple[str, list[str]]] = {}
    for response in responses:
        template = response.assignment.template
        if response.is_submitted and template.pk not in found:
            found[template.pk] = (template.title, list(template.discussion_prompts))
    return list(found.values())
