"""The API's library of worksheets and a couple's responses: what each caller may read, the
stored scores, and never an answer the partner kept from the other partner."""

import datetime as dt
import html
import re

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase

from clients.forms import AssignWorksheetForm
from tests.clients.test_private_answers_property import answer_values
from tests.conftest import login
from tests.factories import CounselorFactory, couple_with_partners
from therapy.api_keys import create_api_key, revoke_api_keys
from therapy.models import AccessLog, ApiKey
from worksheets.assignments import assign_worksheet
from worksheets.library import (
    LIBRARY_DIR,
    latest_templates,
    load_library,
    load_template,
    parse_template_file,
)
from worksheets.models import Assignment, Response, WorksheetItem
from worksheets.responses import submit_response

LIBRARY = reverse("api-worksheets")
CHECKIN_ANSWERS = {
    "confided": 4,
    "own_time": 3,
    "needs_on_hold": 2,
    "went_it_alone": 5,
    "balance_felt_right": 4,
    "note_for_counselor": "I feel unheard lately",
}


def responses_url(couple, **query):
    return reverse("api-couple-responses", args=[couple.pk]), query


def response_url(response):
    return reverse("api-response", args=[response.pk])


def refused(response) -> dict[str, list[str]]:
    """What a 400 problem refuses: each query parameter or body field ("" for the request as a
    whole, "sharing/confided" for one of a field's entries), with its messages."""
    assert response.status_code == 400, response.content
    assert response["Content-Type"] == "application/problem+json"
    found: dict[str, list[str]] = {}
    for error in response.json()["errors"]:
        pointer = error.get("pointer", "").removeprefix("#").removeprefix("/")
        where = error.get("parameter") or pointer
        found.setdefault(where, []).append(error["detail"])
    return found


def bearer(practice, scope=ApiKey.Scope.READ):
    _, raw_key = create_api_key(
        practice=practice, name="Records", scope=scope, created_by=None, now=timezone.now()
    )
    return {"HTTP_AUTHORIZATION": f"Bearer {raw_key}"}


def as_role(role, client, *, maya, daniel, priya, outsider):
    """Sign `client` in as `role`; returns the headers its requests carry."""
    people = {"counselor": maya, "other counselor": daniel, "practice admin": priya}
    if role in people:
        login(client, people[role])
        return {}
    if role == "read key":
        return bearer(maya.practice)
    if role == "read-write key":
        return bearer(maya.practice, ApiKey.Scope.READ_WRITE)
    if role == "other practice key":
        return bearer(outsider.practice, ApiKey.Scope.READ_WRITE)
    if role == "revoked key":
        headers = bearer(maya.practice, ApiKey.Scope.READ_WRITE)
        revoke_api_keys(keys=ApiKey.objects.all(), now=timezone.now())
        return headers
    return {}


ROLES = [
    "counselor",
    "other counselor",
    "practice admin",
    "read key",
    "read-write key",
    "other practice key",
    "revoked key",
    "nobody",
]
# A read of Maya's couple: 404 to whoever does not have it in scope.
COUPLE_READ = {
    "counselor": 200,
    "other counselor": 404,
    "practice admin": 200,
    "read key": 200,
    "read-write key": 200,
    "other practice key": 404,
    "revoked key": 401,
    "nobody": 403,
}
# The library holds no client data: every caller who may use the API reads it.
LIBRARY_READ = {**COUPLE_READ, "other counselor": 200, "other practice key": 200}


@pytest.fixture
def handed_in(couple, checkin, maya):
    """Sam's and Alex's weekly check-ins, both handed in; Sam kept `own_time` back."""
    now = timezone.now()
    assignment = assign_worksheet(
        couple=couple,
        template=checkin,
        assigned_by=maya,
        due_at=now + dt.timedelta(days=3),
        now=now,
    )
    sams, alexs = assignment.responses.order_by("partner_id")
    sams.withheld = ["own_time"]
    sams.save(update_fields=["withheld"])
    for response in (sams, alexs):
        submit_response(
            response_id=response.pk, partner=response.partner, answers=CHECKIN_ANSWERS, now=now
        )
    return Response.objects.get(pk=sams.pk)


# --- The library ----------------------------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
def test_each_caller_reads_the_library_or_is_refused(
    role, client, library, maya, daniel, priya, outsider
):
    headers = as_role(role, client, maya=maya, daniel=daniel, priya=priya, outsider=outsider)
    assert client.get(LIBRARY, **headers).status_code == LIBRARY_READ[role]


def test_the_library_is_what_the_assign_page_offers(client, maya, couple, library):
    login(client, maya)
    body = client.get(LIBRARY).json()
    offered = AssignWorksheetForm(couple=couple).fields["template"].queryset
    assert [(w["slug"], w["version"]) for w in body] == [(t.slug, t.version) for t in offered]
    safety = next(w for w in body if w["slug"] == "safety-check")
    assert safety["safety_check"] is True


def test_the_library_takes_the_same_queries_however_many_versions_it_holds(client, maya, library):
    login(client, maya)
    client.get(LIBRARY)  # the session and its user, loaded once

    def queries_for_the_library():
        with CaptureQueriesContext(connection) as queries:
            assert client.get(LIBRARY).status_code == 200
        return len(queries)

    few = queries_for_the_library()
    for n in range(3):
        for path in sorted(LIBRARY_DIR.glob("*.yaml")):
            parsed = parse_template_file(path)
            load_template({**parsed, "source_hash": f"{n}" * 64})
    # The session, the user and counselor, and the current version of each worksheet.
    assert queries_for_the_library() == few
    assert len(client.get(LIBRARY).json()) == len(list(LIBRARY_DIR.glob("*.yaml")))


def test_a_worksheet_lists_every_version_with_how_often_each_was_assigned_in_scope(
    client, maya, couple, checkin, daniel, daniels_couple
):
    now = timezone.now()
    for counselor, each in ((maya, couple), (daniel, daniels_couple)):
        assign_worksheet(
            couple=each,
            template=checkin,
            assigned_by=counselor,
            due_at=now + dt.timedelta(days=2),
            now=now,
        )
    changed = parse_template_file(LIBRARY_DIR / "weekly-checkin.yaml")
    load_template({**changed, "title": "Weekly check-in", "source_hash": "x" * 64})
    login(client, maya)
    body = client.get(reverse("api-worksheet", args=["weekly-checkin"])).json()
    assert (body["version"], body["title"]) == (2, "Weekly check-in")
    # Daniel's assignment is not on Maya's caseload, so not counted for her.
    assert [(v["version"], v["times_assigned"]) for v in body["versions"]] == [(2, 0), (1, 1)]
    old = client.get(reverse("api-worksheet-version", args=["weekly-checkin", 1])).json()
    assert (old["title"], old["current"]) == (checkin.title, False)


def test_a_version_has_its_parts_questions_scales_and_subscales(client, maya, library):
    login(client, maya)
    body = client.get(reverse("api-worksheet-version", args=["time-map", 1])).json()
    assert [part["title"] for part in body["parts"]] == [
        "Your week now",
        "Your week as you would like it",
        "Together and apart",
        "Room to grow",
    ]
    items = {item["key"]: item for part in body["parts"] for item in part["items"]}
    assert items["preferred_togetherness"]["scale"]["minimum"] == 0
    assert items["preferred_togetherness"]["scale"]["maximum"] == 10
    assert items["guess_partner_togetherness"]["about"] == "preferred_togetherness"
    assert items["week_now"]["categories"] and items["week_now"]["max_total"]
    checkin = client.get(reverse("api-worksheet-version", args=["weekly-checkin", 1])).json()
    confided = checkin["parts"][0]["items"][0]
    assert confided["scale"] == {
        "minimum": 1,
        "maximum": 5,
        "labels": [
            "Strongly disagree",
            "Disagree",
            "Neither agree nor disagree",
            "Agree",
            "Strongly agree",
        ],
    }
    assert checkin["subscales"][0]["key"] == "healthy_dependence"
    assert checkin["subscales"][0]["items"] == ["confided"]


def test_safety_questions_show_only_what_the_dashboard_shows_a_counselor(client, maya, library):
    """A safety question is one never shown to the other partner, whose sharing cannot be
    changed, as on the assign page; which answers raise an alert is not shown."""
    login(client, maya)
    body = client.get(reverse("api-worksheet-version", args=["safety-check", 1])).json()
    template = library.get(slug="safety-check")
    signalled = [item for item in template.items.all() if item.is_safety_signal]
    items = {item["key"]: item for part in body["parts"] for item in part["items"]}
    for item in signalled:
        assert items[item.key]["visibility"] == "never"
        assert items[item.key]["sharing_adjustable"] is False
    assert "signal" not in str(body)


def test_an_unknown_worksheet_or_version_is_not_found(client, maya, library):
    login(client, maya)
    assert client.get(reverse("api-worksheet", args=["no-such"])).status_code == 404
    missing = reverse("api-worksheet-version", args=["time-map", 9])
    assert client.get(missing).status_code == 404


# --- Responses ------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
def test_each_caller_reads_the_couples_responses_or_gets_404(
    role, client, handed_in, couple, maya, daniel, priya, outsider
):
    headers = as_role(role, client, maya=maya, daniel=daniel, priya=priya, outsider=outsider)
    url, _ = responses_url(couple)
    listed = client.get(url, **headers)
    one = client.get(response_url(handed_in), **headers)
    assert (listed.status_code, one.status_code) == (COUPLE_READ[role], COUPLE_READ[role])
    if listed.status_code == 200:
        assert len(listed.json()["results"]) == 2
        assert AccessLog.objects.filter(couple=couple, what="responses (API)").count() == 1
        assert AccessLog.objects.filter(couple=couple, what__startswith="answers of Sam").exists()
    else:
        assert not AccessLog.objects.filter(couple=couple).exists()


def test_the_responses_filter_by_partner_worksheet_and_status(
    client, maya, couple, handed_in, library, partner_b
):
    now = timezone.now()
    assign_worksheet(
        couple=couple,
        template=library.get(slug="time-map"),
        assigned_by=maya,
        due_at=now + dt.timedelta(days=4),
        now=now,
    )
    login(client, maya)
    url, _ = responses_url(couple)

    def listed(**query):
        return [
            (r["partner"]["name"], r["worksheet"]["slug"], r["status"])
            for r in client.get(url, query).json()["results"]
        ]

    assert len(listed()) == 4
    assert listed(partner=partner_b.pk) == [
        ("Alex", "weekly-checkin", "submitted"),
        ("Alex", "time-map", "not_started"),
    ]
    assert listed(worksheet="time-map", status="not_started") == [
        ("Sam", "time-map", "not_started"),
        ("Alex", "time-map", "not_started"),
    ]


def test_a_filter_that_is_not_one_answers_400_naming_it(
    client, maya, couple, handed_in, daniels_couple
):
    login(client, maya)
    url, _ = responses_url(couple)
    stranger = daniels_couple.partners.first()
    answer = client.get(url, {"partner": stranger.pk, "worksheet": "nope", "status": "late"})
    assert refused(answer) == {
        "partner": ["Not a partner of this couple."],
        "worksheet": ["No worksheet has this slug."],
        "status": ['"late" is not a valid choice.'],
    }
    assert refused(client.get(url, {"cursor": "made-up"})) == {
        "cursor": ["Not a cursor from this API."]
    }


def test_the_responses_come_in_cursor_pages(client, maya, couple, checkin, monkeypatch):
    now = timezone.now()
    for days in range(1, 4):
        assign_worksheet(
            couple=couple,
            template=checkin,
            assigned_by=maya,
            due_at=now + dt.timedelta(days=days),
            now=now,
        )
    monkeypatch.setattr("therapy.api_pages.PAGE_SIZE", 4)
    login(client, maya)
    url, _ = responses_url(couple)
    first = client.get(url).json()
    second = client.get(first["next"]).json()
    assert (len(first["results"]), len(second["results"]), second["next"]) == (4, 2, None)
    ids = [r["id"] for r in first["results"] + second["results"]]
    assert ids == list(
        Response.objects.filter(assignment__couple=couple)
        .order_by("due_at", "pk")
        .values_list("pk", flat=True)
    )
    back = client.get(second["previous"]).json()
    assert [r["id"] for r in back["results"]] == ids[:4]


def test_listing_responses_takes_the_same_queries_for_many_rows(client, maya, couple, checkin):
    login(client, maya)
    url, _ = responses_url(couple)

    def queries_for_a_page():
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        return len(queries)

    now = timezone.now()

    def assign(times):
        for n in range(times):
            assign_worksheet(
                couple=couple,
                template=checkin,
                assigned_by=maya,
                due_at=now + dt.timedelta(days=1, hours=n),
                now=now,
            )

    assign(1)
    client.get(url)  # the session and its user, loaded once
    few = queries_for_a_page()
    assign(10)
    # The session, the user and counselor, the couple, the access log row, and the page.
    assert queries_for_a_page() == few


def test_a_response_has_its_stored_scores_never_worked_out_again(client, maya, handed_in):
    stored = handed_in.scores
    stored["subscales"][0]["score"] = 1.5  # as if the scoring had changed since
    Response.objects.filter(pk=handed_in.pk).update(scores=stored)
    login(client, maya)
    body = client.get(response_url(handed_in)).json()
    assert body["status"] == "submitted" and body["submitted_at"]
    scores = body["scores"]
    assert scores["subscales"][0]["score"] == 1.5
    assert "not a diagnosis" in scores["disclaimer"]
    assert "guesses" not in scores and "guessable_answers" not in scores


def test_a_response_shows_the_shared_answers_only(client, maya, handed_in):
    login(client, maya)
    body = client.get(response_url(handed_in)).json()
    # Shared in the worksheet: confided, own_time, balance_felt_right; Sam kept own_time back.
    assert [(a["key"], a["value"], a["text"]) for a in body["answers"]] == [
        ("confided", 4, "4 – Agree"),
        ("balance_felt_right", 4, "4 – Agree"),
    ]
    assert "unheard" not in str(body)


def test_a_response_not_handed_in_shows_no_answers_and_no_scores(
    client, maya, couple, checkin, partner_a
):
    from worksheets.responses import save_draft

    now = timezone.now()
    assignment = assign_worksheet(
        couple=couple,
        template=checkin,
        assigned_by=maya,
        due_at=now + dt.timedelta(days=3),
        now=now,
    )
    draft = assignment.responses.get(partner=partner_a)
    save_draft(response_id=draft.pk, partner=partner_a, answers={"confided": 5}, now=now)
    login(client, maya)
    body = client.get(response_url(draft)).json()
    assert (body["status"], body["answers"], body["scores"]) == ("draft", [], None)


def test_another_couples_response_is_not_found(client, maya, daniels_couple, checkin, daniel):
    now = timezone.now()
    assignment = assign_worksheet(
        couple=daniels_couple,
        template=checkin,
        assigned_by=daniel,
        due_at=now + dt.timedelta(days=3),
        now=now,
    )
    login(client, maya)
    assert client.get(response_url(assignment.responses.first())).status_code == 404
    assert client.get(responses_url(daniels_couple)[0]).status_code == 404
    assert client.get(reverse("api-response", args=[10**9])).status_code == 404


def test_a_new_couple_has_no_responses(client, maya):
    couple = couple_with_partners(counselor=maya, label="New")
    login(client, maya)
    body = client.get(responses_url(couple)[0]).json()
    assert body == {"next": None, "previous": None, "results": []}


# --- The privacy property -------------------------------------------------------------------

START = dt.datetime(2026, 11, 2, 15, 0, tzinfo=dt.UTC)
_ANSWER_ROW = re.compile(r"<tr><td>(.*?)</td><td>(.*?)</td><td>(.*?)</td></tr>", re.S)


def any_answer(item) -> st.SearchStrategy:
    """Any answer the item can be given; a written one is a word found nowhere else, and
    named for its question, so that no two questions have the same written answer."""
    if item.kind == WorksheetItem.Kind.TEXT:
        return st.integers(1000, 9999).map(lambda n: f"zyx{n}-{item.key}")
    return answer_values(item)


@st.composite
def sharing_settings(draw, templates):
    """A worksheet, the counselor's per-question sharing and reveal, each partner's
    kept-back answers, and both partners' answers."""
    template = draw(st.sampled_from(templates))
    items = list(template.items.all())
    keys = [item.key for item in items]

    def answers():
        return {
            item.key: draw(any_answer(item))
            for item in items
            if item.required or draw(st.booleans())
        }

    return {
        "template": template,
        "overrides": {
            item.key: draw(st.sampled_from(["shared", "private"]))
            for item in items
            if item.visibility != WorksheetItem.Visibility.NEVER and draw(st.booleans())
        },
        "reveal": draw(st.sampled_from(list(Assignment.Reveal))),
        "individual_only": draw(st.booleans()),
        "withheld": [draw(st.sets(st.sampled_from(keys))), draw(st.sets(st.sampled_from(keys)))],
        "answers": [answers(), answers()],
    }


def dashboard_rows(page: str) -> dict[str, str]:
    """The dashboard response page's answers: question -> answer in words."""
    table = page.split("<th>Who may see it</th>", 1)[1].split("</table>", 1)[0]
    return {
        html.unescape(question): html.unescape(answer)
        for question, answer, _ in _ANSWER_ROW.findall(table)
    }


class TheApiShowsNoAnswerTheDashboardWouldNotOrAnyPrivateOne(TestCase):
    @classmethod
    def setUpTestData(cls):
        load_library()
        cls.templates = list(latest_templates().order_by("slug"))
        cls.counselor = CounselorFactory()

    def world(self, setting):
        couple = couple_with_partners(counselor=self.counselor, label="Rivera & Chen")
        couple.individual_work_only = setting["individual_only"]
        couple.save()
        assignment = assign_worksheet(
            couple=couple,
            template=setting["template"],
            due_at=START + dt.timedelta(days=3),
            assigned_by=self.counselor,
            now=START,
            visibility_overrides=setting["overrides"],
            reveal=setting["reveal"],
        )
        responses = list(assignment.responses.order_by("partner_id"))
        for response, answers, withheld in zip(
            responses, setting["answers"], setting["withheld"], strict=True
        ):
            response.withheld = sorted(withheld)
            response.save(update_fields=["withheld"])
            submit_response(
                response_id=response.pk, partner=response.partner, answers=answers, now=START
            )
        return assignment, responses

    @settings(
        max_examples=60,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(data=st.data())
    def test_over_every_sharing_setting(self, data):
        setting = data.draw(sharing_settings(self.templates))
        client = Client()
        client.force_login(self.counselor.user)
        with time_machine.travel(START, tick=False):
            assignment, responses = self.world(setting)
            items = list(assignment.template.items.all())
            for response, answers, withheld in zip(
                responses, setting["answers"], setting["withheld"], strict=True
            ):
                body = client.get(response_url(response))
                assert body.status_code == 200
                shown = body.json()["answers"]
                page = client.get(
                    reverse("admin:worksheets_response_change", args=[response.pk])
                ).content.decode()
                on_dashboard = dashboard_rows(page)
                for answer in shown:
                    # The dashboard shows this user the same answer to the same question.
                    assert on_dashboard[answer["prompt"]] == answer["text"]
                shared = {
                    item.key
                    for item in items
                    if assignment.visibility_of(item) == WorksheetItem.Visibility.SHARED
                    and item.key not in withheld
                    and item.key in answers
                }
                # Exactly the answers the partner shared; so never a private one.
                assert {answer["key"] for answer in shown} == shared
                private_texts = [
                    value
                    for key, value in answers.items()
                    if key not in shared and isinstance(value, str) and value.startswith("zyx")
                ]
                assert not any(text in body.content.decode() for text in private_texts)

    def test_the_property_can_fail(self):
        """A shared answer is in the API, and its text is found on the dashboard the same."""
        template = next(t for t in self.templates if t.slug == "time-map")
        setting = {
            "template": template,
            "overrides": {},
            "reveal": Assignment.Reveal.AFTER_BOTH,
            "individual_only": False,
            "withheld": [set(), set()],
            "answers": [{"new_thing_to_try": "zyx1234"}, {}],
        }
        template.items.filter(key="new_thing_to_try").update(visibility="shared")
        with time_machine.travel(START, tick=False):
            _, responses = self.world(setting)
            client = Client()
            client.force_login(self.counselor.user)
            shown = client.get(response_url(responses[0])).json()["answers"]
        assert [(a["key"], a["value"]) for a in shown] == [("new_thing_to_try", "zyx1234")]
