"""Every API route, found by walking the URL resolver, as every kind of caller: each gets the
status it should, and every answer, 200 or refusal, is exactly what the committed OpenAPI schema
says (no field missing, none undocumented)."""

import copy
import csv
import io
import re

import pytest
import yaml
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone
from jsonschema import Draft202012Validator

from tests.conftest import login
from tests.therapy.test_api_schema import COMMITTED
from therapy.api_auth import KeyAwareView
from therapy.api_keys import create_api_key, revoke_api_keys
from therapy.models import ApiKey

SCHEMA = yaml.safe_load(COMMITTED.read_text())


# The FHIR endpoints are left out of the OpenAPI schema (FHIR clients read their
# CapabilityStatement); tests/therapy/test_fhir.py calls each of them as each role.
FHIR_ROUTES = "api/fhir/"


def api_routes(patterns=None, prefix=""):
    """(route, view class) for every view of the API, wherever it is in the URL conf."""
    found = []
    for pattern in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(pattern, URLResolver):
            found += api_routes(pattern.url_patterns, prefix + str(pattern.pattern))
        elif isinstance(pattern, URLPattern):
            view = getattr(pattern.callback, "view_class", None)
            route = prefix + str(pattern.pattern)
            if view and issubclass(view, KeyAwareView) and not route.startswith(FHIR_ROUTES):
                found.append((route, view))
    return found


ROUTES = [route for route, _ in api_routes()]


def test_the_walk_finds_every_path_of_the_schema():
    assert {"/" + re.sub(r"<int:(\w+)>", r"{\1}", route) for route in ROUTES} == set(
        SCHEMA["paths"]
    )


def strict(schema):
    """The schema with no property beyond those it names, at every level."""
    schema = copy.deepcopy(schema)
    for component in schema["components"]["schemas"].values():
        if "properties" in component:
            component["additionalProperties"] = False
    return schema


STRICT = strict(SCHEMA)


def validate(route, status, body, media_type="application/json"):
    operation = SCHEMA["paths"]["/" + re.sub(r"<int:(\w+)>", r"{\1}", route)]["get"]
    response_schema = operation["responses"][str(status)]["content"][media_type]["schema"]
    validator = Draft202012Validator({**response_schema, "components": STRICT["components"]})
    errors = [f"{list(e.path)}: {e.message}" for e in validator.iter_errors(body)]
    assert errors == [], (route, errors)


def test_the_check_refuses_a_field_the_schema_does_not_name():
    caseload = next(route for route in ROUTES if "<int:" not in route)
    with pytest.raises(AssertionError, match="secret"):
        validate(caseload, 200, {"next": None, "previous": None, "results": [], "secret": 1})


def media_type_and_body(response):
    """What the answer is, as the schema names it, and its body: JSON, or a download's text."""
    media_type = response["Content-Type"].split(";")[0]
    if media_type == "application/json":
        return media_type, response.json()
    return media_type, response.content.decode()


def couple_labels(body):
    """The couples a list names: its JSON rows' labels, or a CSV's first column."""
    if isinstance(body, str):
        return [row[0] for row in csv.reader(io.StringIO(body))][1:]
    return [row["label"] for row in body["results"]]


def url_of(route, couple):
    return "/" + re.sub(r"<int:\w+>", str(couple.pk), route)


def key_of(practice):
    _, raw_key = create_api_key(
        practice=practice, name="Records", scope="read", created_by=None, now=timezone.now()
    )
    return {"HTTP_AUTHORIZATION": f"Bearer {raw_key}"}


def caller(role, client, maya, daniel, priya, outsider):
    """Sign the client in as `role`; returns the headers its requests carry."""
    if role == "counselor":
        login(client, maya)
    elif role == "other counselor":
        login(client, daniel)
    elif role == "practice admin":
        login(client, priya)
    elif role == "own practice key":
        return key_of(maya.practice)
    elif role == "other practice key":
        return key_of(outsider.practice)
    elif role == "revoked key":
        headers = key_of(maya.practice)
        revoke_api_keys(keys=ApiKey.objects.all(), now=timezone.now())
        return headers
    return {}


# For a route about one couple (Maya's), then for a list of couples.
EXPECTED = {
    "anonymous": (403, 403),
    "revoked key": (401, 401),
    "counselor": (200, 200),
    "other counselor": (404, 200),
    "practice admin": (200, 200),
    "own practice key": (200, 200),
    "other practice key": (404, 200),
}
# For a route of the practice's own figures (a view marked `practice_admins_only`): its admins
# and its keys only; another practice's key reads its own practice's.
PRACTICE_ADMINS_ONLY = {
    "anonymous": 403,
    "revoked key": 401,
    "counselor": 403,
    "other counselor": 403,
    "practice admin": 200,
    "own practice key": 200,
    "other practice key": 200,
}
VIEWS = dict(api_routes())


@pytest.mark.parametrize("route", ROUTES)
@pytest.mark.parametrize("role", list(EXPECTED))
def test_each_role_gets_the_right_answer_and_a_200_matches_the_schema(
    route, role, client, history, maya, daniel, priya, outsider
):
    headers = caller(role, client, maya, daniel, priya, outsider)
    response = client.get(url_of(route, history), **headers)
    about_one_couple = "<int:" in route
    practice_only = getattr(VIEWS[route], "practice_admins_only", False)
    expected = (
        PRACTICE_ADMINS_ONLY[role]
        if practice_only
        else EXPECTED[role][0 if about_one_couple else 1]
    )
    assert response.status_code == expected, response.content
    media_type, body = media_type_and_body(response)
    validate(route, response.status_code, body, media_type)  # refusals too: {"detail": ...}
    if response.status_code == 200 and not about_one_couple and not practice_only:
        assert ("Rivera & Chen" in couple_labels(body)) == (
            role not in {"other counselor", "other practice key"}
        )
