"""CSV downloads of the caseload, a couple's scores and the practice's completion, from the
dashboard and the API: their rows, who may have them, the access log, and formula cells."""

import csv
import datetime as dt
import io

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.conftest import login
from tests.factories import couple_with_partners
from tests.therapy.conftest import grow_caseload, week_of_answers
from therapy.api_keys import create_api_key
from therapy.models import AccessLog
from therapy.sessions import schedule_session

# A Tuesday noon in New York (the practice's zone), outside any DST change.
NOW = dt.datetime(2026, 11, 10, 17, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def history(couple, library, maya):
    """Two fortnights of the time map, handed in a day after each was set."""
    time_map = library.get(slug="time-map")
    for weeks_ago, balances in ((4, (7, 3)), (2, (8, 1))):
        week_of_answers(
            couple,
            time_map,
            maya,
            NOW - dt.timedelta(weeks=weeks_ago),
            balances,
            texts=("Salsa classes together", ""),
        )
    schedule_session(couple=couple, counselor=maya, starts_at=NOW + dt.timedelta(hours=23), now=NOW)
    return couple


def rows_of(response):
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert "no-store" in response["Cache-Control"]
    assert response["Content-Disposition"].startswith('attachment; filename="')
    return list(csv.reader(io.StringIO(response.content.decode())))


def key_headers(practice):
    _, raw_key = create_api_key(
        practice=practice, name="Records", scope="read", created_by=None, now=NOW
    )
    return {"HTTP_AUTHORIZATION": f"Bearer {raw_key}"}


CASELOAD_HEADER = [
    "Couple", "Status", "Next session", "Overdue", "Open alerts", "Gap", "Gap change",
    "Partner 1", "Partner 1 done", "Partner 1 assigned", "Partner 1 preferred balance",
    "Partner 1 map position",
    "Partner 2", "Partner 2 done", "Partner 2 assigned", "Partner 2 preferred balance",
    "Partner 2 map position",
]  # fmt: skip


def test_the_caseload_csv_has_the_home_page_figures(client, maya, history):
    login(client, maya)
    rows = rows_of(client.get(reverse("admin:caseload_csv")))
    assert rows[0] == CASELOAD_HEADER
    # The gap went from 4 to 7; each partner handed in the one worksheet of this fortnight.
    sam, alex = rows[1][7:12], rows[1][12:17]
    # The widening gap raised two alerts; the time map places no one on the map.
    assert rows[1][:7] == ["Rivera & Chen", "Active", "2026-11-11T16:00:00Z", "0", "2", "7", "3"]
    assert sam == ["Sam", "1", "1", "8", ""]
    assert alex == ["Alex", "1", "1", "1", ""]
    assert len(rows) == 2


def test_the_scores_csv_has_a_row_per_submitted_response_and_no_answer_text(client, maya, history):
    login(client, maya)
    rows = rows_of(client.get(reverse("admin:clients_couple_scores_csv", args=[history.pk])))
    header, body = rows[0], rows[1:]
    assert header[:4] == ["Submitted at", "Partner", "Worksheet", "Version"]
    assert header[-2:] == ["Preferred balance", "Map position"]
    four_weeks_ago = (NOW - dt.timedelta(weeks=4, days=-1)).isoformat().replace("+00:00", "Z")
    two_weeks_ago = (NOW - dt.timedelta(weeks=2, days=-1)).isoformat().replace("+00:00", "Z")
    assert [row[:4] + row[-2:-1] for row in body] == [
        [four_weeks_ago, "Sam", "Your time map", "1", "7"],
        [four_weeks_ago, "Alex", "Your time map", "1", "3"],
        [two_weeks_ago, "Sam", "Your time map", "1", "8"],
        [two_weeks_ago, "Alex", "Your time map", "1", "1"],
    ]
    # Each subscale as stored at submission.
    responses = history.assignments.get(due_at__lt=NOW - dt.timedelta(weeks=3)).responses
    stored = responses.order_by("partner_id").first().scores["subscales"]
    assert header[4:-2] == [s["label"] for s in stored]
    assert body[0][4:-2] == [str(s["score"]) if s["score"] is not None else "" for s in stored]
    assert "Salsa" not in "".join(",".join(row) for row in rows)


def test_the_completion_csv_has_the_practice_page_figures(client, priya, history):
    login(client, priya)
    rows = rows_of(client.get(reverse("admin:completion_csv")))
    assert rows == [["Worksheet", "Handed in", "Due so far"], ["Your time map", "4", "4"]]


def test_the_api_gives_the_same_files(client, maya, history):
    login(client, maya)
    assert rows_of(client.get("/api/v1/exports/caseload.csv")) == rows_of(
        client.get(reverse("admin:caseload_csv"))
    )
    assert rows_of(client.get(f"/api/v1/couples/{history.pk}/scores.csv")) == rows_of(
        client.get(reverse("admin:clients_couple_scores_csv", args=[history.pk]))
    )


def test_a_practice_key_reads_the_completion_figures(client, maya, history):
    rows = rows_of(client.get("/api/v1/exports/completion.csv", **key_headers(maya.practice)))
    assert rows[1] == ["Your time map", "4", "4"]


def test_another_counselors_couple_is_not_found_and_not_in_the_caseload(
    client, daniel, history, daniels_couple
):
    login(client, daniel)
    dashboard_url = reverse("admin:clients_couple_scores_csv", args=[history.pk])
    assert client.get(dashboard_url).status_code == 404
    assert client.get(f"/api/v1/couples/{history.pk}/scores.csv").status_code == 404
    for url in (reverse("admin:caseload_csv"), "/api/v1/exports/caseload.csv"):
        assert [row[0] for row in rows_of(client.get(url))[1:]] == ["Nakamura & Berg"]


def test_another_practices_key_does_not_see_the_couple(client, outsider, history):
    headers = key_headers(outsider.practice)
    assert client.get(f"/api/v1/couples/{history.pk}/scores.csv", **headers).status_code == 404
    assert rows_of(client.get("/api/v1/exports/caseload.csv", **headers))[1:] == []
    completion = rows_of(client.get("/api/v1/exports/completion.csv", **headers))
    assert completion == [["Worksheet", "Handed in", "Due so far"]]


def test_the_practice_admin_sees_every_couple_of_the_practice(
    client, priya, history, daniels_couple
):
    login(client, priya)
    rows = rows_of(client.get(reverse("admin:caseload_csv")))
    assert [row[0] for row in rows[1:]] == ["Nakamura & Berg", "Rivera & Chen"]


def test_a_counselor_is_refused_the_completion_figures(client, maya, history):
    login(client, maya)
    assert client.get(reverse("admin:completion_csv")).status_code == 403
    refused = client.get("/api/v1/exports/completion.csv", HTTP_ACCEPT="text/csv")
    assert refused.status_code == 403
    assert "detail" in refused.json()


def test_each_download_is_in_the_access_log(client, maya, history):
    login(client, maya)
    client.get(reverse("admin:caseload_csv"))
    client.get(reverse("admin:clients_couple_scores_csv", args=[history.pk]))
    client.get("/api/v1/exports/caseload.csv")
    client.get(f"/api/v1/couples/{history.pk}/scores.csv")
    logged = AccessLog.objects.filter(user=maya.user).order_by("pk")
    assert [(log.couple_id, log.what) for log in logged] == [
        (history.pk, "caseload (CSV)"),
        (history.pk, "scores (CSV)"),
        (history.pk, "caseload (CSV, API)"),
        (history.pk, "scores (CSV, API)"),
    ]
    assert logged[0].path == reverse("admin:caseload_csv")


def test_a_cell_a_spreadsheet_would_run_is_quoted(client, maya, library):
    couple_with_partners(
        counselor=maya, label='=HYPERLINK("http://evil.example","Open")', names=("+Sam", "@Alex")
    )
    login(client, maya)
    rows = rows_of(client.get(reverse("admin:caseload_csv")))
    assert rows[1][0] == '\'=HYPERLINK("http://evil.example","Open")'
    assert rows[1][7] == "'+Sam"
    assert rows[1][12] == "'@Alex"


@pytest.mark.parametrize("couples", [1, 4])
def test_the_caseload_csv_reads_the_same_queries_whatever_its_size(client, maya, library, couples):
    grow_caseload(maya, library.get(slug="time-map"), couples)
    login(client, maya)
    with CaptureQueriesContext(connection) as queries:
        rows = rows_of(client.get("/api/v1/exports/caseload.csv"))
    assert len(rows) == couples + 1
    reads = [q["sql"] for q in queries.captured_queries if not q["sql"].startswith("INSERT")]
    inserts = [q["sql"] for q in queries.captured_queries if q["sql"].startswith("INSERT")]
    # Reads: session, user, counselor; the couples with their figures; the partners with
    # theirs; the couples to log. Written: one access-log row per couple in the file, since
    # each couple's figures left the dashboard (there is no bulk form of record_view).
    assert len(reads) == 6, reads
    assert len(inserts) == couples


@pytest.mark.parametrize("weeks", [1, 3])
def test_the_scores_csv_reads_the_same_queries_whatever_the_history(
    client, maya, couple, library, weeks, django_assert_num_queries
):
    for n in range(weeks):
        week_of_answers(
            couple, library.get(slug="time-map"), maya, NOW - dt.timedelta(weeks=n + 1), (5, 3)
        )
    login(client, maya)
    # Session, user, counselor, the couple, the access-log row, the submitted responses.
    with django_assert_num_queries(6):
        rows = rows_of(client.get(f"/api/v1/couples/{couple.pk}/scores.csv"))
    assert len(rows) == 2 * weeks + 1


@pytest.mark.parametrize("couples", [1, 3])
def test_the_completion_csv_reads_the_same_queries_whatever_the_practice(
    client, priya, maya, library, couples, django_assert_num_queries
):
    grow_caseload(maya, library.get(slug="time-map"), couples)
    login(client, priya)
    # Session, user, counselor, its practice; the four totals (dashboard.practice_totals).
    with django_assert_num_queries(8):
        rows_of(client.get("/api/v1/exports/completion.csv"))


def test_the_dashboard_links_each_download(client, maya, priya, history):
    login(client, maya)
    assert reverse("admin:caseload_csv") in client.get(reverse("admin:index")).content.decode()
    overview = client.get(reverse("admin:clients_couple_overview", args=[history.pk]))
    assert (
        reverse("admin:clients_couple_scores_csv", args=[history.pk]) in overview.content.decode()
    )
    login(client, priya)
    practice_page = client.get(reverse("admin:practice")).content.decode()
    assert reverse("admin:completion_csv") in practice_page
