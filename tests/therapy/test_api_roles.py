"""Every API route and every HTTP method it allows, found by walking the URL resolver and asking
each view what it allows, called as every kind of caller: each gets the status its access
allows, and every answer, success or refusal, is exactly what the committed OpenAPI schema says
for that method and status, in whatever media type the schema names (JSON, an RFC 9457 problem,
CSV), with no field it does not name.

A write is sent with an empty JSON body: a caller who may make it gets a 2xx, or a 400 that
names the fields it wants. A session's requests carry its CSRF token, as the dashboard's own
forms do; a session write without it answers 403. The views the schema leaves out on purpose
are named below with the reason, and checked against what does describe them.
"""

import copy
import datetime as dt
import json
import re
import uuid

import pytest
import yaml
from django.conf import settings
from django.db import transaction
from django.http import HttpRequest
from django.middleware.csrf import get_token
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone
from fhir.resources.R4B import get_fhir_model_class
from jsonschema import Draft202012Validator
from rest_framework.permissions import SAFE_METHODS, AllowAny

from tests.factories import CounselorFactory, PracticeFactory, UserFactory, couple_with_partners
from tests.therapy.conftest import week_of_answers
from tests.therapy.test_api_schema import COMMITTED
from therapy import fhir
from therapy.api_auth import KeyAwareView
from therapy.api_keys import create_api_key, revoke_api_keys
from therapy.models import Alert, ApiKey, Counselor
from therapy.sessions import schedule_session
from worksheets.library import latest_templates, load_library
from worksheets.models import Response

SCHEMA = yaml.safe_load(COMMITTED.read_text())

# Views the OpenAPI schema leaves out on purpose, by name, each with the reason. Their answers
# are checked against what describes them instead (`check_fhir`).
FHIR = "FHIR: described by its CapabilityStatement (GET /api/fhir/metadata), not by OpenAPI"
OUTSIDE_THE_SCHEMA = {
    "MetadataView": FHIR,
    "QuestionnaireSearchView": FHIR,
    "QuestionnaireView": FHIR,
    "QuestionnaireResponseSearchView": FHIR,
    "QuestionnaireResponseView": FHIR,
    "ObservationSearchView": FHIR,
    "ObservationView": FHIR,
    "ExportView": FHIR,
}


def api_routes(patterns=None, prefix=""):
    """(route, view class) for every view of the API, wherever it is in the URL conf."""
    found = []
    for pattern in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(pattern, URLResolver):
            found += api_routes(pattern.url_patterns, prefix + str(pattern.pattern))
        elif isinstance(pattern, URLPattern):
            view = getattr(pattern.callback, "view_class", None)
            if view is not None and issubclass(view, KeyAwareView):
                found.append((prefix + str(pattern.pattern), view))
    return found


def allowed_methods(view) -> list[str]:
    """The methods the view answers, as its `Allow` header names them (OPTIONS aside)."""
    return [
        method.upper()
        for method in view.http_method_names
        if hasattr(view, method) and method not in {"options", "head"}
    ]


VIEWS = dict(api_routes())
ROUTE_METHODS = [
    (route, method) for route, view in VIEWS.items() for method in allowed_methods(view)
]


def schema_path(route: str) -> str:
    return "/" + re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", route)


def in_the_schema(route: str) -> bool:
    return VIEWS[route].__name__ not in OUTSIDE_THE_SCHEMA


def test_the_walk_finds_every_operation_of_the_schema_and_no_other():
    walked = {
        (schema_path(route), method.lower())
        for route, method in ROUTE_METHODS
        if in_the_schema(route)
    }
    documented = {(path, method) for path, item in SCHEMA["paths"].items() for method in item}
    assert walked == documented


def test_each_view_left_out_of_the_schema_is_named_with_its_reason():
    left_out = {
        view.__name__ for route, view in VIEWS.items() if schema_path(route) not in SCHEMA["paths"]
    }
    assert left_out == set(OUTSIDE_THE_SCHEMA)


def strict(schema):
    """The schema with no property beyond those it names, at every level."""
    schema = copy.deepcopy(schema)
    for component in schema["components"]["schemas"].values():
        if "properties" in component:
            component["additionalProperties"] = False
    return schema


STRICT = strict(SCHEMA)


def validate(route, method, status, body, media_type):
    """`body` is what the committed schema says `method` on `route` answers with `status`."""
    operation = SCHEMA["paths"][schema_path(route)][method.lower()]
    assert str(status) in operation["responses"], (route, method, status, "not documented")
    answer = operation["responses"][str(status)]
    if "content" not in answer:  # No body, as for a 204.
        assert body in ("", None), (route, method, status, body)
        return
    assert media_type in answer["content"], (route, method, status, media_type)
    response_schema = answer["content"][media_type]["schema"]
    validator = Draft202012Validator(
        {**response_schema, "components": STRICT["components"]},
        format_checker=Draft202012Validator.FORMAT_CHECKER,
    )
    errors = [f"{list(e.path)}: {e.message}" for e in validator.iter_errors(body)]
    assert errors == [], (route, method, status, errors)


def test_the_check_refuses_a_field_the_schema_does_not_name():
    caseload = next(route for route in VIEWS if route.endswith("caseload/"))
    with pytest.raises(AssertionError, match="secret"):
        validate(
            caseload,
            "GET",
            200,
            {"next": None, "previous": None, "results": [], "secret": 1},
            "application/json",
        )


def media_type_and_body(response):
    """What the answer is, as the schema names it, and its body: JSON of any kind (plain, a
    problem, FHIR), NDJSON as a list of lines, a download's text, or nothing."""
    media_type = response.get("Content-Type", "").split(";")[0]
    content = (
        b"".join(response.streaming_content) if response.streaming else response.content
    ).decode()
    if media_type.endswith("ndjson"):
        return media_type, [json.loads(line) for line in content.splitlines()]
    if not content:
        return media_type, ""
    if media_type == "application/json" or media_type.endswith("+json"):
        return media_type, json.loads(content)
    return media_type, content


def field_errors(body) -> list:
    """The fields a 400 names: an RFC 9457 problem's `errors`, each with its `pointer` or
    `parameter`, or a plain JSON refusal's field names."""
    if isinstance(body, dict) and "errors" in body:
        return [e for e in body["errors"] if e.get("pointer") or e.get("parameter")]
    return [name for name, errors in body.items() if isinstance(errors, list)]


FHIR_MEDIA_TYPES = {"application/fhir+json", "application/fhir+ndjson"}


def fhir_resources(body) -> list[dict]:
    """Every resource in a FHIR answer (one, or an export's lines), each after its R4B model
    accepted it, a Bundle's entries as well."""
    found = body if isinstance(body, list) else [body]
    for resource in found:
        get_fhir_model_class(resource["resourceType"]).model_validate(resource)
    entries = [
        entry["resource"]
        for resource in found
        if resource["resourceType"] == "Bundle"
        for entry in resource.get("entry", [])
    ]
    return found + (fhir_resources(entries) if entries else [])


# --- one seeded practice for the whole file ------------------------------------------------


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    """Harbor Counseling: Maya's couple with weeks of handed-in work, a session booked and an
    alert; Daniel's couple; Priya, the practice admin; Olga, of another practice; and a key of
    each kind. Made once, in a transaction rolled back when the file is done; each test's own
    changes (a write's) are rolled back after it, to a savepoint, by pytest-django."""
    with django_db_blocker.unblock(), transaction.atomic():
        yield seed()
        transaction.set_rollback(True)


def seed() -> dict:
    """The people, rows and keys the walk needs, by role and by path parameter."""
    now = timezone.now()
    load_library()
    time_map = latest_templates().get(slug="time-map")
    harbor = PracticeFactory(name="Harbor Counseling", time_zone="America/New_York")
    maya = CounselorFactory(practice=harbor, user=UserFactory(username="maya"))
    daniel = CounselorFactory(practice=harbor, user=UserFactory(username="daniel"))
    priya = CounselorFactory(
        practice=harbor, user=UserFactory(username="priya"), role=Counselor.Role.PRACTICE_ADMIN
    )
    elsewhere = PracticeFactory(name="Elsewhere")
    CounselorFactory(practice=elsewhere, user=UserFactory(username="olga"))
    couple = couple_with_partners(counselor=maya, label="Rivera & Chen", names=("Sam", "Alex"))
    couple_with_partners(counselor=daniel, label="Nakamura & Berg", names=("Ken", "Ina"))
    for weeks_ago, balances in ((6, (6, 4)), (4, (7, 3)), (2, (8, 1))):
        assignment = week_of_answers(
            couple, time_map, maya, now - dt.timedelta(weeks=weeks_ago), balances
        )
    session = schedule_session(
        couple=couple, counselor=maya, starts_at=now + dt.timedelta(hours=20), now=now
    )
    response = Response.objects.filter(
        assignment__couple=couple, status=Response.Status.SUBMITTED
    ).latest("submitted_at")
    alert = Alert.objects.filter(couple=couple).first()
    assert alert is not None, "the widening gap raised no alert to read"

    def key(practice, scope):
        made, raw = create_api_key(
            practice=practice, name=scope, scope=scope, created_by=None, now=now
        )
        return made, {"HTTP_AUTHORIZATION": f"Bearer {raw}"}

    revoked, revoked_headers = key(harbor, ApiKey.Scope.READ_WRITE)
    revoke_api_keys(keys=ApiKey.objects.filter(pk=revoked.pk), now=now)
    return {
        "users": {
            "counselor": maya.user,
            "counselor without the CSRF token": maya.user,
            "other counselor": daniel.user,
            "practice admin": priya.user,
        },
        "headers": {
            "read key": key(harbor, ApiKey.Scope.READ)[1],
            "read-write key": key(harbor, ApiKey.Scope.READ_WRITE)[1],
            # Allowed to write, so that its writes reach the scoping, not the scope check.
            "other practice key": key(elsewhere, ApiKey.Scope.READ_WRITE)[1],
            "revoked key": revoked_headers,
            "unknown key": {"HTTP_AUTHORIZATION": "Bearer tk_00000000_" + "x" * 43},
            "anonymous": {},
        },
        "parameters": {
            "couple_id": couple.pk,
            "partner_id": couple.partners.order_by("pk").first().pk,
            "assignment_id": assignment.pk,
            "response_id": response.pk,
            "session_id": session.pk,
            "alert_id": alert.pk,
            "slug": time_map.slug,
            "version": time_map.version,
        },
        "fhir_ids": {
            "Questionnaire": time_map.pk,
            "QuestionnaireResponse": response.pk,
            "Observation": fhir.observations(response)[0]["id"],
        },
    }


# Path parameters that name something of one couple: a caller outside the couple's scope gets
# 404 for them, as if it did not exist.
COUPLE_PARAMETERS = {
    "couple_id",
    "partner_id",
    "assignment_id",
    "response_id",
    "session_id",
    "alert_id",
}
FHIR_COUPLE_RESOURCES = {"QuestionnaireResponse", "Observation"}


def fhir_resource_type(route: str) -> str:
    return route.removeprefix("api/fhir/").split("/")[0]


def parameters_of(route: str) -> list[str]:
    return re.findall(r"<(?:\w+:)?(\w+)>", route)


def url_of(route: str, world: dict) -> str:
    def value(match):
        name = match.group(1)
        if name == "resource_id":
            return str(world["fhir_ids"][fhir_resource_type(route)])
        assert name in world["parameters"], f"no seeded value for the path parameter {name}"
        return str(world["parameters"][name])

    return "/" + re.sub(r"<(?:\w+:)?(\w+)>", value, route)


def about_one_couple(route: str) -> bool:
    names = set(parameters_of(route))
    if "resource_id" in names:
        return fhir_resource_type(route) in FHIR_COUPLE_RESOURCES
    return bool(names & COUPLE_PARAMETERS)


ROLES = [
    "anonymous",
    "unknown key",
    "revoked key",
    "counselor",
    "counselor without the CSRF token",
    "other counselor",
    "practice admin",
    "read key",
    "read-write key",
    "other practice key",
]
OUTSIDERS = {"other counselor", "other practice key"}
COUNSELORS = {"counselor", "counselor without the CSRF token", "other counselor"}


def expected(route: str, method: str, role: str) -> set[int] | str:
    """The statuses `role` may get for `method` on `route`, or "allowed": a 2xx, or for a write
    with an empty body a 400 that names the fields it wants."""
    view = VIEWS[route]
    if AllowAny in view.permission_classes:
        failed_key = role in {"unknown key", "revoked key"} and view.authentication_classes
        return {401} if failed_key else {200}
    if role == "anonymous":
        return {403}
    if role in {"unknown key", "revoked key"}:
        return {401}
    writes = method not in SAFE_METHODS
    if writes and role in {"read key", "counselor without the CSRF token"}:
        return {403}
    if getattr(view, "practice_admins_only", False) and role in COUNSELORS:
        return {403}
    if role in OUTSIDERS and about_one_couple(route):
        return {404}
    return "allowed"


def send(client, method: str, route: str, world: dict, headers: dict):
    url = url_of(route, world)
    if method in SAFE_METHODS:
        return client.generic(method, url, **headers)
    if in_the_schema(route):
        documented = SCHEMA["paths"][schema_path(route)][method.lower()].get("parameters", [])
        if any(p["in"] == "header" and p["name"] == "Idempotency-Key" for p in documented):
            headers = {**headers, "HTTP_IDEMPOTENCY_KEY": str(uuid.uuid4())}
    return client.generic(method, url, "{}", content_type="application/json", **headers)


@pytest.fixture
def client():
    """A client that is held to the CSRF check, as a browser's requests are."""
    return Client(enforce_csrf_checks=True)


def sign_in(role: str, client, world: dict) -> dict:
    """Sign the client in as `role`; returns the headers its requests carry. A session's
    requests carry its CSRF token, as the dashboard's own forms do."""
    if role in world["users"]:
        client.force_login(world["users"][role])
        page = HttpRequest()
        token = get_token(page)
        client.cookies[settings.CSRF_COOKIE_NAME] = page.META["CSRF_COOKIE"]
        return {} if role.endswith("without the CSRF token") else {"HTTP_X_CSRFTOKEN": token}
    return world["headers"][role]


@pytest.mark.parametrize(
    ("route", "method"), ROUTE_METHODS, ids=[f"{m} /{r}" for r, m in ROUTE_METHODS]
)
@pytest.mark.parametrize("role", ROLES)
def test_each_role_gets_the_answer_its_access_allows_and_the_schema_describes(
    route, method, role, client, world, db
):
    response = send(client, method, route, world, sign_in(role, client, world))
    media_type, body = media_type_and_body(response)
    allowed = expected(route, method, role)
    if allowed == "allowed":
        status = response.status_code
        if method in SAFE_METHODS:
            assert status == 200, (status, body)
        else:
            assert 200 <= status < 300 or (status == 400 and field_errors(body)), (status, body)
    else:
        assert response.status_code in allowed, (response.status_code, body)
    if in_the_schema(route):
        validate(route, method, response.status_code, body, media_type)
    else:
        assert media_type in FHIR_MEDIA_TYPES, media_type
        fhir_resources(body)
    if role in OUTSIDERS:
        assert "Rivera & Chen" not in json.dumps(body), "an outsider was told of the couple"
