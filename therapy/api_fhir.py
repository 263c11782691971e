"""The FHIR R4 endpoints under /api/fhir/ (docs/fhir.md): thin views over therapy/fhir.py.

Signed in and scoped as the rest of the API (therapy.api_auth, therapy.access): no credentials
answer 403, a resource outside the caller's scope 404, and every couple whose data is sent is
written to the access log. Every answer, refusals included, is FHIR JSON (an OperationOutcome
for a refusal), or NDJSON for the bulk export.
"""

import json
import re

from django.http import Http404, StreamingHttpResponse
from django.urls import reverse
from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework.exceptions import ParseError
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.permissions import AllowAny
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView, exception_handler

from therapy import access, fhir
from therapy.api_auth import KeyAwareView

FHIR_JSON = "application/fhir+json"
FHIR_NDJSON = "application/fhir+ndjson"
PAGE_SIZE = 20
# However many a client asks for, a page holds at most this many: a page is one bounded read.
MAX_PAGE_SIZE = 100
NDJSON_FORMATS = {FHIR_NDJSON, "application/ndjson", "ndjson"}


class FhirJsonRenderer(JSONRenderer):
    media_type = FHIR_JSON
    format = "fhir"


class AlwaysFhirJson(BaseContentNegotiation):
    """FHIR JSON whatever the client's Accept asks (`application/json`, `*/*` or none)."""

    def select_parser(self, request, parsers):
        return parsers[0] if parsers else None

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


def outcome_exception_handler(exc, context):
    """REST framework's own exception handler, its answer an OperationOutcome rather than
    the rest of the API's kind of refusal: a FHIR client reads only FHIR. The status and
    headers stay (WWW-Authenticate on a 401, Retry-After on a 429)."""
    response = exception_handler(exc, context)
    if response is not None:
        detail = response.data.get("detail", "") if isinstance(response.data, dict) else ""
        response.data = fhir.operation_outcome(response.status_code, str(detail))
    return response


# FHIR clients read the CapabilityStatement (GET /api/fhir/metadata), not the OpenAPI schema,
# so these views are left out of it.
@extend_schema(exclude=True)
class FhirView(KeyAwareView, APIView):
    renderer_classes = [FhirJsonRenderer]
    content_negotiation_class = AlwaysFhirJson

    def get_exception_handler(self):
        return outcome_exception_handler

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        response["Cache-Control"] = "no-store"  # it may hold client data
        return response


def server_base(request) -> str:
    """This server's FHIR address, ending in "/"."""
    return request.build_absolute_uri(reverse("fhir-metadata")).removesuffix("metadata")


def search_params(request, allowed: set[str]) -> dict[str, str]:
    """The query's parameters, each given once and each one this search knows: a client
    that sends another learns so (400) rather than getting results it did not ask for."""
    params = request.query_params
    unknown = sorted(set(params) - allowed)
    if unknown:
        raise ParseError(f"Unknown parameter: {', '.join(unknown)}.")
    repeated = sorted(name for name in params if len(params.getlist(name)) > 1)
    if repeated:
        raise ParseError(f"Give each parameter once: {', '.join(repeated)}.")
    return {name: params[name] for name in params}


def whole_number(params: dict, name: str, default: int) -> int:
    value = params.get(name, str(default))
    if not value.isdigit() or int(value) < 1:
        raise ParseError(f"{name} must be a whole number from 1.")
    return int(value)


def reference_id(value: str, resource_type: str) -> int:
    """The id in `Patient/12` (or plain `12`) for a reference parameter."""
    found = re.fullmatch(rf"(?:{resource_type}/)?(\d+)", value)
    if found is None:
        raise ParseError(f"Give a reference as {resource_type}/<id>, not {value!r}.")
    return int(found.group(1))


def numeric_id(resource_id: str, resource_type: str) -> int:
    if not resource_id.isdigit():
        raise Http404(f"No such {resource_type}.")
    return int(resource_id)


class SearchView(FhirView):
    """A searchset Bundle, a page at a time: `_count` rows a page (at most MAX_PAGE_SIZE) and
    `_page` from 1, with self, next and previous links."""

    params: set[str] = set()

    def get(self, request):
        params = search_params(request, self.params | {"_count", "_page"})
        count = min(whole_number(params, "_count", PAGE_SIZE), MAX_PAGE_SIZE)
        page = whole_number(params, "_page", 1)
        rows = self.rows(request, params)
        total = rows.count()
        shown = list(rows[(page - 1) * count : page * count])
        links = {"self": request.build_absolute_uri()}
        if page * count < total:
            links["next"] = self.link(request, params, page + 1)
        if page > 1:
            links["previous"] = self.link(request, params, page - 1)
        resources = self.resources(request, shown)
        return Response(
            fhir.searchset(
                resources, base=server_base(request), links=links, total=self.total(total)
            )
        )

    @staticmethod
    def link(request, params: dict, page: int) -> str:
        query = request.query_params.copy()
        query["_page"] = str(page)
        return request.build_absolute_uri(f"{request.path}?{query.urlencode()}")

    def total(self, rows: int) -> int | None:
        return rows


def log_couples(request, responses, what: str) -> None:
    """Write each couple whose data is in the answer to the access log, once."""
    now = timezone.now()
    couples = {response.assignment.couple_id: response.assignment.couple for response in responses}
    for couple in couples.values():
        access.record_view(request, couple, what, now)


class MetadataView(FhirView):
    """GET: the CapabilityStatement. It holds no client data: open to all, like the schema."""

    authentication_classes = []
    permission_classes = [AllowAny]
    throttle_classes = []

    def get(self, request):
        return Response(fhir.capability_statement(base=server_base(request)))


class QuestionnaireSearchView(SearchView):
    """GET: every worksheet version; `?url=` for the versions of one worksheet."""

    params = {"url"}

    def rows(self, request, params):
        templates = fhir.questionnaire_templates()
        if "url" in params:
            slug = params["url"].removeprefix(fhir.canonical("Questionnaire/"))
            templates = templates.filter(slug=slug) if slug != params["url"] else templates.none()
        return templates

    def resources(self, request, templates):
        return [fhir.questionnaire(template) for template in templates]


class QuestionnaireView(FhirView):
    def get(self, request, resource_id: str):
        pk = numeric_id(resource_id, "Questionnaire")
        template = fhir.questionnaire_templates().filter(pk=pk).first()
        if template is None:
            raise Http404("No such Questionnaire.")
        return Response(fhir.questionnaire(template))


def responses_searched(request, params):
    """The caller's submitted responses, narrowed to `subject=Patient/<id>` where given."""
    responses = fhir.submitted_responses_for(request.user)
    if "subject" in params:
        responses = responses.filter(partner_id=reference_id(params["subject"], "Patient"))
    return responses


def scoped_response(request, pk: int, resource_type: str):
    """One submitted response of the caller's couples, logged as read; 404 otherwise."""
    response = fhir.submitted_responses_for(request.user).filter(pk=pk).first()
    if response is None:
        raise Http404(f"No such {resource_type}.")
    log_couples(request, [response], f"FHIR {resource_type} (API)")
    return response


class QuestionnaireResponseSearchView(SearchView):
    """GET: the caller's couples' submitted responses; `?subject=Patient/<id>` for one
    partner's."""

    params = {"subject"}

    def rows(self, request, params):
        return responses_searched(request, params)

    def resources(self, request, responses):
        log_couples(request, responses, "FHIR QuestionnaireResponse search (API)")
        return [fhir.questionnaire_response(response) for response in responses]


class QuestionnaireResponseView(FhirView):
    def get(self, request, resource_id: str):
        pk = numeric_id(resource_id, "QuestionnaireResponse")
        response = scoped_response(request, pk, "QuestionnaireResponse")
        return Response(fhir.questionnaire_response(response))


class ObservationSearchView(SearchView):
    """GET: the stored scores of the caller's couples' submitted responses;
    `?subject=Patient/<id>`, `?derived-from=QuestionnaireResponse/<id>`. A page holds the
    Observations of `_count` responses (each response has a handful), so the Bundle gives
    no total."""

    params = {"subject", "derived-from"}

    def rows(self, request, params):
        responses = responses_searched(request, params)
        if "derived-from" in params:
            pk = reference_id(params["derived-from"], "QuestionnaireResponse")
            responses = responses.filter(pk=pk)
        return responses

    def resources(self, request, responses):
        log_couples(request, responses, "FHIR Observation search (API)")
        return [found for response in responses for found in fhir.observations(response)]

    def total(self, rows: int) -> None:
        return None


class ObservationView(FhirView):
    def get(self, request, resource_id: str):
        found = re.fullmatch(r"(\d+)-[A-Za-z0-9.-]+", resource_id)
        if found is None:
            raise Http404("No such Observation.")
        response = scoped_response(request, int(found.group(1)), "Observation")
        for observation in fhir.observations(response):
            if observation["id"] == resource_id:
                return Response(observation)
        raise Http404("No such Observation.")


class ExportView(FhirView):
    """GET /api/fhir/$export: everything of the caller's scope (a key: its practice; a
    counselor: their caseload) as NDJSON, one resource a line, streamed as it is read.
    `_type=` a comma-separated list of Questionnaire, QuestionnaireResponse, Observation
    (all three by default). Each couple in it is written to the access log before the first
    line is sent."""

    def get(self, request):
        params = search_params(request, {"_type", "_outputFormat"})
        if params.get("_outputFormat", FHIR_NDJSON) not in NDJSON_FORMATS:
            raise ParseError(f"_outputFormat must be {FHIR_NDJSON}.")
        types = self.types(params)
        now = timezone.now()
        for couple in fhir.exported_couples(request.user, types):
            access.record_view(request, couple, "FHIR bulk export (API)", now)
        lines = (
            json.dumps(resource, ensure_ascii=False, separators=(",", ":")) + "\n"
            for resource in fhir.export_resources(request.user, types)
        )
        return StreamingHttpResponse(lines, content_type=FHIR_NDJSON)

    @staticmethod
    def types(params: dict) -> list[str]:
        if "_type" not in params:
            return list(fhir.RESOURCE_TYPES)
        asked = [name.strip() for name in params["_type"].split(",")]
        unknown = [name for name in asked if name not in fhir.RESOURCE_TYPES]
        if unknown or not asked:
            raise ParseError(
                f"_type may name {', '.join(fhir.RESOURCE_TYPES)}; not {', '.join(unknown)}."
            )
        return asked
