"""Schemathesis against the real server: every operation of the API's OpenAPI schema (the one
/api/schema/ serves, which docs/openapi.yaml must be), called by each kind of API caller (the
practice's read key and read-write key, another practice's key, a revoked key, no key), never
answers a server error nor anything off its schema: a documented status code, the documented
content type and headers, a body the schema allows, whatever media type the schema names for
that status (JSON, a problem document, CSV). And no partner's private answer, nor what they
told the counselor alone, is in any answer received.

The server is gunicorn as docker-compose.yml runs it, over the test PostgreSQL database: the
practice is seeded once for the whole file and committed, so that the server's workers read it
(pytest-django's live_server would empty the database after every operation's test, and
seeding again for each costs more than the whole run). Writes land in the same database. The
database is emptied when the file is done, as after any test that commits.
"""

import datetime as dt
import io
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from urllib.parse import unquote

import pytest
import schemathesis
import yaml
from django.core.management import call_command
from django.urls import Resolver404, resolve
from django.utils import timezone
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from rest_framework.permissions import SAFE_METHODS
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from clients.models import Couple, Partner
from tests.factories import CounselorFactory, PracticeFactory, couple_with_partners
from tests.integration.processes import free_port, process_env, running, wait_for
from tests.integration.test_compose_entry_points import web_command
from tests.smtp_servers import Sink, serving
from therapy.api_auth import KeyAwareView
from therapy.api_keys import create_api_key, revoke_api_keys
from therapy.models import Alert, ApiKey, CounselingSession, Counselor
from therapy.sessions import schedule_session
from worksheets.assignments import assign_worksheet
from worksheets.library import latest_templates, load_library
from worksheets.models import Assignment, Response, WorksheetItem, WorksheetTemplate
from worksheets.responses import save_draft, submit_response

# In every answer a partner keeps from the other (private, withheld, for the counselor alone,
# a safety check's words): none may reach an API client.
PRIVATE = "Kestrel-Umber-7741"

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
# The tests themselves only talk HTTP; the mark has the test database made for them.
pytestmark = pytest.mark.django_db


def made_schema() -> dict:
    """The schema as the code makes it now, which is what /api/schema/ serves (and what
    docs/openapi.yaml must be, tests/therapy/test_api_schema.py)."""
    made = io.StringIO()
    call_command("spectacular", stdout=made, stderr=io.StringIO())
    return yaml.safe_load(made.getvalue())


SERVED = made_schema()
# Two loadings of one schema. The read-write key, which reaches the most code, gets every
# phase: the schema's examples, the coverage phase's boundary and malformed values of every
# parameter and body field, then random ones. Every other caller reads the same views or is
# refused before any input is read, so random values (fewer of them) are enough.
schema = schemathesis.openapi.from_dict(SERVED)
schema.config.phases.update(phases=["examples", "coverage", "fuzzing"])
fuzzed_schema = schemathesis.openapi.from_dict(SERVED)
fuzzed_schema.config.phases.update(phases=["fuzzing"])


@dataclass
class World:
    """What the seeded practice gives the tests: each role's headers, the seeded rows' ids and
    slugs by the parameter name that carries them, and every body the server sent back."""

    headers: dict[str, dict[str, str]] = field(default_factory=dict)
    seeded_values: dict[str, list] = field(default_factory=dict)
    # (operation, role, method and URL, body) of every answer received.
    received: list[tuple[str, str, str, bytes]] = field(default_factory=list)


WORLD = World()


def with_seeded_values(parameters):
    """Each parameter that names a seeded row (`couple_id`, `slug`, ...) is most often one that
    exists, so that requests reach real rows as well as ids that exist nowhere."""
    if not parameters:
        return st.just(parameters)
    choices = {
        name: st.sampled_from([value, *WORLD.seeded_values[name]])
        for name, value in parameters.items()
        if WORLD.seeded_values.get(name)
    }
    return st.fixed_dictionaries(choices).map(lambda chosen: {**parameters, **chosen})


def flatmap_path_parameters(context, path_parameters):
    return with_seeded_values(path_parameters)


def flatmap_query(context, query):
    return with_seeded_values(query)


for loaded in (schema, fuzzed_schema):
    loaded.hook(flatmap_path_parameters)
    loaded.hook(flatmap_query)


# --- the seeded practice -------------------------------------------------------------------


def words_for(item: WorksheetItem, assignment) -> str:
    """Words that say who may read them: shared with the other partner, or kept private."""
    shared = assignment.visibility_of(item) == WorksheetItem.Visibility.SHARED
    if shared and not item.for_counselor:
        return f"Shared words on {item.key}"
    return f"{PRIVATE} kept to {item.key}"


def answers_for(template, assignment, *, signal: bool = False) -> dict:
    """A whole, valid set of answers: the first choice of each item that is not a safety
    signal (or one that is, when `signal`), and words that say who may read them."""
    kinds = WorksheetItem.Kind
    answers = {}
    for item in template.items.all():
        options = item.options
        kind = options.get("answer_kind", item.kind)
        if kind == kinds.AGREEMENT:
            answers[item.key] = len(options["anchors"]) // 2 + 1
        elif kind == kinds.SCALE:
            answers[item.key] = 6
        elif kind in (kinds.SINGLE_CHOICE, kinds.MULTIPLE_CHOICE):
            values = [c["value"] for c in options["choices"]]
            wanted = [v for v in values if (v in item.signal_answers) == signal] or values
            answers[item.key] = wanted[0] if kind == kinds.SINGLE_CHOICE else wanted[:1]
        elif kind == kinds.TIME_SPLIT:
            answers[item.key] = {c["key"]: 5 for c in options["categories"]}
        else:
            answers[item.key] = words_for(item, assignment)
    return answers


def hand_in(couple, template, counselor, *, at, withheld=(), signal=False):
    assignment = assign_worksheet(
        couple=couple,
        template=template,
        assigned_by=counselor,
        due_at=at + dt.timedelta(days=6),
        now=at,
    )
    for response in assignment.responses.order_by("partner_id"):
        answers = answers_for(template, assignment, signal=signal)
        if withheld:
            # Kept back by the partner: their words below are then theirs and the counselor's.
            for key in withheld:
                answers[key] = f"{PRIVATE} withheld {key}"
            save_draft(
                response_id=response.pk,
                partner=response.partner,
                answers=answers,
                withheld=set(withheld),
                now=at,
            )
        submit_response(
            response_id=response.pk,
            partner=response.partner,
            answers=answers,
            now=at + dt.timedelta(hours=2),
        )


def seed_practice() -> dict[str, dict[str, str]]:
    """Harbor Counseling: two couples with weeks of handed-in work (shared, private, withheld
    and counselor-only words), score and safety alerts, a session booked; another practice
    with a couple of its own; and a key for every role, whose headers it returns."""
    now = timezone.now()
    load_library()
    library = latest_templates()
    harbor = PracticeFactory(name="Harbor Counseling", time_zone="America/New_York")
    maya = CounselorFactory(practice=harbor, role=Counselor.Role.PRACTICE_ADMIN)
    rivera = couple_with_partners(counselor=maya, label="Rivera & Chen", names=("Sam", "Alex"))
    okafor = couple_with_partners(counselor=maya, label="Okafor & Lind", names=("Ada", "Lin"))
    for weeks_ago in (6, 4, 2):
        at = now - dt.timedelta(weeks=weeks_ago)
        hand_in(rivera, library.get(slug="time-map"), maya, at=at)
        hand_in(rivera, library.get(slug="weekly-checkin"), maya, at=at)
    hand_in(
        rivera,
        library.get(slug="vulnerability-reflection"),
        maya,
        at=now - dt.timedelta(days=3),
        withheld=["help_to_ask_for"],
    )
    hand_in(rivera, library.get(slug="support-preferences"), maya, at=now - dt.timedelta(days=2))
    hand_in(okafor, library.get(slug="needs-conversation"), maya, at=now - dt.timedelta(days=4))
    hand_in(
        okafor, library.get(slug="safety-check"), maya, at=now - dt.timedelta(days=1), signal=True
    )
    assign_worksheet(
        couple=okafor,
        template=library.get(slug="balance-inventory"),
        assigned_by=maya,
        due_at=now - dt.timedelta(days=1),
        now=now - dt.timedelta(days=8),
    )
    for couple in (rivera, okafor):
        schedule_session(
            couple=couple, counselor=maya, starts_at=now + dt.timedelta(hours=20), now=now
        )

    elsewhere = PracticeFactory(name="Elsewhere")
    olga = CounselorFactory(practice=elsewhere, role=Counselor.Role.PRACTICE_ADMIN)
    novak = couple_with_partners(counselor=olga, label="Novak & Reyes", names=("Iva", "Rui"))
    hand_in(novak, library.get(slug="weekly-checkin"), olga, at=now - dt.timedelta(days=5))

    def bearer(practice, scope):
        key, raw = create_api_key(
            practice=practice, name=scope, scope=scope, created_by=None, now=now
        )
        return key, {"Authorization": f"Bearer {raw}"}

    revoked, revoked_headers = bearer(harbor, ApiKey.Scope.READ_WRITE)
    revoke_api_keys(keys=ApiKey.objects.filter(pk=revoked.pk), now=now)
    return {
        "read key": bearer(harbor, ApiKey.Scope.READ)[1],
        "read-write key": bearer(harbor, ApiKey.Scope.READ_WRITE)[1],
        # Allowed to write, so that its writes reach the scoping, not the scope check.
        "other practice key": bearer(elsewhere, ApiKey.Scope.READ_WRITE)[1],
        "revoked key": revoked_headers,
        "no key": {},
    }


def seeded_values() -> dict[str, list]:
    """The seeded rows, by the names the API's parameters give them."""
    couples = Couple.objects.order_by("pk")
    return {
        "couple_id": list(couples.values_list("pk", flat=True)),
        "couple": list(couples.values_list("pk", flat=True)),
        "partner_id": list(Partner.objects.order_by("pk").values_list("pk", flat=True)),
        "partner": list(Partner.objects.order_by("pk").values_list("pk", flat=True)),
        "assignment_id": list(Assignment.objects.order_by("pk").values_list("pk", flat=True)),
        "response_id": list(Response.objects.order_by("pk").values_list("pk", flat=True)),
        "session_id": list(CounselingSession.objects.order_by("pk").values_list("pk", flat=True)),
        "alert_id": list(Alert.objects.order_by("pk").values_list("pk", flat=True)),
        "slug": sorted(set(WorksheetTemplate.objects.values_list("slug", flat=True))),
        "worksheet": sorted(set(WorksheetTemplate.objects.values_list("slug", flat=True))),
        "version": sorted(set(WorksheetTemplate.objects.values_list("version", flat=True))),
    }


@pytest.fixture(scope="module")
def seeded(django_db_setup, django_db_blocker):
    """The practice, committed for the server to read; the database emptied afterwards."""
    with django_db_blocker.unblock():
        WORLD.headers = seed_practice()
        WORLD.seeded_values = seeded_values()
        yield WORLD
        call_command("flush", interactive=False, verbosity=0)


def answers_health(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status == 200
    except (urllib.error.URLError, OSError):
        return False


@pytest.fixture(scope="module")
def server(seeded, tmp_path_factory):
    """gunicorn serving the seeded test database; its output is in the test's log file."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log = tmp_path_factory.mktemp("gunicorn") / "gunicorn.log"
    with serving(Sink()) as smtp:
        # No key may run out of requests here: the limit has tests of its own.
        env = process_env(
            smtp_port=smtp.port, site_url=url, API_KEY_RATE="1000000/min", DJANGO_DEBUG="false"
        )
        with running(web_command(port), env=env, log=log):
            wait_for(lambda: answers_health(f"{url}/healthz"), timeout=60, what="gunicorn")
            with urllib.request.urlopen(f"{url}/api/schema/", timeout=10) as served:
                assert yaml.safe_load(served.read()) == SERVED
            yield url


def routes_to_the_api(case) -> bool:
    """Whether the URL conf takes the case's path to an API view. A path parameter its
    converter refuses (-1 for an `<int:...>`) never reaches the operation: what such a path
    answers is checked once for every operation, below, rather than in every example."""
    try:
        match = resolve(unquote(case.formatted_path))
    except Resolver404:
        return False
    return issubclass(getattr(match.func, "view_class", object), KeyAwareView)


def call(case, role, server, *, headers=None, **sent):
    """Send the case as `role` (whatever credentials it was generated with are dropped), keep
    the body, and check the answer against the schema. `headers` and `sent` (a raw body) are
    sent as well."""
    case.headers = {
        name: value
        for name, value in (case.headers or {}).items()
        if name.lower() not in {"authorization", "cookie"}
    }
    case.cookies = {}
    response = case.call(
        base_url=server, headers={**WORLD.headers[role], **(headers or {})}, **sent
    )
    request = f"{response.request.method} {response.request.url}"
    WORLD.received.append((case.operation.label, role, request, response.content))
    case.validate_response(response, checks=CHECKS)
    return response


EXAMPLES = {"deadline": None, "derandomize": True, "suppress_health_check": list(HealthCheck)}


@schema.parametrize()
@pytest.mark.parametrize("role", ["read-write key"])
@settings(max_examples=20, **EXAMPLES)
def test_the_read_write_key_gets_answers_the_schema_allows(case, role, server):
    if routes_to_the_api(case):
        call(case, role, server)


@fuzzed_schema.parametrize()
@pytest.mark.parametrize("role", ["read key", "other practice key"])
@settings(max_examples=12, **EXAMPLES)
def test_the_read_key_and_another_practices_key_get_answers_the_schema_allows(case, role, server):
    if routes_to_the_api(case):
        response = call(case, role, server)
        if role == "read key" and case.method.upper() not in SAFE_METHODS:
            assert response.status_code == 403, response.text


@fuzzed_schema.parametrize()
@pytest.mark.parametrize(("role", "status"), [("revoked key", 401), ("no key", 403)])
@settings(max_examples=4, **EXAMPLES)
def test_a_refused_caller_gets_a_refusal_the_schema_allows(case, role, status, server):
    if routes_to_the_api(case):
        response = call(case, role, server)
        assert response.status_code == status, response.text


def off_schema(case, role, server, statuses, **sent) -> str | None:
    """What is wrong with the answer to `case`: off its schema, or not one of `statuses`."""
    try:
        response = call(case, role, server, **sent)
    except FailureGroup as failures:
        return "; ".join(
            f"{failure.title} ({' '.join(failure.message.split())})"
            for failure in failures.exceptions
        )
    if response.status_code not in statuses:
        return f"{response.status_code}, not {' or '.join(map(str, sorted(statuses)))}"
    return None


def operations():
    return [result.ok() for result in schema.get_all_operations()]


def unroutable_value(parameter):
    """A value the parameter's URL converter refuses: -1 for an id, a `!` in a slug."""
    return -1 if parameter.definition["schema"].get("type") == "integer" else "!"


def test_a_path_no_route_takes_answers_the_documented_404(server):
    """Every operation with a path parameter, given one its URL converter refuses (-1 for an
    id, which the schema allows): a 404 as the schema documents it. One test for all of them,
    naming each operation that answers otherwise, as this is one rule of the whole API."""
    wrong = {}
    for operation in operations():
        if len(operation.path_parameters):
            unroutable = {p.name: unroutable_value(p) for p in operation.path_parameters}
            case = operation.Case(path_parameters=unroutable)
            wrong[operation.label] = off_schema(case, "read-write key", server, {404})
    assert not any(wrong.values()), "\n".join(f"{k}: {v}" for k, v in wrong.items() if v)


def test_a_form_body_the_api_does_not_read_answers_as_documented(server):
    """Every operation that takes a body, sent a form body (multipart, with no boundary) by
    a caller who may write and by one with no key: the documented refusal, never a page."""
    wrong = {}
    form = {"headers": {"Content-Type": "multipart/form-data"}, "data": b"label=Rivera"}
    for operation in operations():
        if operation.body:
            case = operation.Case(path_parameters=first_seeded(operation))
            for role, statuses in (("read-write key", {400, 404, 415}), ("no key", {403})):
                found = off_schema(case, role, server, statuses, **form)
                wrong[f"{operation.label} as {role}"] = found
    assert not any(wrong.values()), "\n".join(f"{k}: {v}" for k, v in wrong.items() if v)


def first_seeded(operation) -> dict:
    """The path parameters of `operation`, each the first seeded row of its kind."""
    return {
        parameter.name: WORLD.seeded_values[parameter.name][0]
        for parameter in operation.path_parameters
    }


def test_no_private_answer_was_in_any_answer_received(server):
    """Over everything the tests above received: shared words did come back (so the answers
    were read), private ones never."""
    bodies = [body for *_, body in WORLD.received]
    assert any(b"Shared words on" in body for body in bodies), (
        "no answer was read at all (this test reads what the tests above received)"
    )
    leaks = [
        (label, role, request)
        for label, role, request, body in WORLD.received
        if PRIVATE.encode() in body
    ]
    assert leaks == []
