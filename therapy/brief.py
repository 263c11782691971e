"""The one-page brief a counselor reads before a session with a couple."""

import datetime as dt
from dataclasses import dataclass, field

from clients.models import Couple, Partner
from therapy import access
from therapy.alerts import current_patterns
from therapy.dashboard import gap_series
from therapy.models import Alert, CounselingSession
from worksheets.answers import answer_text
from worksheets.interdependence import map_summary
from worksheets.models import Response, WorksheetItem

READY_BEFORE = dt.timedelta(hours=24)
LOOK_BACK = dt.timedelta(days=14)  # when there was no earlier session
NOTE = (
    "Worksheet results are reflective exercises to talk over in session, "
    "not a diagnosis or a validated measure."
)
# Heads the counselor-only answers, on the page and on paper.
PRIVATE_NOTE = "For you only: never shown to the other partner; do not read out in a joint session."


@dataclass
class PartnerBrief:
    partner: Partner
    done: list[tuple[str, dt.datetime]] = field(default_factory=list)
    still_open: list[tuple[str, dt.datetime]] = field(default_factory=list)
    changes: list[tuple[str, float]] = field(default_factory=list)
    balance: int | None = None
    # Every point on the interdependence map, oldest first: [(submitted_at, map figures)].
    map_points: list = field(default_factory=list)

    @property
    def map_now(self) -> str:
        """Where the latest point puts this partner, in words."""
        return map_summary(self.map_points[-1][1]) if self.map_points else ""


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
    alerts: list[Alert]  # the other open alerts
    patterns: list  # the couple patterns that hold now (therapy.patterns)
    shared_texts: list[tuple[str, str, str]]
    private_answers: list[PrivateAnswer]
    joint_work_paused: bool
    prompts: list[tuple[str, str]]  # empty while joint work is paused
    note: str = NOTE
    private_note: str = PRIVATE_NOTE

    @property
    def map_paths(self) -> list:
        """Both partners' paths on the map, as the chart draws them."""
        return [(summary.partner, summary.map_points) for summary in self.partners]

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


def session_brief(couple: Couple, *, now: dt.datetime) -> Brief:
    """What happened since the last session, for the next one: urgent alerts first, work
    done and still open, score changes, the partners' gap, the other open alerts, shared
    written answers, what partners told the counselor privately, and prompts (none while
    joint work is paused). A fixed number of queries, whatever the couple's history."""
    session = couple.sessions.filter(starts_at__gt=now).select_related("counselor__user").first()
    previous = couple.sessions.filter(starts_at__lte=now).order_by("-starts_at").first()
    since = previous.starts_at if previous else now - LOOK_BACK
    responses = list(
        Response.objects.filter(assignment__couple=couple)
        .select_related("assignment__template", "partner")
        .prefetch_related("assignment__template__items")
        .order_by("due_at")
    )
    recent = [r for r in responses if (r.submitted_at or r.due_at) >= since]
    partners = {p.pk: PartnerBrief(p) for p in couple.partners.all() if p.removed_at is None}
    for response in recent:
        summary = partners.get(response.partner_id)
        if summary is None:
            continue
        title = response.assignment.template.title
        if response.is_submitted:
            summary.done.append((title, response.submitted_at))
            if response.scores.get("preferred_balance") is not None:
                summary.balance = response.scores["preferred_balance"]
        elif response.assignment.is_active:
            summary.still_open.append((title, response.due_at))
    for partner_id, summary in partners.items():
        summary.changes = _score_changes([r for r in recent if r.partner_id == partner_id])
        summary.map_points = [
            (r.submitted_at, r.scores["map"])
            for r in sorted((r for r in responses if r.is_submitted), key=lambda r: r.submitted_at)
            if r.partner_id == partner_id and r.scores.get("map")
        ]
    gaps = gap_series(responses)
    open_alerts = list(
        couple.alerts.filter(acknowledged_at__isnull=True).select_related("response__partner")
    )
    paused = access.joint_work_paused(couple)
    return Brief(
        couple=couple,
        session=session,
        since=since,
        is_ready=session is not None and now >= session.starts_at - READY_BEFORE,
        partners=list(partners.values()),
        gap=gaps[-1].gap if gaps else None,
        gap_change=gaps[-1].gap - gaps[-2].gap if len(gaps) > 1 else None,
        urgent_alerts=[_urgent(alert) for alert in open_alerts if alert.is_urgent],
        alerts=[alert for alert in open_alerts if not alert.is_urgent],
        patterns=current_patterns(couple, partners=[s.partner for s in partners.values()]),
        shared_texts=_shared_texts(recent),
        private_answers=_private_answers(recent),
        joint_work_paused=paused,
        # Clinical rule: while a partner may be unsafe at home, or the counselor chose
        # individual work, the brief suggests nothing to talk over together.
        prompts=[] if paused else _prompts(recent),
    )


def _urgent(alert: Alert) -> UrgentAlert:
    # A safety alert always comes from a response; "the partner concerned" is only a guard.
    partner = alert.response.partner if alert.response else None
    return UrgentAlert(alert, partner.display_name if partner else "the partner concerned")


def _score_changes(responses: list[Response]) -> list[tuple[str, float]]:
    """One partner's score changes since the last session, worksheet by worksheet.

    Each submission stores its change from the partner's one before, so adding them up over
    the window gives the change since the last submission before it.
    """
    totals: dict[tuple[int, str], float] = {}
    labels: dict[tuple[int, str], str] = {}
    submitted = sorted((r for r in responses if r.is_submitted), key=lambda r: r.submitted_at)
    for response in submitted:
        names = {s["key"]: s["label"] for s in response.scores.get("subscales", [])}
        names["preferred_balance"] = "Preferred balance (0–10)"
        for key, delta in response.scores.get("change", {}).items():
            score = (response.assignment.template_id, key)
            totals[score] = totals.get(score, 0) + delta
            labels[score] = names.get(key, key)
    return [(labels[score], round(total, 2)) for score, total in totals.items() if total]


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


def _prompts(responses: list[Response]) -> list[tuple[str, str]]:
    seen, prompts = set(), []
    for response in responses:
        template = response.assignment.template
        if template.pk in seen:
            continue
        seen.add(template.pk)
        prompts += [(template.title, prompt) for prompt in template.discussion_prompts]
    return prompts
