"""The brief puts an urgent alert above everything, lists what partners told the counselor
alone, and holds back joint prompts while joint work is paused."""

import datetime as dt
import io

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.conftest import login
from tests.therapy.conftest import week_of_answers
from therapy.alerts import acknowledge
from therapy.models import Alert
from worksheets.assignments import assign_to_partners, assign_worksheet
from worksheets.responses import save_draft, submit_response

NOTE_FOR_COUNSELOR = "I did not want to say this in front of Alex: I am thinking of leaving."
TIME_MAP_PROMPT = "what is the one change that matters most to you?"
PAUSED = "Joint work is paused"


@pytest.fixture
def told_privately(history, library, maya, partner_a, partner_b):
    """Sam hands in a check-in with a note for the counselor; Alex saves a safety check
    (not handed in) saying she has sometimes felt scared, which raises an urgent alert. A
    concern alert comes after it, so urgent-first is not just newest-first."""
    now = timezone.now()
    checkin = assign_worksheet(
        couple=history,
        template=library.get(slug="weekly-checkin"),
        assigned_by=maya,
        due_at=now + dt.timedelta(days=3),
        now=now,
    )
    answers = {
        "confided": 4,
        "own_time": 3,
        "needs_on_hold": 2,
        "went_it_alone": 2,
        "balance_felt_right": 4,
        "note_for_counselor": NOTE_FOR_COUNSELOR,
    }
    submit_response(
        response_id=checkin.responses.get(partner=partner_a).pk,
        partner=partner_a,
        answers=answers,
        now=now,
    )
    [safety] = assign_to_partners(
        couple=history,
        template=library.get(slug="safety-check"),
        partner=partner_b,
        due_at=now + dt.timedelta(days=3),
        assigned_by=maya,
        now=now,
    )
    save_draft(
        response_id=safety.responses.get().pk,
        partner=partner_b,
        answers={"felt_scared": "sometimes"},
        now=now,
        item_keys={"felt_scared"},
    )
    Alert.objects.create(
        couple=history,
        kind=Alert.Kind.CONCERN_BAND,
        reason="Sam: a concern score in its top band.",
        created_at=now + dt.timedelta(minutes=1),
    )
    return history


def _brief_page(client, couple) -> str:
    return client.get(reverse("admin:clients_couple_brief", args=[couple.pk])).content.decode()


def _brief_pdf_text(client, couple) -> str:
    from pypdf import PdfReader

    pdf = client.get(reverse("admin:clients_couple_brief", args=[couple.pk]), {"paper": "a4"})
    reader = PdfReader(io.BytesIO(pdf.content))
    # Words as one line: the PDF wraps long sentences wherever the column ends.
    return " ".join(" ".join(page.extract_text() for page in reader.pages).split())


def test_the_brief_page_starts_with_the_urgent_alert(client, maya, told_privately):
    login(client, maya)
    page = _brief_page(client, told_privately)
    urgent = page.index('id="urgent-heading"')
    assert "Speak with Alex alone first" in page
    assert "Alex&#x27;s answers on “How things are at home” may signal fear" in page
    assert urgent < page.index("Speak with Alex alone first") < page.index("Session on")
    assert urgent < page.index("Each partner")
    # The concern alert is newer, yet listed after, among the others.
    assert page.index("Speak with Alex") < page.index("Other alerts")
    assert page.index("Other alerts") < page.index("Sam: a concern score in its top band.")
    assert page.count("may signal fear") == 1
    overview = reverse("admin:clients_couple_overview", args=[told_privately.pk])
    assert f'href="{overview}"' in page.split('id="urgent-heading"')[1].split("</section>")[0]


def test_the_brief_page_lists_what_partners_told_the_counselor_privately(
    client, maya, told_privately
):
    login(client, maya)
    page = _brief_page(client, told_privately)
    private = page.split('id="private-heading"')[1].split("</section>")[0]
    assert "For you only: never shown to the other partner; do not read out in a joint" in private
    assert NOTE_FOR_COUNSELOR in private
    row = private.split("Have you felt scared of your partner?")[1].split("</tr>")[0]
    assert "Sometimes" in row and "(draft, not yet handed in)" in row
    sams_row = private.split(NOTE_FOR_COUNSELOR)[1].split("</tr>")[0]
    assert "not yet handed in" not in sams_row
    # Neither answer is among the shared ones, meant for talking over together.
    shared = page.split("Shared written answers")[1].split('id="private-heading"')[0]
    assert NOTE_FOR_COUNSELOR not in shared and "Sometimes" not in shared


def test_the_pdf_starts_with_the_urgent_alert_and_ends_with_what_was_told_privately(
    client, maya, told_privately
):
    login(client, maya)
    text = _brief_pdf_text(client, told_privately)
    assert text.index("Session brief: Rivera & Chen") < text.index(
        "Urgent: speak with these partners alone first"
    )
    urgent = text.index("Speak with Alex alone first")
    assert urgent < text.index("Session on") < text.index("Each partner")
    assert urgent < text.index("Other alerts") < text.index("Sam: a concern score")
    private = text[text.index("What partners told you privately") :]
    assert private.startswith(
        "What partners told you privately For you only: never shown to the other partner; "
        "do not read out in a joint session."
    )
    assert NOTE_FOR_COUNSELOR in private
    assert "Have you felt scared of your partner? Sometimes (draft, not yet handed in)" in private
    assert f"{NOTE_FOR_COUNSELOR} (draft" not in private


def test_the_brief_holds_back_joint_prompts_while_an_urgent_alert_is_open(
    client, maya, told_privately
):
    login(client, maya)
    page = _brief_page(client, told_privately)
    assert TIME_MAP_PROMPT not in page
    assert f"{PAUSED}: an urgent alert is open." in page
    assert "individual sessions first" in page
    text = _brief_pdf_text(client, told_privately)
    assert TIME_MAP_PROMPT not in text and PAUSED in text


def test_the_brief_lists_joint_prompts_again_once_the_urgent_alert_is_acknowledged(
    client, maya, told_privately
):
    acknowledge(
        alerts=told_privately.alerts.all(),
        counselor=maya,
        now=timezone.now(),
        note="Spoke with Alex alone; safety plan in place; joint work can go on.",
    )
    login(client, maya)
    page = _brief_page(client, told_privately)
    assert TIME_MAP_PROMPT in page and PAUSED not in page
    assert 'id="urgent-heading"' not in page and "Speak with Alex" not in page
    # What Alex wrote stays in the counselor-only part, whatever happened to the alert.
    assert "Have you felt scared of your partner?" in page
    text = _brief_pdf_text(client, told_privately)
    assert TIME_MAP_PROMPT in text and "Speak with Alex" not in text


def test_the_brief_holds_back_joint_prompts_while_the_counselor_chose_individual_work(
    client, maya, history
):
    login(client, maya)
    assert TIME_MAP_PROMPT in _brief_page(client, history)
    history.individual_work_only = True
    history.save(update_fields=["individual_work_only"])
    page = _brief_page(client, history)
    assert TIME_MAP_PROMPT not in page
    assert f"{PAUSED}: you chose individual work only." in page
    assert 'id="urgent-heading"' not in page


@pytest.mark.parametrize("weeks", [2, 8])
def test_the_brief_runs_a_fixed_number_of_queries(
    client, maya, couple, library, weeks, django_assert_num_queries
):
    """However many worksheets, and however many urgent alerts, they raised."""
    now = timezone.now()
    support = library.get(slug="support-preferences")
    for week in range(weeks):
        week_of_answers(
            couple, library.get(slug="time-map"), maya, now - dt.timedelta(days=week), (5, 4)
        )
        for partner in couple.partners.all():
            [assignment] = assign_to_partners(
                couple=couple,
                template=support,
                partner=partner,
                due_at=now + dt.timedelta(days=3),
                assigned_by=maya,
                now=now,
            )
            save_draft(
                response_id=assignment.responses.get().pk,
                partner=partner,
                answers={"afraid_to_say_no": 5},
                now=now,
                item_keys={"afraid_to_say_no"},
            )
    assert Alert.objects.filter(kind=Alert.Kind.SAFETY, acknowledged_at__isnull=True).count() == (
        2 * weeks
    )
    login(client, maya)
    url = reverse("admin:clients_couple_brief", args=[couple.pk])
    # Session, user, counselor and practice (time zone); the couple (scoping); the couple's
    # sessions with their counselors; partners; responses, their assignments, templates and
    # the templates' items; the answers since the last session; open alerts with their
    # responses' partners (the patterns and whether joint work is paused are read from
    # these); the access-log row; and the sidebar's permission checks (the user's and their
    # groups').
    with django_assert_num_queries(14):
        page = client.get(url)
    assert page.content.decode().count("alone first</h3>") == 2 * weeks
