from django.http import JsonResponse
from django.views import defaults
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from therapy import health
from therapy.api_fhir import FHIR_JSON
from therapy.api_problems import MEDIA_TYPE, problem_body
from therapy.fhir import operation_outcome


@never_cache
@require_GET
def healthz(request):
    checks = {"database": health.database_ok(), "broker": health.broker_ok()}
    healthy = all(checks.values())
    body = {
        "status": "ok" if healthy else "unavailable",
        **{name: "ok" if ok else "down" for name, ok in checks.items()},
    }
    return JsonResponse(body, status=200 if healthy else 503)


def not_found(request, exception):
    """A path no route takes: under /api/fhir/ an OperationOutcome, elsewhere under /api/ an
    RFC 9457 problem, as every other refusal there is; else Django's own page."""
    missing = "There is nothing at this address."
    if request.path.startswith("/api/fhir/"):
        return JsonResponse(operation_outcome(404, missing), status=404, content_type=FHIR_JSON)
    if request.path.startswith("/api/"):
        body = problem_body(404, "about:blank", missing)
        return JsonResponse(body, status=404, content_type=MEDIA_TYPE)
    return defaults.page_not_found(request, exception)
