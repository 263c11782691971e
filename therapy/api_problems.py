"""Every refusal of the API as an RFC 9457 problem: `application/problem+json` with `type`,
`title`, `status` and `detail`, and for a refused request an `errors` list, each naming what it
is about: a `pointer` (a JSON Pointer into the request body, `#/partners/0/phone`) or a
`parameter` of the query (`sort`).

Problems the status says all about are `about:blank`, titled by the status; the API's own have
a `tag:` type (RFC 9457 3.1.1: a name, not a page), listed in docs/api.md.
"""

from collections.abc import Mapping
from http import HTTPStatus

from drf_spectacular.utils import OpenApiResponse
from rest_framework import exceptions, serializers
from rest_framework.settings import api_settings
from rest_framework.views import exception_handler

MEDIA_TYPE = "application/problem+json"
_TAG = "tag:couples-worksheets,2026:problem:"
INVALID_REQUEST = f"{_TAG}invalid-request"
READ_ONLY_KEY = f"{_TAG}read-only-key"
KEY_REUSED = f"{_TAG}idempotency-key-reused"
REQUEST_IN_PROGRESS = f"{_TAG}request-in-progress"


class QueryError(exceptions.ValidationError):
    """A refused query parameter: its errors name a `parameter`, not a body `pointer`."""


class Problem(exceptions.APIException):
    """A refusal of the API's own kind, with its type."""

    def __init__(self, *, status: int, type: str, detail: str):
        super().__init__(detail)
        self.status_code = status
        self.type = type


class ProblemErrorSerializer(serializers.Serializer):
    detail = serializers.CharField()
    pointer = serializers.CharField(
        required=False, help_text="A JSON Pointer into the request body, e.g. #/partners/0/phone"
    )
    parameter = serializers.CharField(required=False, help_text="A query parameter, e.g. sort")


class ProblemSerializer(serializers.Serializer):
    """An RFC 9457 problem, as every refusal of the API is sent."""

    type = serializers.CharField(help_text="about:blank, or one of the API's problem types")
    title = serializers.CharField()
    status = serializers.IntegerField()
    detail = serializers.CharField()
    errors = ProblemErrorSerializer(
        many=True, required=False, help_text="What was refused in the request, one by one"
    )


def responses(*statuses: int) -> dict:
    """The schema's answers for these refusals, each a problem."""
    return {
        (status, MEDIA_TYPE): OpenApiResponse(ProblemSerializer, description=_WHEN[status])
        for status in statuses
    }


_WHEN = {
    400: "The request was refused: see `errors`",
    401: "An unknown or revoked API key",
    403: "No key and no dashboard session, or a read key that writes",
    404: "Not in the caller's scope",
    405: "Not a method of this endpoint",
    409: "A request with this Idempotency-Key is still being answered",
    413: "The body is larger than the API takes",
    415: "The body is not JSON",
    422: "This Idempotency-Key was used for another request",
    429: "The key's rate limit: retry after `Retry-After` seconds",
}

# What any write may answer besides its success: a body refused or not JSON, a key or scope
# refused, an Idempotency-Key in use or reused, the rate limit.
WRITE_REFUSALS = responses(400, 401, 403, 404, 409, 413, 415, 422, 429)


def valid_body(serializer_class, request) -> dict:
    """The request's JSON body, checked by `serializer_class`; a refused field answers 400."""
    body = serializer_class(data=request.data)
    body.is_valid(raise_exception=True)
    return body.validated_data


def valid_query(serializer_class, request) -> dict:
    """The request's query, checked by `serializer_class`; a refused parameter answers 400."""
    query = serializer_class(data=request.query_params)
    if not query.is_valid():
        raise QueryError(query.errors)
    return query.validated_data


def problem_exception_handler(exc, context):
    """REST framework's exception handler, its answer reshaped as a problem. Its headers stay:
    `WWW-Authenticate: Bearer` on a 401, `Retry-After` on a 429."""
    response = exception_handler(exc, context)
    if response is None:
        return None
    status = response.status_code
    if isinstance(exc, exceptions.ValidationError):
        where = "parameter" if isinstance(exc, QueryError) else "pointer"
        errors = list(_flatten(exc.detail, [], where))
        count = len(errors)
        body = problem_body(
            status,
            INVALID_REQUEST,
            f"{count} problem{'s' if count != 1 else ''} with the request.",
        )
        body["errors"] = errors
    elif isinstance(exc, exceptions.ParseError):
        body = problem_body(status, INVALID_REQUEST, "The body is not valid JSON.")
        body["errors"] = [{"detail": str(exc.detail), "pointer": "#"}]
    else:
        body = problem_body(
            status, getattr(exc, "type", "about:blank"), str(response.data.get("detail", ""))
        )
    response.data = body
    response.content_type = MEDIA_TYPE
    return response


def problem_body(status: int, type: str, detail: str) -> dict:
    return {"type": type, "title": HTTPStatus(status).phrase, "status": status, "detail": detail}


def _flatten(detail, path: list[str], where: str):
    """One {"detail", pointer or parameter} per message in REST framework's nested errors."""
    if isinstance(detail, Mapping):
        for key, value in detail.items():
            own = key in (api_settings.NON_FIELD_ERRORS_KEY, "__all__")
            yield from _flatten(value, path if own else [*path, str(key)], where)
    elif isinstance(detail, list) and any(isinstance(item, (Mapping, list)) for item in detail):
        for index, item in enumerate(detail):
            yield from _flatten(item, [*path, str(index)], where)
    elif isinstance(detail, list):
        for message in detail:
            yield {"detail": str(message), **_location(path, where)}
    else:
        yield {"detail": str(detail), **_location(path, where)}


def _location(path: list[str], where: str) -> dict:
    if where == "parameter":
        return {"parameter": path[0]} if path else {}
    escaped = (part.replace("~", "~0").replace("/", "~1") for part in path)
    return {"pointer": "#" + "".join(f"/{part}" for part in escaped)}
