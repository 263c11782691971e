"""The counselor home, the couple page and the brief: content, scope and query counts."""

import datetime as dt
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.conftest import login
from tests.factories import couple_with_partners
from tests.therapy.conftest import grow_caseload, week_of_answers
from therapy.brief import session_brief
from therapy.models import AccessLog, Alert, CounselingSession
from worksheets.assignments import assign_worksheet


def test_the_home_shows_each_couples_balance_gap_and_trend(client, maya, history, daniels_couple):
    login(client, maya)
    page = client.get("/admin/").content.decode()
    assert "Rivera &amp; Chen" in page
    assert "Sam: prefers 8/10 together" in page and "Alex: prefers 1/10 together" in page
    assert '7 <span class="overdue">(+3)</span>' in page  # the gap widened from 4 to 7
    assert "Nakamura" not in page


def test_the_home_sorts_and_filters(client, maya, history, checkin):
    quiet = couple_with_partners(counselor=maya, label="Abbott & Zhu")
    login(client, maya)

    def table(params):
        return client.get("/admin/", params).content.decode().split('id="caseload"')[1]

    by_gap = table({"sort": "gap"})
    assert by_gap.index("Rivera") < by_gap.index("Abbott")
    by_name = table({})
    assert by_name.index("Abbott") < by_name.index("Rivera")
    attention = table({"show": "attention"})
    assert quiet.label.replace("&", "&amp;") not in attention


def test_the_home_pages_through_a_long_caseload(client, maya, db):
    for n in range(30):
        couple_with_partners(counselor=maya, label=f"Couple {n:02}")
    login(client, maya)
    first = client.get("/admin/").content.decode()
    assert "Couple 24" in first and "Couple 25" not in first
    assert "Page 1 of 2" in first
    assert "Couple 29" in client.get("/admin/", {"page": 2}).content.decode()


def test_the_couple_page_charts_scores_and_the_gap_with_a_text_alternative(client, maya, history):
    login(client, maya)
    page = client.get(reverse("admin:clients_couple_overview", args=[history.pk])).content.decode()
    assert page.count("<svg") >= 1
    assert "Gap between the partners&#x27; preferred balance" in page
    assert "<td>Gap</td>" in page and "<td>7</td>" in page
    assert "Your time map" in page  # the completion timeline


def test_notes_are_saved_and_shown_to_the_counselor(client, maya, history):
    login(client, maya)
    url = reverse("admin:clients_couple_overview", args=[history.pk])
    client.post(url, {"text": "Ask about the salsa plan."})
    assert "Ask about the salsa plan." in client.get(url).content.decode()


def test_the_brief_gathers_the_fortnight_for_the_next_session(client, maya, history):
    login(client, maya)
    page = client.get(reverse("admin:clients_couple_brief", args=[history.pk])).content.decode()
    assert "The brief is ready." in page  # the session is 20 hours away
    assert "<strong>7 of 10</strong> (+3 since the time before)" in page
    assert "Salsa classes together" in page
    assert "not a diagnosis" in page


def test_the_briefs_score_changes_add_up_since_the_last_session(maya, history):
    now = timezone.now()
    CounselingSession.objects.create(
        couple=history, counselor=maya, starts_at=now - dt.timedelta(weeks=5)
    )
    brief = session_brief(history, now=now)
    # Both of the time maps since that session count: Sam went 6, 7, 8 and Alex 4, 3, 1.
    changes = {p.partner.display_name: p.changes for p in brief.partners}
    assert changes == {
        "Sam": [("Preferred balance (0–10)", 2)],
        "Alex": [("Preferred balance (0–10)", -3)],
    }


@pytest.mark.parametrize("paper", ["a4", "letter"])
def test_the_brief_prints_as_a_pdf(client, maya, history, paper):
    import io

    from pypdf import PdfReader

    login(client, maya)
    response = client.get(
        reverse("admin:clients_couple_brief", args=[history.pk]), {"paper": paper}
    )
    assert response["Content-Type"] == "application/pdf"
    reader = PdfReader(io.BytesIO(response.content))
    text = " ".join(page.extract_text() for page in reader.pages)
    assert "Session brief: Rivera & Chen" in text
    assert "Salsa classes together" in text
    assert "not a diagnosis" in text
    width, height = (float(v) for v in reader.pages[0].mediabox.upper_right)
    assert (round(width), round(height)) == ((595, 842) if paper == "a4" else (612, 792))


def test_every_view_of_a_couple_is_in_the_access_log(client, maya, history, priya):
    login(client, maya)
    client.get(reverse("admin:clients_couple_overview", args=[history.pk]))
    client.get(reverse("admin:clients_couple_brief", args=[history.pk]), {"paper": "a4"})
    logged = list(AccessLog.objects.filter(couple=history).values_list("user__username", "what"))
    assert ("maya", "couple overview") in logged and ("maya", "session brief (PDF)") in logged
    # Counselors cannot read the log; the practice admin can, and nobody can change it.
    assert client.get(reverse("admin:therapy_accesslog_changelist")).status_code == 403
    login(client, priya)
    log_page = client.get(reverse("admin:therapy_accesslog_changelist")).content.decode()
    assert "couple overview" in log_page
    entry = AccessLog.objects.first()
    change = client.post(
        reverse("admin:therapy_accesslog_change", args=[entry.pk]), {"what": "nothing"}
    )
    assert change.status_code in (302, 403)
    entry.refresh_from_db()
    assert entry.what != "nothing"
    assert (
        client.post(
            reverse("admin:therapy_accesslog_delete", args=[entry.pk]), {"post": "yes"}
        ).status_code
        == 403
    )


def test_another_counselors_couple_page_and_brief_answer_404(client, maya, daniels_couple):
    login(client, maya)
    for name in ("admin:clients_couple_overview", "admin:clients_couple_brief"):
        assert client.get(reverse(name, args=[daniels_couple.pk])).status_code == 404


@pytest.mark.parametrize("couples", [5, 50])
def test_the_home_runs_a_fixed_number_of_queries(
    client, maya, library, couples, django_assert_num_queries
):
    grow_caseload(maya, library.get(slug="time-map"), couples)
    login(client, maya)
    # Session, user, counselor and practice (time zone); the caseload: couples with their
    # figures, partners with theirs; what needs attention: failed reminders, overdue
    # responses, the latest open alerts and their number, and every open urgent alert with
    # its couple and partner; and the app list's permission checks (the user's own and
    # their groups').
    with django_assert_num_queries(13):
        page = client.get("/admin/")
    assert page.content.decode().count("Page 1 of") == (1 if couples > 25 else 0)


@pytest.mark.parametrize("weeks", [2, 12])
def test_the_couple_page_runs_a_fixed_number_of_queries(
    client, maya, couple, library, weeks, django_assert_num_queries
):
    now = timezone.now()
    for week in range(weeks):
        week_of_answers(
            couple, library.get(slug="time-map"), maya, now - dt.timedelta(weeks=week + 1), (5, 4)
        )
    login(client, maya)
    url = reverse("admin:clients_couple_overview", args=[couple.pk])
    # Session, user, counselor and practice, counselor (scoping), the couple, the access-log
    # row, partners, responses, their worksheets' items (for what partners told the counselor
    # privately and the answers behind urgent alerts), reminder counts, notes, open and safety
    # alerts, whether joint work is paused, the sidebar's checks, the latest submissions the
    # couple patterns are read from, and the change history: one query for each of its six
    # kinds of record.
    with django_assert_num_queries(22):
        page = client.get(url)
    # One row a week, each partner's state linked to their response.
    completion = page.content.decode().split('id="completion-heading"')[1].split("</section>")[0]
    assert completion.count("<caption>Your time map") == 1
    assert completion.count('class="state state-submitted"') == 2 * weeks


def test_a_practice_admin_sees_the_practices_figures(
    client, priya, maya, daniel, history, daniels_couple
):
    login(client, priya)
    page = client.get(reverse("admin:practice")).content.decode()
    assert "2 active couples" in page
    assert "<td>Your time map</td><td>6</td><td>6</td><td>100%</td>" in page
    assert "Reminders delivered:" in page
    assert page.count("<td>Counselor</td>") == 2  # Maya and Daniel, each with one couple


def test_counselors_do_not_see_the_practices_figures(client, maya):
    login(client, maya)
    assert client.get(reverse("admin:practice")).status_code == 404


def test_the_counselor_rates_a_response_and_nothing_else_changes(client, maya, history):
    response = history.assignments.first().responses.first()
    answers = dict(response.answers)
    login(client, maya)
    url = reverse("admin:worksheets_response_change", args=[response.pk])
    client.post(url, {"engagement": "4", "status": "draft"})
    response.refresh_from_db()
    assert (response.engagement, response.status, response.answers) == (4, "submitted", answers)
    assert AccessLog.objects.filter(couple=history, what__startswith="answers of").exists()


def test_the_home_counts_every_open_alert_and_lists_the_latest(client, maya, couple):
    start = timezone.now() - dt.timedelta(days=10)
    for n in range(7):
        Alert.objects.create(
            couple=couple,
            kind=Alert.Kind.CONCERN_BAND,
            reason=f"Seventh-day reason {n}",
            created_at=start + dt.timedelta(days=n),
        )
    login(client, maya)
    page = client.get("/admin/").content.decode()
    assert "7 open alerts</a>, the latest 5:" in page
    listed = [n for n in range(7) if f"Seventh-day reason {n}" in page]
    assert listed == [2, 3, 4, 5, 6]


def test_the_overdue_link_lists_only_overdue_work(client, maya, couple, checkin):
    now = timezone.now()
    assigned = now - dt.timedelta(days=7)
    for due in (now - dt.timedelta(days=1), now + dt.timedelta(days=5)):
        assign_worksheet(
            couple=couple, template=checkin, assigned_by=maya, due_at=due, now=assigned
        )
    login(client, maya)
    home = client.get("/admin/").content.decode()
    assert "2 overdue worksheets" in home
    listing = client.get(reverse("admin:worksheets_response_changelist"), {"overdue": "yes"})
    assert "2 responses" in listing.content.decode()


def test_the_counselor_acknowledges_an_alert_on_the_couple_page(
    client, maya, couple, daniels_couple
):
    now = timezone.now()
    mine = Alert.objects.create(couple=couple, kind="concern_band", reason="Mine", created_at=now)
    theirs = Alert.objects.create(
        couple=daniels_couple, kind="concern_band", reason="Theirs", created_at=now
    )
    login(client, maya)
    url = reverse("admin:clients_couple_overview", args=[couple.pk])
    assert 'name="acknowledge"' in client.get(url).content.decode()
    page = client.post(url, {"acknowledge": mine.pk}, follow=True)
    assert "Alert acknowledged." in page.content.decode()
    mine.refresh_from_db()
    assert mine.acknowledged_by == maya and mine.acknowledged_at is not None
    # Another couple's alert cannot be reached from this page, nor its own page.
    client.post(url, {"acknowledge": theirs.pk})
    client.post(url, {"acknowledge": "not-a-number"})
    theirs_url = reverse("admin:clients_couple_overview", args=[daniels_couple.pk])
    assert client.post(theirs_url, {"acknowledge": theirs.pk}).status_code == 404
    theirs.refresh_from_db()
    assert theirs.acknowledged_at is None


def test_the_home_offers_add_couple_and_lists_are_titled_by_what_they_list(client, maya, history):
    login(client, maya)
    home = client.get("/admin/").content.decode()
    assert f'href="{reverse("admin:clients_couple_add")}">Add couple</a>' in home
    assert home.index("Add couple</a>") < home.index("Needs your attention")  # first thing
    couples = client.get(reverse("admin:clients_couple_changelist")).content.decode()
    assert "<h1>Couples</h1>" in couples and "Select couple to change" not in couples
    assert "Caseload</a>" in couples and "Couples › Couples" not in couples


def test_each_caseload_figure_is_labelled_for_the_phone_cards(client, maya, history):
    login(client, maya)
    table = client.get("/admin/").content.decode().split('<table class="caseload">')[1]
    row = table.split("Rivera &amp; Chen</a>")[1].split("</tr>")[0]
    labels = re.findall(r'<td data-label="([^"]+)">', row)
    assert labels == [
        "Next session",
        "Done this fortnight",
        "Overdue",
        "Balance and map",
        "Gap",
        "Alerts",
    ]
