"""Every refusal of the API is an RFC 9457 problem (application/problem+json): each kind of
error, from the read endpoints as from the writes, with the shape the schema declares."""

import pytest
from django.urls import reverse
from jsonschema import Draft202012Validator

from tests.conftest import login
from tests.therapy.test_api_couples import COUPLES, couple_url, key_headers, pointers, send
from therapy.api_keys import revoke_api_keys
from therapy.api_problems import ProblemSerializer
from therapy.models import ApiKey

CASELOAD = reverse("api-caseload")
PROBLEM_SCHEMA = {
    "type": "object",
    "required": ["type", "title", "status", "detail"],
    "additionalProperties": False,
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["detail"],
                "additionalProperties": False,
                "properties": {
                    "detail": {"type": "string"},
                    "pointer": {"type": "string", "pattern": "^#(/.*)?$"},
                    "parameter": {"type": "string"},
                },
            },
        },
    },
}


def problem(response, status):
    """The problem's body, after checking what every problem has."""
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert list(Draft202012Validator(PROBLEM_SCHEMA).iter_errors(body)) == []
    assert body["status"] == status
    return body


def test_the_declared_problem_has_the_members_sent():
    assert set(ProblemSerializer().fields) == set(PROBLEM_SCHEMA["properties"])


def test_an_unknown_key_is_a_401_problem_with_the_bearer_challenge(db, client):
    response = client.get(CASELOAD, HTTP_AUTHORIZATION="Bearer tk_nothing_here")
    body = problem(response, 401)
    assert (body["type"], body["title"], body["detail"]) == (
        "about:blank",
        "Unauthorized",
        "Unknown API key.",
    )
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_a_revoked_key_is_a_401_problem(client, practice, couple):
    key, headers = key_headers(practice)
    revoke_api_keys(keys=ApiKey.objects.filter(pk=key.pk), now=key.created_at)
    body = problem(send(client, "patch", couple_url(couple), {"label": "X"}, **headers), 401)
    assert body["detail"] == "This API key has been revoked."


def test_no_credentials_is_a_403_problem(db, client):
    body = problem(client.get(CASELOAD), 403)
    assert body["detail"] == "Authentication credentials were not provided."


def test_a_read_key_writing_is_a_403_problem_of_its_own_type(client, practice, couple):
    _, headers = key_headers(practice, ApiKey.Scope.READ)
    body = problem(send(client, "patch", couple_url(couple), {"label": "X"}, **headers), 403)
    assert body["type"] == "tag:couples-worksheets,2026:problem:read-only-key"


def test_out_of_scope_is_a_404_problem_on_reads_and_writes(client, daniel, couple):
    login(client, daniel)
    for response in (
        client.get(reverse("api-scores", args=[couple.pk])),
        client.get(reverse("api-scores-csv", args=[couple.pk])),
        send(client, "patch", couple_url(couple), {"label": "X"}),
    ):
        assert problem(response, 404)["title"] == "Not Found"


def test_a_method_the_endpoint_has_not_is_a_405_problem(client, maya):
    login(client, maya)
    assert problem(send(client, "delete", COUPLES), 405)["title"] == "Method Not Allowed"


def test_a_body_that_is_not_json_is_a_415_and_broken_json_a_400_problem(client, maya):
    login(client, maya)
    problem(client.post(COUPLES, "label=X", content_type="text/plain"), 415)
    problem(client.post(COUPLES, {"label": "X"}), 415)  # a form post is not JSON either
    body = problem(client.post(COUPLES, "{not json", content_type="application/json"), 400)
    assert [error["pointer"] for error in body["errors"]] == ["#"]


@pytest.mark.parametrize("nested", ["[" * 5000 + "]" * 5000, '{"a":' * 5000 + "1" + "}" * 5000])
def test_json_nested_past_any_reason_is_a_400_problem_not_a_server_error(
    client, maya, couple, nested
):
    login(client, maya)
    for method, url in (("post", COUPLES), ("patch", couple_url(couple))):
        answer = getattr(client, method)(url, nested, content_type="application/json")
        assert "nested too deeply" in problem(answer, 400)["errors"][0]["detail"]


@pytest.mark.parametrize(
    ("body", "refused"),
    [
        ([1, 2], {"#"}),
        ({"label": "X", "partners": "two"}, {"#/partners"}),
        ({"label": "X", "partners": [{"name": "Sam"}]}, {"#/partners/0/email"}),
        ({"label": "X", "partners": [], "colour": "red"}, {"#/colour"}),
        (
            {"label": ["X"], "individual_work_only": "perhaps", "partners": [{"name": "S"}]},
            {"#/label", "#/individual_work_only", "#/partners/0/email"},
        ),
        (
            {"label": "X", "partners": [{"name": "S", "email": "s@mail.example", "age": 3}]},
            {"#/partners/0/age"},
        ),
    ],
)
def test_bad_fields_are_a_400_problem_pointing_at_each(client, maya, body, refused):
    login(client, maya)
    problem_body = problem(send(client, "post", COUPLES, body), 400)
    assert problem_body["type"] == "tag:couples-worksheets,2026:problem:invalid-request"
    assert set(pointers(send(client, "post", COUPLES, body))) == refused


def test_a_refused_query_parameter_is_named_as_a_parameter(client, maya):
    login(client, maya)
    body = problem(client.get(CASELOAD, {"sort": "age"}), 400)
    assert body["errors"] == [{"detail": '"age" is not a valid choice.', "parameter": "sort"}]


def test_the_rate_limit_is_a_429_problem_with_retry_after(client, practice, settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"api_key": "1/min"},
    }
    _, headers = key_headers(practice, ApiKey.Scope.READ)
    client.get(CASELOAD, **headers)
    response = client.get(CASELOAD, **headers)
    assert problem(response, 429)["title"] == "Too Many Requests"
    assert int(response["Retry-After"]) > 0


def test_an_id_beyond_any_row_is_a_404_or_400_problem_not_a_server_error(client, priya, couple):
    login(client, priya)
    huge = 10**30
    for url in (
        f"/api/v1/couples/{huge}/",
        f"/api/v1/partners/{huge}/",
        f"/api/v1/sessions/{huge}/",
        f"/api/v1/alerts/{huge}/",
    ):
        problem(client.get(url), 404)
    body = problem(send(client, "patch", couple_url(couple), {"counselors": [huge]}), 400)
    assert [error["pointer"] for error in body["errors"]] == ["#/counselors/0"]
    problem(client.get(reverse("api-alerts"), {"couple": huge}), 400)


def test_a_write_with_a_session_needs_its_csrf_token(maya, couple):
    from django.test import Client

    browser = login(Client(enforce_csrf_checks=True), maya)
    body = problem(send(browser, "patch", couple_url(couple), {"label": "X"}), 403)
    assert body["detail"].startswith("CSRF Failed")
    couple.refresh_from_db()
    assert couple.label == "Rivera & Chen"


@pytest.mark.parametrize(
    ("path", "media_type", "says"),
    [
        ("/api/v1/couples/-1/", "application/problem+json", '"status": 404'),
        ("/api/v1/no-such-thing/", "application/problem+json", '"status": 404'),
        ("/api/fhir/NoSuchResource", "application/fhir+json", '"OperationOutcome"'),
    ],
)
def test_a_path_no_route_takes_is_refused_in_the_apis_own_terms(client, db, path, media_type, says):
    response = client.get(path)
    assert response.status_code == 404
    assert response["Content-Type"] == media_type
    assert says in response.content.decode()


def test_a_page_no_route_takes_outside_the_api_is_the_sites_own_page(client, db):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")
