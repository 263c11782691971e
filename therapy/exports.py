"""CSV exports of what the dashboard shows: the caseload, a couple's scores over time, and the
practice's completion by worksheet. Downloaded from the dashboard and from the API alike.

Each export's rows come from the dashboard's own read functions (therapy/dashboard.py), so a
figure has one rule wherever it is shown; the scores are the ones stored at submission, never
worked out again, and no answer text is ever written. The caller scopes and logs the read.
"""

import csv
import datetime as dt
import io

from django.http import HttpResponse

from therapy import access, dashboard
from worksheets.interdependence import position_label
from worksheets.models import Response

# A spreadsheet runs a cell starting with one of these as a formula (OWASP, "CSV injection"):
# a couple label of "=HYPERLINK(...)" would otherwise become a link on the counselor's machine.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralised(value) -> str:
    """A cell as text, with a leading quote where a spreadsheet would read a formula.
    Numbers are left as they are: a negative change is a number, not a formula."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, dt.datetime):
        return utc_iso(value)
    text = str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def utc_iso(moment: dt.datetime | None) -> str:
    if moment is None:
        return ""
    return moment.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


def caseload_rows(rows: list[dashboard.CaseloadRow]) -> list[list]:
    """The home page's caseload (dashboard.caseload) as rows, a header first, with each
    partner's figures side by side (as many partner columns as the largest couple has)."""
    widest = max((len(row.partners) for row in rows), default=2)
    header = ["Couple", "Status", "Next session", "Overdue", "Open alerts", "Gap", "Gap change"]
    for n in range(1, widest + 1):
        header += [
            f"Partner {n}",
            f"Partner {n} done",
            f"Partner {n} assigned",
            f"Partner {n} preferred balance",
            f"Partner {n} map position",
        ]
    body = []
    for row in rows:
        cells = [
            row.label,
            row.status_label,
            row.next_session,
            row.overdue,
            row.open_alerts,
            row.gap,
            row.gap_change,
        ]
        for partner in row.partners:
            cells += [
                partner.name,
                partner.done,
                partner.assigned,
                partner.balance,
                partner.position_label,
            ]
        body.append(cells + [None] * (len(header) - len(cells)))
    return [header, *body]


def record_caseload_download(request, rows: list[dashboard.CaseloadRow], what: str, now):
    """Log the download under each couple in the file, as any other read of a couple's data:
    one query for the couples, then one log row each."""
    couples = access.couples_for(request.user).filter(pk__in=[row.couple_id for row in rows])
    for couple in couples:
        access.record_view(request, couple, what, now)


def submitted_responses(couple):
    """The couple's submitted responses, oldest first, with what a row of scores names: one
    query whatever the history."""
    return (
        Response.objects.filter(assignment__couple=couple, status=Response.Status.SUBMITTED)
        .select_related("partner", "assignment__template")
        .order_by("submitted_at", "pk")
    )


def score_rows(couple) -> list[list]:
    """A couple's scores over time, a header first: one row per submitted response, with each
    subscale score as stored at submission (a column per subscale, in the order first seen)."""
    responses = list(submitted_responses(couple))
    subscales: dict[str, str] = {}
    for response in responses:
        for subscale in response.scores.get("subscales", []):
            subscales.setdefault(subscale["key"], subscale["label"])
    header = [
        "Submitted at",
        "Partner",
        "Worksheet",
        "Version",
        *subscales.values(),
        "Preferred balance",
        "Map position",
    ]
    body = []
    for response in responses:
        stored = {s["key"]: s["score"] for s in response.scores.get("subscales", [])}
        body.append(
            [
                response.submitted_at,
                response.partner.display_name,
                response.assignment.template.title,
                response.assignment.template.version,
                *(stored.get(key) for key in subscales),
                response.preferred_balance,
                position_label(response.map_position),
            ]
        )
    return [header, *body]


def completion_rows(practice, *, now: dt.datetime) -> list[list]:
    """The practice figures page's completion by worksheet, a header first."""
    totals = dashboard.practice_totals(practice, now=now)
    return [
        ["Worksheet", "Handed in", "Due so far"],
        *([title, done, due] for title, done, due in totals.completion_by_worksheet),
    ]


def as_csv(rows: list[list]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    for row in rows:
        writer.writerow([neutralised(cell) for cell in row])
    return out.getvalue()


def csv_response(rows: list[list], *, filename: str) -> HttpResponse:
    """The rows as a CSV download that no cache keeps: it holds client data."""
    response = HttpResponse(as_csv(rows), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    return response
