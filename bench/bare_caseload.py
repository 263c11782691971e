"""The api_caseload benchmark's second bare view: the caseload's first page with its queries
written by hand, which tells the ORM's share of the API's cost.

A plain function view at the API's own path, served with bench/bare_settings.py (the
production settings, this URL module, no middleware). It does only what the answer needs:
finds the practice's key by its digest, runs the two queries therapy.dashboard.caseload has
the ORM write (couples with their figures, partners with theirs, each figure a subquery),
written out by hand, and writes the JSON with json.dumps as DRF's renderer writes it.
No DRF, no throttle, no serializer. The benchmark checks its body equals the API's.
"""

import datetime as dt
import hashlib
import json
from collections import defaultdict
from urllib.parse import urlencode

from django.core import signing
from django.db import connection
from django.http import HttpResponse
from django.urls import path
from django.utils import timezone

from clients.models import Couple, Partner
from therapy.models import Alert, ApiKey, CounselingSession
from therapy.views import healthz
from worksheets.interdependence import position_label
from worksheets.models import Assignment, Response

# As in therapy/dashboard.py and therapy/api_pages.py; the benchmark's comparison of the two
# bodies fails if either drifts.
PERIOD = dt.timedelta(days=14)
PAGE_SIZE = 50
CURSOR_SALT = "therapy.api_pages.caseload"

SQL_KEY = f"""
SELECT practice_id FROM {ApiKey._meta.db_table} WHERE digest = %s AND revoked_at IS NULL
"""
R, A = Response._meta.db_table, Assignment._meta.db_table
SQL_COUPLES = f"""
SELECT cp.id, cp.label, cp.status,
       (SELECT s.starts_at FROM {CounselingSession._meta.db_table} s
        WHERE s.couple_id = cp.id AND s.starts_at > %(now)s ORDER BY s.starts_at LIMIT 1),
       (SELECT count(*) FROM {R} r JOIN {A} a ON a.id = r.assignment_id
        WHERE a.couple_id = cp.id AND a.status = 'active'
          AND r.status IN ('not_started', 'draft') AND r.due_at < %(now)s),
       (SELECT count(*) FROM {Alert._meta.db_table} al
        WHERE al.couple_id = cp.id AND al.acknowledged_at IS NULL),
       (SELECT r.balance_gap FROM {R} r JOIN {A} a ON a.id = r.assignment_id
        WHERE a.couple_id = cp.id AND r.balance_gap IS NOT NULL
        ORDER BY r.submitted_at DESC, r.id DESC LIMIT 1),
       (SELECT r.balance_gap FROM {R} r JOIN {A} a ON a.id = r.assignment_id
        WHERE a.couple_id = cp.id AND r.balance_gap IS NOT NULL
        ORDER BY r.submitted_at DESC, r.id DESC LIMIT 1 OFFSET 1)
FROM {Couple._meta.db_table} cp
WHERE cp.practice_id = %(practice)s AND cp.status <> 'closed'
"""
SQL_PARTNERS = f"""
SELECT p.couple_id, p.id, p.display_name,
       (SELECT count(*) FROM {R} r
        WHERE r.partner_id = p.id AND r.due_at >= %(period_start)s AND r.status = 'submitted'),
       (SELECT count(*) FROM {R} r WHERE r.partner_id = p.id AND r.due_at >= %(period_start)s),
       (SELECT r.preferred_balance FROM {R} r
        WHERE r.partner_id = p.id AND r.status = 'submitted' AND r.preferred_balance IS NOT NULL
        ORDER BY r.submitted_at DESC LIMIT 1),
       (SELECT r.map_position FROM {R} r
        WHERE r.partner_id = p.id AND r.status = 'submitted' AND r.map_position <> ''
        ORDER BY r.submitted_at DESC LIMIT 1)
FROM {Partner._meta.db_table} p
WHERE p.couple_id IN (
    SELECT cp.id FROM {Couple._meta.db_table} cp
    WHERE cp.practice_id = %(practice)s AND cp.status <> 'closed'
) AND p.removed_at IS NULL
ORDER BY p.id
"""


def when(value: dt.datetime | None) -> str | None:
    """ISO 8601 in UTC with a Z, as DRF writes a time."""
    if value is None:
        return None
    text = value.astimezone(dt.UTC).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def caseload_rows(practice_id: int, now: dt.datetime) -> list[dict]:
    params = {"practice": practice_id, "now": now, "period_start": now - PERIOD}
    with connection.cursor() as cursor:
        cursor.execute(SQL_COUPLES, params)
        couples = cursor.fetchall()
        cursor.execute(SQL_PARTNERS, params)
        partners = cursor.fetchall()
    by_couple = defaultdict(list)
    for couple_id, partner_id, name, done, assigned, balance, position in partners:
        by_couple[couple_id].append(
            {
                "id": partner_id,
                "name": name,
                "done": done,
                "assigned": assigned,
                "balance": balance,
                "position": position_label(position or ""),
            }
        )
    return [
        {
            "id": couple_id,
            "label": label,
            "status": status,
            "next_session": when(session),
            "overdue": overdue,
            "open_alerts": alerts,
            "gap": gap,
            "gap_change": gap - before if before is not None else None,
            "partners": by_couple[couple_id],
        }
        for couple_id, label, status, session, overdue, alerts, gap, before in couples
    ]


def page_response(request, rows: list[dict]) -> HttpResponse:
    """The first page of `rows` in the API's default order (by label, then id), with the link
    to the next, as the API writes it."""
    page = sorted(rows, key=lambda row: (row["label"].lower(), row["id"]))[:PAGE_SIZE]
    next_link = None
    if len(rows) > PAGE_SIZE:
        last = page[-1]
        position = [last["label"].lower(), last["id"]]
        cursor = signing.dumps(["after", "couple", position], salt=CURSOR_SALT, compress=True)
        next_link = request.build_absolute_uri(f"{request.path}?{urlencode({'cursor': cursor})}")
    body = {"next": next_link, "previous": None, "results": page}
    return HttpResponse(
        json.dumps(body, ensure_ascii=False, separators=(",", ":")),
        content_type="application/json",
    )


def caseload(request):
    scheme, _, raw_key = request.headers.get("Authorization", "").partition(" ")
    with connection.cursor() as cursor:
        cursor.execute(SQL_KEY, [hashlib.sha256(raw_key.encode()).hexdigest()])
        found = cursor.fetchone()
    if scheme != "Bearer" or found is None:
        return HttpResponse(status=401)
    return page_response(request, caseload_rows(found[0], timezone.now()))


# The product's health check too: the bench waits for it before loading either server.
urlpatterns = [path("api/v1/caseload/", caseload), path("healthz", healthz)]
