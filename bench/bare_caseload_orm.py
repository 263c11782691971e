"""The baseline of api_caseload: a bare view answering the API's JSON from the same query, the
caseload read as the API reads it, through the product's own functions
(therapy.api_keys.find_api_key, therapy.dashboard.caseload). Between it and the API is what
DRF, the middleware, the rate limit and the access log cost; between it and the hand-written
queries of bench/bare_caseload.py, what the ORM costs."""

from django.http import HttpResponse
from django.urls import path
from django.utils import timezone

from bench.bare_caseload import page_response, when
from therapy import api_keys, dashboard
from therapy.views import healthz


def caseload(request):
    scheme, _, raw_key = request.headers.get("Authorization", "").partition(" ")
    key = api_keys.find_api_key(raw_key) if scheme == "Bearer" else None
    if key is None or key.is_revoked:
        return HttpResponse(status=401)
    rows = dashboard.caseload(api_keys.acting_user(key), now=timezone.now())
    return page_response(
        request,
        [
            {
                "id": row.couple_id,
                "label": row.label,
                "status": row.status,
                "next_session": when(row.next_session),
                "overdue": row.overdue,
                "open_alerts": row.open_alerts,
                "gap": row.gap,
                "gap_change": row.gap_change,
                "partners": [
                    {
                        "id": partner.partner_id,
                        "name": partner.name,
                        "done": partner.done,
                        "assigned": partner.assigned,
                        "balance": partner.balance,
                        "position": partner.position_label,
                    }
                    for partner in row.partners
                ],
            }
            for row in rows
        ],
    )


urlpatterns = [path("api/v1/caseload/", caseload), path("healthz", healthz)]
