"""The API's reads of figures, for counselors and the practice's other systems: the caseload,
a couple's scores over time, the brief, and CSV downloads. Writes are in therapy/api_couples.py,
therapy/api_sessions.py and therapy/api_alerts.py.

Scoped like the dashboard (therapy.access): a couple outside the user's caseload answers 404.
It returns scores and shared answers only, never a partner's private answers, and every
read of a couple is in the access log. Session sign-in, as the dashboard's, including the
second step where it is required, or a practice's API key (therapy/api_auth.py), which reads
as the practice's admin would.
"""

from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework.exceptions import PermissionDenied
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from therapy import access, api_problems, dashboard, exports
from therapy.api_auth import KeyAwareView
from therapy.api_pages import caseload_page
from therapy.api_problems import valid_query
from therapy.brief import session_brief
from therapy.serializers import (
    BriefSerializer,
    CaseloadPageSerializer,
    CaseloadQuerySerializer,
    CoupleScoresSerializer,
)

# What every endpoint may answer besides its 200 (docs/api.md, Access), each a problem.
REFUSALS = api_problems.responses(401, 403, 429)
COUPLE_REFUSALS = api_problems.responses(401, 403, 404, 429)  # 404: not in the caller's scope


class CaseloadView(KeyAwareView, APIView):
    """GET: one row per active or paused couple, as on the dashboard's home page, a page at a
    time. `?sort=` couple, next_session, overdue, gap or alerts; `?show=attention` for only the
    couples with overdue work or open alerts; `?cursor=` from the `next` or `previous` link."""

    @extend_schema(
        parameters=[CaseloadQuerySerializer],
        responses={200: CaseloadPageSerializer, **api_problems.responses(400), **REFUSALS},
    )
    def get(self, request):
        query = valid_query(CaseloadQuerySerializer, request)
        sort = query["sort"]
        rows = dashboard.caseload(
            request.user,
            now=timezone.now(),
            sort=sort,
            attention_only=query.get("show") == "attention",
        )
        page = caseload_page(rows, sort=sort, cursor=query.get("cursor"))
        return Response(CaseloadPageSerializer(page_body(request, page)).data)


def page_body(request, page) -> dict:
    """A page of a list with its links to the pages either side."""
    return {
        "next": _link(request, page.next_cursor),
        "previous": _link(request, page.previous_cursor),
        "results": page.rows,
    }


def _link(request, cursor: str | None) -> str | None:
    if cursor is None:
        return None
    params = request.query_params.copy()
    params["cursor"] = cursor
    return request.build_absolute_uri(f"{request.path}?{params.urlencode()}")


class CoupleReadView(KeyAwareView, APIView):
    """A read of one couple's data: scoped to the user, and written to the access log."""

    what = ""

    def get(self, request, couple_id: int):
        couple = access.get_couple_for(request.user, couple_id)
        now = timezone.now()
        access.record_view(request, couple, self.what, now)
        return Response(self.body(couple, now))


@extend_schema_view(get=extend_schema(responses={200: CoupleScoresSerializer, **COUPLE_REFUSALS}))
class CoupleScoresView(CoupleReadView):
    """GET: a couple's partners, subscale scores over time, gap over time and open alerts."""

    what = "couple scores (API)"

    def body(self, couple, now):
        return CoupleScoresSerializer(dashboard.couple_detail(couple, now=now)).data


@extend_schema_view(get=extend_schema(responses={200: BriefSerializer, **COUPLE_REFUSALS}))
class BriefView(CoupleReadView):
    """GET: the brief for the couple's next session."""

    what = "session brief (API)"

    def body(self, couple, now):
        return BriefSerializer(session_brief(couple, now=now)).data


# --- CSV downloads (therapy/exports.py) ---------------------------------------------------------


class RefusalsAsJson(BaseContentNegotiation):
    """A download is made whole by its view (therapy.exports); only a refusal is rendered, and
    it is JSON whatever the client's Accept asks, rather than a 406 for `Accept: text/csv`."""

    def select_parser(self, request, parsers):
        return parsers[0] if parsers else None

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


CSV_200 = {
    (200, "text/csv"): OpenApiResponse(
        OpenApiTypes.STR, description="CSV (UTF-8), a header row first; times in UTC ISO 8601"
    )
}


class CsvView(KeyAwareView, APIView):
    renderer_classes = [JSONRenderer]
    content_negotiation_class = RefusalsAsJson


@extend_schema_view(
    get=extend_schema(operation_id="caseload_csv", responses={**CSV_200, **REFUSALS})
)
class CaseloadCsvView(CsvView):
    """GET: the caseload as CSV, one row per active or paused couple, as on the home page.
    Each couple in the file is written to the access log."""

    def get(self, request):
        now = timezone.now()
        rows = dashboard.caseload(request.user, now=now)
        exports.record_caseload_download(request, rows, "caseload (CSV, API)", now)
        return exports.csv_response(
            exports.caseload_rows(rows), filename=f"caseload-{now:%Y-%m-%d}.csv"
        )


@extend_schema_view(
    get=extend_schema(operation_id="couple_scores_csv", responses={**CSV_200, **COUPLE_REFUSALS})
)
class CoupleScoresCsvView(CsvView):
    """GET: a couple's scores over time as CSV, one row per submitted response, with the
    subscale scores stored at submission. Never an answer's text."""

    def get(self, request, couple_id: int):
        couple = access.get_couple_for(request.user, couple_id)
        now = timezone.now()
        access.record_view(request, couple, "scores (CSV, API)", now)
        return exports.csv_response(
            exports.score_rows(couple), filename=f"scores-{couple.pk}-{now:%Y-%m-%d}.csv"
        )


@extend_schema_view(
    get=extend_schema(operation_id="completion_csv", responses={**CSV_200, **REFUSALS})
)
class CompletionCsvView(CsvView):
    """GET: the practice's completion by worksheet as CSV, as on the practice figures page:
    for practice admins and the practice's API keys; a counselor answers 403."""

    practice_admins_only = True

    def get(self, request):
        counselor = access.counselor_for(request.user)
        if counselor is None or not counselor.is_practice_admin:
            raise PermissionDenied("Only practice admins read the practice's figures.")
        now = timezone.now()
        return exports.csv_response(
            exports.completion_rows(counselor.practice, now=now),
            filename=f"completion-{now:%Y-%m-%d}.csv",
        )
