"""The one-page brief a counselor reads before a session with a couple."""

import datetime as dt
from dataclasses import dataclass, field

from clients.models import Couple, Partner
from therapy.dashboard import gap_series
from therapy.models import CounselingSession
from worksheets.models import Response, WorksheetItem
from worksheets.responses import shared_item_keys

READY_BEFORE = dt.timedelta(hours=24)
LOOK_BACK = dt.timedelta(days=14)  # when there was no earlier session
NOTE = (
    "Worksheet results are reflective exercises to talk over in session, "
    "not a diagnosis or a validated measure."
)


@dataclass
class PartnerBrief:
    partner: Partner
    done: list[tuple[str, dt.datetime]] = field(default_factory=list)
    still_open: list[tuple[str, dt.datetime]] = field(default_factory=list)
    changes: list[tuple[str, float]] = field(default_factory=list)
    balance: int | None = None


@dataclass
class Brief:
    couple: Couple
    session: CounselingSession | None
    since: dt.datetime
    is_ready: bool
    partners: list[PartnerBrief]
    gap: int | None
    gap_change: int | None
    alerts: list
    shared_texts: list[tuple[str, str, str]]
    prompts: list[tuple[str, str]]
    note: str = NOTE


def session_brief(couple: Couple, *, now: dt.datetime) -> Brief:
    """What happened since the last session, for the next one: work done and still open,
    score changes, the partners' gap, open alerts, shared written answers, and prompts."""
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
    gaps = gap_series(responses)
    return Brief(
        couple=couple,
        session=session,
        since=since,
        is_ready=session is not None and now >= session.starts_at - READY_BEFORE,
        partners=list(partners.values()),
        gap=gaps[-1].gap if gaps else None,
        gap_change=gaps[-1].gap - gaps[-2].gap if len(gaps) > 1 else None,
        alerts=list(couple.alerts.filter(acknowledged_at__isnull=True)),
        shared_texts=_shared_texts(recent),
        prompts=_prompts(recent),
    )


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
    """Written answers the partner chose to share: what is worth talking about together."""
    texts = []
    for response in responses:
        if not response.is_submitted:
            continue
        items = list(response.assignment.template.items.all())
        shared = shared_item_keys(response.assignment, items) - set(response.withheld)
        for item in items:
            answer = response.answers.get(item.key)
            if item.kind == WorksheetItem.Kind.TEXT and item.key in shared and answer:
                texts.append((response.partner.display_name, item.prompt, answer))
    return texts


def _prompts(responses: list[Response]) -> list[tuple[str, str]]:
    seen, prompts = set(), []
    for response in responses:
        template = response.assignment.template
        if template.pk in seen:
            continue
        seen.add(template.pk)
        prompts += [(template.title, prompt) for prompt in template.discussion_prompts]
    return prompts
