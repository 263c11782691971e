"""Property: no figure partner B sees gives away one of A's private answers.

For any sharing settings (the counselor's per-item choices, each partner's kept-back answers,
when answers are revealed) and any answers, change one answer of A's that B may not see and
keep everything else fixed: nothing B can fetch changes. That covers the side-by-side rows and
every figure derived from answers (the gap, how well each guessed the other), on every page.

A safety signal is left out of the change on purpose: it pauses joint features, and what B then
sees is the ordinary kept-for-the-session page (tests/clients/test_partner_cannot_tell.py).
"""

import datetime as dt
import re

import time_machine
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase

from tests.conftest import portal_sign_in
from tests.factories import CounselorFactory, couple_with_partners
from worksheets.assignments import assign_worksheet
from worksheets.library import latest_templates, load_library
from worksheets.models import Assignment, WorksheetItem
from worksheets.responses import submit_response

Kind = WorksheetItem.Kind
START = dt.datetime(2026, 11, 2, 15, 0, tzinfo=dt.UTC)
# The worksheets whose results show B something of A: shared answers, a gap, guesses.
SLUGS = ["time-map", "support-preferences", "balance-inventory", "needs-conversation"]


def answer_values(item: WorksheetItem) -> st.SearchStrategy:
    """Any answer the item can be given, short of a safety signal."""
    options = item.options
    kind = options.get("answer_kind", item.kind)
    if kind == Kind.AGREEMENT:
        values = st.integers(1, len(options["anchors"]))
    elif kind == Kind.SCALE:
        values = st.integers(0, 10)
    elif kind == Kind.SINGLE_CHOICE:
        values = st.sampled_from([c["value"] for c in options["choices"]])
    elif kind == Kind.MULTIPLE_CHOICE:
        values = st.lists(
            st.sampled_from([c["value"] for c in options["choices"]]),
            min_size=1,
            max_size=options["max_choices"],
            unique=True,
        )
    elif kind == Kind.TIME_SPLIT:
        share = options["max_total"] // len(options["categories"])
        values = st.fixed_dictionaries(
            {c["key"]: st.integers(0, share) for c in options["categories"]}
        )
    else:
        values = st.text(alphabet="abcdefgh ", min_size=1, max_size=12).map(str.strip).filter(bool)
    return values.filter(lambda value: not item.signals_in(value))


@st.composite
def answers_for(draw, items) -> dict:
    return {
        item.key: draw(answer_values(item))
        for item in items
        if item.required or draw(st.booleans())
    }


@st.composite
def scenarios(draw, templates):
    template = draw(st.sampled_from(templates))
    items = list(template.items.all())
    changeable = [item for item in items if item.visibility != WorksheetItem.Visibility.NEVER]
    overrides = {
        item.key: draw(st.sampled_from(["shared", "private"]))
        for item in changeable
        if draw(st.booleans())
    }
    keys = [item.key for item in items]
    return {
        "template": template,
        "overrides": overrides,
        # Weighted toward the settings under which B sees the most of A.
        "reveal": draw(st.sampled_from([*[Assignment.Reveal.AFTER_BOTH] * 3, "in_session"])),
        "individual_only": draw(st.sampled_from([False, False, False, True])),
        "answers_a": draw(answers_for(items)),
        "answers_b": draw(answers_for(items)),
        "withheld_a": draw(st.sets(st.sampled_from(keys))),
        "withheld_b": draw(st.sets(st.sampled_from(keys))),
    }


def figure_inputs(template, items) -> set[str]:
    """The items derived figures are built from: the balance item and guessed items, and the
    guesses themselves."""
    balance = (template.scoring.get("balance") or {}).get("item")
    guessed = {item.options.get("about") for item in items if item.kind == Kind.PERCEPTION}
    guesses = {item.key for item in items if item.kind == Kind.PERCEPTION}
    return {balance, *guessed, *guesses} - {None}


def private_to_b(assignment: Assignment, items, withheld_a: set) -> list[WorksheetItem]:
    """A's items that B may not see: not shared in this assignment, or kept back by A."""
    return [
        item
        for item in items
        if assignment.visibility_of(item) != WorksheetItem.Visibility.SHARED
        or item.key in withheld_a
    ]


def world(scenario, counselor, answers_a) -> tuple[Client, list[str]]:
    couple = couple_with_partners(counselor=counselor, label="Rivera & Chen")
    couple.individual_work_only = scenario["individual_only"]
    couple.save()
    sam, alex = couple.partners.order_by("pk")
    assignment = assign_worksheet(
        couple=couple,
        template=scenario["template"],
        due_at=START + dt.timedelta(days=3),
        assigned_by=counselor,
        now=START,
        visibility_overrides=scenario["overrides"],
        reveal=scenario["reveal"],
    )
    for partner, answers, withheld in (
        (sam, answers_a, scenario["withheld_a"]),
        (alex, scenario["answers_b"], scenario["withheld_b"]),
    ):
        response = assignment.responses.get(partner=partner)
        response.withheld = sorted(withheld)
        response.save(update_fields=["withheld"])
        submit_response(response_id=response.pk, partner=partner, answers=answers, now=START)
    return assignment, alex


_IDS = [
    (re.compile(r'name="csrfmiddlewaretoken" value="[^"]+"'), "CSRF"),
    (re.compile(r"/\d+/"), "/ID/"),
]


def what_b_fetches(alex) -> list[str]:
    client = portal_sign_in(Client(), alex)
    response = alex.responses.get()
    pages = []
    for url in (
        "/portal/",
        f"/portal/worksheets/{response.pk}/result/",
        f"/portal/worksheets/{response.pk}/review/",
        f"/portal/worksheets/{response.pk}/",
    ):
        page = client.get(url, follow=True).content.decode()
        for pattern, replacement in _IDS:
            page = pattern.sub(replacement, page)
        pages.append(page)
    return pages


class PrivateAnswersStayPrivate(TestCase):
    @classmethod
    def setUpTestData(cls):
        load_library()
        cls.templates = list(latest_templates().filter(slug__in=SLUGS).order_by("slug"))
        cls.counselor = CounselorFactory()

    @settings(
        max_examples=80,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(data=st.data())
    def test_changing_a_private_answer_of_a_changes_nothing_b_can_fetch(self, data):
        scenario = data.draw(scenarios(self.templates))
        with time_machine.travel(START, tick=False):
            assignment, alex = world(scenario, self.counselor, scenario["answers_a"])
            items = list(assignment.template.items.all())
            hidden = private_to_b(assignment, items, scenario["withheld_a"])
            if not hidden:
                return
            inputs = [
                item for item in hidden if item.key in figure_inputs(assignment.template, items)
            ]
            choices = st.sampled_from(hidden)
            if inputs:
                # Half the time, one the gap or a guess accuracy is built from.
                choices = st.one_of(st.sampled_from(inputs), choices)
            item = data.draw(choices, label="A's private item")
            new_value = data.draw(answer_values(item), label="its new answer")
            changed = {**scenario["answers_a"], item.key: new_value}
            before = what_b_fetches(alex)
            _, alex_again = world(scenario, self.counselor, changed)
            after = what_b_fetches(alex_again)
        assert before == after, f"changing A's private {item.key!r} changed what B sees"

    def test_the_property_can_fail(self):
        """The same comparison notices a shared answer of A's changing."""
        template = next(t for t in self.templates if t.slug == "time-map")
        base = {
            "preferred_togetherness": 8,
            "guess_partner_togetherness": 5,
            "time_together_feels": "want_it",
            "new_thing_to_try": "Climbing",
            "partner_time_apart_feels": "glad",
        }
        scenario = {
            "template": template,
            "overrides": {},
            "reveal": Assignment.Reveal.AFTER_BOTH,
            "individual_only": False,
            "answers_b": {**base, "preferred_togetherness": 3},
            "withheld_a": set(),
            "withheld_b": set(),
        }
        with time_machine.travel(START, tick=False):
            _, alex = world(scenario, self.counselor, base)
            before = what_b_fetches(alex)
            _, alex_again = world(scenario, self.counselor, {**base, "preferred_togetherness": 4})
            after = what_b_fetches(alex_again)
        assert before != after
