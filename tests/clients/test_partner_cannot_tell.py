"""The other partner cannot tell that a safety signal was raised.

While an urgent alert is open, joint features pause. What the other partner sees then must be
exactly what they see when the counselor has chosen to go through shared answers in session
(or to work with each partner on their own). So every page partner B can reach, and every
message B is sent, is rendered in several worlds that differ only in what A did or in that
ordinary choice of the counselor, and compared with tokens, ids and links normalised.
"""

import datetime as dt
import re

import pytest
import time_machine
from django.core import mail
from django.test import Client
from django.utils import timezone

from tests.conftest import portal_sign_in
from tests.factories import couple_with_partners
from worksheets.assignments import assign_worksheet
from worksheets.models import Assignment
from worksheets.outbox import claim_due_reminders, send_reminder
from worksheets.responses import save_draft, submit_response

START = dt.datetime(2026, 11, 2, 15, 0, tzinfo=dt.UTC)

SUPPORT_A = {
    "first_need": "listen",
    "helpful_ways": ["listen_no_fix", "touch"],
    "less_helpful_ways": ["advice_not_asked"],
    "afraid_to_say_no": 1,
}
SUPPORT_B = {
    "first_need": "space_first",
    "helpful_ways": ["space_then_talk"],
    "less_helpful_ways": ["many_questions"],
    "afraid_to_say_no": 1,
}
TIME_MAP_A = {
    "preferred_togetherness": 8,
    "guess_partner_togetherness": 5,
    "time_together_feels": "want_it",
    "new_thing_to_try": "Climbing",
    "partner_time_apart_feels": "glad",
}
TIME_MAP_B = {
    "preferred_togetherness": 4,
    "guess_partner_togetherness": 7,
    "time_together_feels": "want_it",
    "new_thing_to_try": "Choir",
    "partner_time_apart_feels": "left_out",
}


def build_world(library, counselor, *, a_signals, a_submits, reveal, individual_only=False):
    """One couple, Sam (A) and Alex (B), with a week of work: the time map is handed in by
    both, then A hands in (or drafts) the support preferences, where a signal would come.
    `individual_only`: the counselor turns on individual work only at that moment. Returns
    the couple."""
    couple = couple_with_partners(counselor=counselor, label="Rivera & Chen")
    sam, alex = couple.partners.order_by("pk")
    due = START + dt.timedelta(days=4)

    def assign(slug, **extra):
        return assign_worksheet(
            couple=couple,
            template=library.get(slug=slug),
            due_at=due,
            assigned_by=counselor,
            now=START,
            reveal=reveal,
            **extra,
        )

    support = assign("support-preferences")
    time_map = assign("time-map")
    assign("weekly-checkin")  # still open for Alex: its pages are reachable too
    safety = assign("safety-check", for_partner=sam)
    sam_support = support.responses.get(partner=sam)
    submit_response(
        response_id=time_map.responses.get(partner=sam).pk,
        partner=sam,
        answers=TIME_MAP_A,
        now=START,
    )
    for response, partner, answers in (
        (support.responses.get(partner=alex), alex, SUPPORT_B),
        (time_map.responses.get(partner=alex), alex, TIME_MAP_B),
    ):
        submit_response(response_id=response.pk, partner=partner, answers=answers, now=START)
    if individual_only:
        couple.individual_work_only = True
        couple.save()
    sam_answers = {**SUPPORT_A, "afraid_to_say_no": 5 if a_signals else 1}
    if a_submits:
        submit_response(response_id=sam_support.pk, partner=sam, answers=sam_answers, now=START)
    else:
        save_draft(
            response_id=sam_support.pk,
            partner=sam,
            answers=sam_answers,
            now=START,
            item_keys=None,
        )
    save_draft(
        response_id=safety.responses.get().pk,
        partner=sam,
        answers={"felt_scared": "often" if a_signals else "never"},
        now=START,
        item_keys={"felt_scared"},
    )
    return couple


def pages_of(partner) -> dict[str, str]:
    """Every page the partner can reach from their portal, by a stable name."""
    client = portal_sign_in(Client(), partner)
    pages = {}

    def fetch(name, url):
        reply = client.get(url, follow=True)
        pages[name] = f"{reply.status_code} {reply.redirect_chain and reply.redirect_chain[-1][0]}"
        pages[name] += "\n" + reply.content.decode()

    fetch("home", "/portal/")
    fetch("preferences", "/portal/preferences/")
    fetch("consent", "/portal/consent/")
    fetch("new-link", "/portal/new-link/")
    for response in partner.responses.select_related("assignment__template").order_by("pk"):
        slug = response.assignment.template.slug
        base = f"/portal/worksheets/{response.pk}/"
        fetch(f"{slug}: result", f"{base}result/")
        fetch(f"{slug}: review", f"{base}review/")
        for step in range(1, 4):
            fetch(f"{slug}: part {step}", f"{base}?step={step}")
    return pages


def messages_to(partner) -> list[str]:
    return sorted(f"{m.subject}\n{m.body}" for m in mail.outbox if partner.email in m.to)


_NORMALISE = [
    (re.compile(r'name="csrfmiddlewaretoken" value="[^"]+"'), 'name="csrfmiddlewaretoken"'),
    (re.compile(r'name="page" value="[^"]+"'), 'name="page"'),
    (re.compile(r"/p/[A-Za-z0-9_\-]+/"), "/p/TOKEN/"),
    (re.compile(r"/unsubscribe/[^/\s]+/"), "/unsubscribe/TOKEN/"),
    (re.compile(r"/\d+/"), "/ID/"),
    (re.compile(r"partner\d+@mail\.example"), "ADDRESS"),
]


def normalised(text: str) -> str:
    for pattern, replacement in _NORMALISE:
        text = pattern.sub(replacement, text)
    return text


def what_b_sees(library, counselor, **world) -> dict[str, str]:
    """B's pages and messages in one world, with time frozen so dates match across worlds."""
    mail.outbox.clear()
    with time_machine.travel(START, tick=False):
        couple = build_world(library, counselor, **world)
        alex = couple.partners.order_by("pk")[1]
        for reminder_id in claim_due_reminders(now=timezone.now(), limit=1000):
            send_reminder(reminder_id=reminder_id, now=timezone.now())
        seen = pages_of(alex)
    seen["messages"] = "\n---\n".join(messages_to(alex))
    return {name: normalised(page) for name, page in seen.items()}


# Each world where A signals, and the ordinary world B cannot tell it from: the same choices
# of the counselor, with individual work only turned on at the moment A signals where the
# signal pauses joint work.
TWINS = {
    "A signals, answers shown once both are in": (
        {"reveal": Assignment.Reveal.AFTER_BOTH, "a_signals": True},
        {"reveal": Assignment.Reveal.AFTER_BOTH, "a_signals": False, "individual_only": True},
    ),
    "A signals, answers kept for the session": (
        {"reveal": Assignment.Reveal.IN_SESSION, "a_signals": True},
        {"reveal": Assignment.Reveal.IN_SESSION, "a_signals": False},
    ),
}
KEPT_FOR_SESSION = {"reveal": Assignment.Reveal.IN_SESSION}


@pytest.mark.parametrize("a_submits", [True, False], ids=["A submits", "A only saves drafts"])
@pytest.mark.parametrize("world", list(TWINS))
def test_every_page_b_can_reach_is_the_same_as_in_a_world_without_the_signal(
    library, maya, world, a_submits
):
    signalled, twin = TWINS[world]
    ordinary = what_b_sees(library, maya, **twin, a_submits=a_submits)
    other = what_b_sees(library, maya, **signalled, a_submits=a_submits)
    assert other.keys() == ordinary.keys()
    for name in ordinary:
        assert other[name] == ordinary[name], f"B's {name} differs"


def test_nothing_b_was_shown_changes_when_a_pause_begins_or_ends(library, maya):
    """B has read the time map side by side. A signal, its acknowledgement, and individual
    work only turned on and off again: after each, every page B can reach reads as before."""
    from therapy.alerts import acknowledge
    from therapy.models import Alert

    with time_machine.travel(START, tick=False):
        couple = build_world(
            library, maya, reveal=Assignment.Reveal.AFTER_BOTH, a_signals=False, a_submits=True
        )
        sam, alex = couple.partners.order_by("pk")

        def b_sees():
            return {name: normalised(page) for name, page in pages_of(alex).items()}

        shown = b_sees()
        assert "You and Sam" in shown["time-map: result"]
        safety = sam.responses.get(assignment__template__slug="safety-check")
        save_draft(
            response_id=safety.pk,
            partner=sam,
            answers={"felt_scared": "often"},
            now=START,
            item_keys={"felt_scared"},
        )
        assert Alert.objects.filter(couple=couple, kind=Alert.Kind.SAFETY).count() == 1
        assert b_sees() == shown
        acknowledge(
            alerts=couple.alerts.all(), counselor=maya, now=START, note="Spoke with Sam alone."
        )
        assert b_sees() == shown
        for individual_only in (True, False):
            couple.individual_work_only = individual_only
            couple.save()
            assert b_sees() == shown


def test_the_comparison_would_notice_a_difference(library, maya):
    """The check above can fail: with answers shown once both are in and no signal, B's
    result page shows the side-by-side, which differs from the kept-for-session page."""
    ordinary = what_b_sees(library, maya, **KEPT_FOR_SESSION, a_signals=False, a_submits=True)
    shown = what_b_sees(
        library, maya, reveal=Assignment.Reveal.AFTER_BOTH, a_signals=False, a_submits=True
    )
    assert shown["support-preferences: result"] != ordinary["support-preferences: result"]
    assert "You and Sam" in shown["support-preferences: result"]
    assert "in session" in ordinary["support-preferences: result"]


def test_b_is_never_shown_support_resources_or_the_safety_check(library, maya):
    seen = what_b_sees(
        library,
        maya,
        reveal=Assignment.Reveal.AFTER_BOTH,
        individual_only=False,
        a_signals=True,
        a_submits=True,
    )
    everything = "\n".join(seen.values())
    assert "Support, any time" not in everything
    assert "How things are at home" not in everything
    assert "emergency" not in everything.lower()
