"""The FHIR endpoints (/api/fhir/): every resource they send is valid FHIR, no answer a partner
kept private is in any of them, and each caller reaches exactly what the rest of the API lets
them reach.

Resources are validated with fhir.resources' R4B models: R4B is the R4-compatible release
that package carries (it has no plain R4 module), and what we send is R4 (4.0.1).
"""

import datetime as dt
import json
from pathlib import Path

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.capabilitystatement import CapabilityStatement
from fhir.resources.R4B.observation import Observation
from fhir.resources.R4B.operationoutcome import OperationOutcome
from fhir.resources.R4B.questionnaire import Questionnaire
from fhir.resources.R4B.questionnaireresponse import QuestionnaireResponse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import login
from therapy import fhir, fhir_urls
from therapy.api_keys import create_api_key, revoke_api_keys
from therapy.models import AccessLog, ApiKey
from worksheets.assignments import assign_worksheet
from worksheets.library import LIBRARY_DIR, load_template, parse_template_file
from worksheets.models import Response, WorksheetItem, WorksheetTemplate
from worksheets.responses import save_draft, submit_response

Kind = WorksheetItem.Kind
BASE = "/api/fhir/"
MODELS = {
    "Bundle": Bundle,
    "CapabilityStatement": CapabilityStatement,
    "Observation": Observation,
    "OperationOutcome": OperationOutcome,
    "Questionnaire": Questionnaire,
    "QuestionnaireResponse": QuestionnaireResponse,
}


def valid(resource: dict) -> dict:
    """`resource`, after its R4B model (and each of a Bundle's entries') accepted it."""
    MODELS[resource["resourceType"]].model_validate(resource)
    for entry in resource.get("entry", []) if resource["resourceType"] == "Bundle" else []:
        valid(entry["resource"])
    return resource


def fhir_json(answer, status=200) -> dict:
    assert answer.status_code == status, answer.content
    assert answer["Content-Type"] == "application/fhir+json"
    assert answer["Cache-Control"] == "no-store"
    return valid(answer.json())


def ndjson(answer) -> list[dict]:
    assert answer.status_code == 200
    assert answer["Content-Type"] == "application/fhir+ndjson"
    text = b"".join(answer.streaming_content).decode()
    assert text == "" or text.endswith("\n")
    return [valid(json.loads(line)) for line in text.splitlines()]


def bearer(practice, scope=ApiKey.Scope.READ) -> dict:
    _, raw_key = create_api_key(
        practice=practice, name="Records", scope=scope, created_by=None, now=timezone.now()
    )
    return {"HTTP_AUTHORIZATION": f"Bearer {raw_key}"}


def answer_kind(item: WorksheetItem) -> str:
    return item.options["answer_kind"] if item.kind == Kind.PERCEPTION else item.kind


def first_allowed(item, values):
    return next(value for value in values if value not in item.signal_answers)


def full_answers(template: WorksheetTemplate, partner_number: int = 1) -> dict:
    """An answer to every item that raises no safety signal; each written answer says whose
    answer to which item it is, so a test can look for it anywhere."""
    answers = {}
    for item in template.items.all():
        kind = answer_kind(item)
        if kind == Kind.AGREEMENT:
            value = first_allowed(item, [4, 3, 2, 5, 1])
        elif kind == Kind.SCALE:
            value = first_allowed(item, [7, 6, 5, 3])
        elif kind in (Kind.SINGLE_CHOICE, Kind.MULTIPLE_CHOICE):
            allowed = [c["value"] for c in item.options["choices"]]
            allowed = [v for v in allowed if v not in item.signal_answers]
            limit = item.options.get("max_choices", 1)
            value = allowed[0] if kind == Kind.SINGLE_CHOICE else allowed[: min(2, limit)]
        elif kind == Kind.TEXT:
            value = f"Partner {partner_number} wrote this for {item.key}"
        else:
            value = {category["key"]: 4 for category in item.options["categories"]}
        answers[item.key] = value
    return answers


def hand_in(couple, template, counselor, *, overrides=None, withheld=(), for_partner=None):
    """The couple's partners (or `for_partner`) answer `template` in full and submit; the
    n-th partner keeps `withheld[n]` to themselves and the counselor."""
    now = timezone.now()
    assignment = assign_worksheet(
        couple=couple,
        template=template,
        assigned_by=counselor,
        due_at=now + dt.timedelta(days=7),
        now=now,
        visibility_overrides=overrides,
        for_partner=for_partner,
    )
    responses = list(assignment.responses.order_by("partner_id"))
    for number, response in enumerate(responses, start=1):
        kept = set(withheld[number - 1]) if len(withheld) >= number else set()
        save_draft(
            response_id=response.pk, partner=response.partner, answers={}, now=now, withheld=kept
        )
        submit_response(
            response_id=response.pk,
            partner=response.partner,
            answers=full_answers(template, number),
            now=now,
        )
    return [Response.objects.get(pk=response.pk) for response in responses]


@pytest.fixture
def key(practice):
    """A read key of Maya's practice, as its records system would hold it."""
    return bearer(practice)


@pytest.fixture
def conversation(couple, library, maya):
    """Both partners handed in the needs conversation, with its six written answers."""
    return hand_in(couple, library.get(slug="needs-conversation"), maya)


# --- Questionnaires ------------------------------------------------------------------------------


def test_every_library_worksheet_version_is_a_valid_questionnaire(library, client, key):
    templates = list(fhir.questionnaire_templates())
    assert len(templates) == len(list(LIBRARY_DIR.glob("*.yaml")))
    for template in templates:
        resource = valid(fhir.questionnaire(template))
        assert resource["url"] == f"http://127.0.0.1:8000/fhir/Questionnaire/{template.slug}"
        assert (resource["version"], resource["status"]) == (str(template.version), "active")
        assert "for use with a counselor, not a diagnosis" in resource["description"]
        assert resource == fhir_json(client.get(f"{BASE}Questionnaire/{template.pk}", **key))


def questions(items):
    """Every question of a Questionnaire or QuestionnaireResponse by linkId, inside parts."""
    found = {}
    for item in items:
        found[item["linkId"]] = item
        found |= questions(item.get("item", []))
    return found


def test_parts_are_groups_and_each_question_has_its_type_range_and_labels(library):
    time_map = library.get(slug="time-map")
    resource = fhir.questionnaire(fhir.questionnaire_templates().get(pk=time_map.pk))
    parts = [item for item in resource["item"] if item["type"] == "group"]
    assert [part["text"] for part in parts][:2] == [
        "Your week now",
        "Your week as you would like it",
    ]
    found = questions(resource["item"])
    togetherness = found["preferred_togetherness"]
    assert togetherness["type"] == "integer"
    assert [e["valueInteger"] for e in togetherness["extension"]] == [0, 10]
    assert "0: Mostly time on my own; 10: Mostly time together" in [
        child["text"] for child in togetherness["item"]
    ]
    assert found["guess_partner_togetherness"]["type"] == "integer"  # on the scale it guesses
    assert found["time_together_feels"]["answerOption"][0]["valueCoding"] == {
        "code": "want_it",
        "display": "Like time I want and look forward to",
    }
    assert found["room_to_grow"]["repeats"] is True
    assert found["new_thing_to_try"]["type"] == "text"
    assert found["week_now"]["type"] == "group"
    assert found["week_now.just_us"]["type"] == "integer"
    agreement = questions(
        fhir.questionnaire(fhir.questionnaire_templates().get(slug="balance-inventory"))["item"]
    )["share_worries"]
    assert agreement["type"] == "choice"
    assert [o["valueCoding"]["display"] for o in agreement["answerOption"]][::4] == [
        "Strongly disagree",
        "Strongly agree",
    ]


def test_an_older_version_is_retired_and_both_are_listed_a_page_at_a_time(library, client, key):
    parsed = parse_template_file(Path(LIBRARY_DIR / "time-map.yaml"))
    load_template({**parsed, "title": "Time map, revised", "source_hash": "0" * 64})
    first = fhir_json(client.get(f"{BASE}Questionnaire", {"_count": 3}, **key))
    assert first["total"] == WorksheetTemplate.objects.count() == len(library) + 1 == 9
    assert len(first["entry"]) == 3
    links = {link["relation"]: link["url"] for link in first["link"]}
    assert "previous" not in links
    second = fhir_json(client.get(links["next"], **key))
    assert {link["relation"] for link in second["link"]} == {"self", "next", "previous"}
    versions = fhir_json(
        client.get(
            f"{BASE}Questionnaire",
            {"url": "http://127.0.0.1:8000/fhir/Questionnaire/time-map"},
            **key,
        )
    )
    found = {e["resource"]["version"]: e["resource"]["status"] for e in versions["entry"]}
    assert found == {"1": "retired", "2": "active"}


# --- QuestionnaireResponses ----------------------------------------------------------------------


def test_each_answer_has_the_type_of_its_question(couple, partner_a, library, maya):
    for template in fhir.questionnaire_templates():
        for_partner = partner_a if template.is_safety_check else None
        everything_shared = {
            item.key: "shared" for item in template.items.all() if item.kind != Kind.TEXT
        }
        [response, *_] = hand_in(
            couple, template, maya, overrides=everything_shared, for_partner=for_partner
        )
        asked = questions(fhir.questionnaire(template)["item"])
        [response] = fhir.submitted_responses_for(maya.user).filter(pk=response.pk)
        resource = valid(fhir.questionnaire_response(response))
        assert resource["questionnaire"] == f"{fhir.questionnaire_url(template)}|1"
        answered = questions(resource["item"])
        # Every answer of a safety check is for the counselor's eyes in the dashboard only.
        assert bool(answered) != template.is_safety_check, template.slug
        for link_id, item in answered.items():
            question = asked[link_id]
            for answer in item.get("answer", []):
                if question["type"] == "choice":
                    codes = {o["valueCoding"]["code"] for o in question["answerOption"]}
                    assert answer["valueCoding"]["code"] in codes, (template.slug, link_id)
                elif question["type"] == "integer":
                    low, high = (e["valueInteger"] for e in question["extension"][:2])
                    assert low <= answer["valueInteger"] <= high, (template.slug, link_id)
                else:
                    assert question["type"] == "text" and "valueString" in answer
            if question["type"] == "group":
                assert "answer" not in item and item["item"]


def test_a_response_names_its_partner_by_id_and_display_name_only(conversation, client, key):
    response = conversation[0]
    resource = fhir_json(client.get(f"{BASE}QuestionnaireResponse/{response.pk}", **key))
    assert resource["status"] == "completed"
    assert resource["authored"] == response.submitted_at.isoformat().replace("+00:00", "Z")
    partner = {
        "reference": f"Patient/{response.partner_id}",
        "type": "Patient",
        "display": response.partner.display_name,
    }
    assert resource["subject"] == resource["source"] == partner
    assert response.partner.email not in json.dumps(resource)


def test_answers_kept_private_are_in_no_response(couple, library, maya, client, key):
    conversation = library.get(slug="needs-conversation")
    hand_in(
        couple,
        conversation,
        maya,
        overrides={"can_offer": "private"},
        withheld=[{"ask_for"}, set()],
    )
    body = json.dumps(fhir_json(client.get(f"{BASE}QuestionnaireResponse", **key)))
    assert "Partner 1 wrote this for opening_line" in body  # shared
    assert "Partner 1 wrote this for ask_for" not in body  # kept back by partner 1
    assert "Partner 2 wrote this for ask_for" in body
    assert "wrote this for can_offer" not in body  # made private by the counselor
    assert "wrote this for worries" not in body  # private in the worksheet itself


def test_a_partner_can_be_searched_for_and_pages_are_bounded(
    couple, partner_a, library, maya, client, key
):
    for _ in range(3):
        hand_in(couple, library.get(slug="weekly-checkin"), maya)
    mine = fhir_json(
        client.get(
            f"{BASE}QuestionnaireResponse",
            {"subject": f"Patient/{partner_a.pk}", "_count": 2},
            **key,
        )
    )
    assert mine["total"] == 3 and len(mine["entry"]) == 2
    assert {e["resource"]["subject"]["reference"] for e in mine["entry"]} == {
        f"Patient/{partner_a.pk}"
    }
    everything = fhir_json(client.get(f"{BASE}QuestionnaireResponse", {"_count": 1000}, **key))
    assert everything["total"] == 6 and len(everything["entry"]) == 6
    many = Response.objects.filter(status=Response.Status.SUBMITTED).first()
    for _ in range(110):
        many.pk = None
        many.occurrence += 1
        many.save()
    capped = fhir_json(client.get(f"{BASE}QuestionnaireResponse", {"_count": 1000}, **key))
    assert len(capped["entry"]) == 100


# --- Observations --------------------------------------------------------------------------------


def test_stored_scores_are_observations_derived_from_their_response(
    couple, library, maya, client, key
):
    [response, _] = hand_in(couple, library.get(slug="balance-inventory"), maya)
    # What is sent is what was stored at submission, never worked out again.
    response.scores["subscales"][0]["score"] = 1.23
    response.save(update_fields=["scores"])
    bundle = fhir_json(
        client.get(
            f"{BASE}Observation",
            {"derived-from": f"QuestionnaireResponse/{response.pk}"},
            **key,
        )
    )
    found = {e["resource"]["code"]["coding"][0]["code"]: e["resource"] for e in bundle["entry"]}
    subscales = [s["key"] for s in response.scores["subscales"] if s["score"] is not None]
    assert set(found) == {*subscales, "preferred_balance", "map_connection", "map_autonomy"}
    first = found[response.scores["subscales"][0]["key"]]
    assert first["valueQuantity"]["value"] == 1.23
    assert found["preferred_balance"]["valueInteger"] == response.scores["preferred_balance"]
    assert found["map_connection"]["valueQuantity"]["value"] == response.scores["map"]["connection"]
    for observation in found.values():
        assert observation["derivedFrom"] == [{"reference": f"QuestionnaireResponse/{response.pk}"}]
        assert observation["code"]["coding"][0]["system"] == (
            "http://127.0.0.1:8000/fhir/CodeSystem/worksheet-scores"
        )
        assert observation["category"][0]["coding"][0]["code"] == "survey"
        assert "not a diagnosis" in observation["note"][0]["text"]
        assert observation["effectiveDateTime"].endswith("Z")
        single = client.get(f"{BASE}Observation/{observation['id']}", **key)
        assert fhir_json(single) == observation


# --- Refusals ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("QuestionnaireResponse", {"subject": "Group/3"}),
        ("QuestionnaireResponse", {"patient": "1"}),
        ("QuestionnaireResponse", {"_count": "many"}),
        ("Observation", {"_page": "0"}),
        ("Observation", {"derived-from": "Observation/1"}),
        ("Questionnaire", {"title": "x"}),
        ("$export", {"_type": "Patient"}),
        ("$export", {"_outputFormat": "text/csv"}),
    ],
)
def test_a_bad_parameter_answers_400_with_an_operation_outcome(client, key, path, params):
    outcome = fhir_json(client.get(BASE + path, params, **key), status=400)
    assert outcome["issue"][0]["code"] == "invalid"
    assert outcome["issue"][0]["diagnostics"]


@pytest.mark.parametrize(
    "path",
    [
        "Questionnaire/999999",
        "Questionnaire/time-map",
        "QuestionnaireResponse/999999",
        "QuestionnaireResponse/x",
        "Observation/999999-preferred-balance",
        "Observation/nonsense",
    ],
)
def test_an_unknown_id_answers_404_with_an_operation_outcome(client, key, library, path):
    outcome = fhir_json(client.get(BASE + path, **key), status=404)
    assert outcome["issue"][0]["code"] == "not-found"


def test_a_draft_is_not_a_questionnaire_response(couple, library, maya, client, key):
    now = timezone.now()
    assignment = assign_worksheet(
        couple=couple,
        template=library.get(slug="weekly-checkin"),
        assigned_by=maya,
        due_at=now + dt.timedelta(days=7),
        now=now,
    )
    draft = assignment.responses.first()
    save_draft(response_id=draft.pk, partner=draft.partner, answers={}, now=now)
    fhir_json(client.get(f"{BASE}QuestionnaireResponse/{draft.pk}", **key), status=404)


def test_the_capability_statement_is_open_and_lists_what_is_served(client, db):
    statement = fhir_json(client.get(f"{BASE}metadata"))
    assert statement["fhirVersion"] == "4.0.1"
    [rest] = statement["rest"]
    assert {r["type"] for r in rest["resource"]} == {
        "Questionnaire",
        "QuestionnaireResponse",
        "Observation",
    }
    assert rest["operation"][0]["name"] == "export"


# --- Each role -----------------------------------------------------------------------------------


def caller(role, client, maya, daniel, priya, outsider) -> dict:
    """Sign the client in as `role`; returns the headers its requests carry."""
    if role in {"counselor", "other counselor", "practice admin"}:
        login(client, {"counselor": maya, "other counselor": daniel, "practice admin": priya}[role])
    elif role == "own practice key":
        return bearer(maya.practice)
    elif role == "other practice key":
        return bearer(outsider.practice)
    elif role == "revoked key":
        headers = bearer(maya.practice)
        revoke_api_keys(keys=ApiKey.objects.all(), now=timezone.now())
        return headers
    return {}


# Every route but the CapabilityStatement, which is open to all (see its test above).
WALKED = [
    "Questionnaire",
    "Questionnaire/<str:resource_id>",
    "QuestionnaireResponse",
    "QuestionnaireResponse/<str:resource_id>",
    "Observation",
    "Observation/<str:resource_id>",
    "$export",
]


def test_the_role_walk_calls_every_fhir_route():
    assert {str(route.pattern) for route in fhir_urls.urlpatterns} == {*WALKED, "metadata"}


SEES_MAYAS_COUPLE = {"counselor", "practice admin", "own practice key"}
ROLES = ["anonymous", "revoked key", "other counselor", "other practice key", *SEES_MAYAS_COUPLE]


@pytest.mark.parametrize("role", ROLES)
def test_each_role_reaches_what_the_rest_of_the_api_lets_it(
    role, client, couple, daniels_couple, library, maya, daniel, priya, outsider
):
    hand_in(daniels_couple, library.get(slug="weekly-checkin"), daniel)
    [response, _] = hand_in(couple, library.get(slug="balance-inventory"), maya)
    [observation, *_] = fhir.observations(response)
    headers = caller(role, client, maya, daniel, priya, outsider)
    ids = {
        "Questionnaire": response.assignment.template_id,
        "QuestionnaireResponse": response.pk,
        "Observation": observation["id"],
    }
    paths = [
        route.replace("<str:resource_id>", str(ids.get(route.split("/")[0]))) for route in WALKED
    ]
    answers = {path: client.get(BASE + path, **headers) for path in paths}
    if role in {"anonymous", "revoked key"}:
        status = 403 if role == "anonymous" else 401
        for path, answer in answers.items():
            assert fhir_json(answer, status=status)["resourceType"] == "OperationOutcome", path
        if role == "revoked key":
            assert answers["Questionnaire"]["WWW-Authenticate"].startswith("Bearer")
        return
    sees = role in SEES_MAYAS_COUPLE
    for path in paths[:2]:
        fhir_json(answers[path])
    for path in (paths[3], paths[5]):
        fhir_json(answers[path], status=200 if sees else 404)
    listed = json.dumps(fhir_json(answers["QuestionnaireResponse"]))
    assert (f"Patient/{response.partner_id}" in listed) == sees
    exported = json.dumps(ndjson(answers["$export"]))
    assert (f"Patient/{response.partner_id}" in exported) == sees
    assert ('"Questionnaire"' in exported) is True
    daniels = f"Patient/{daniels_couple.partners.first().pk}"
    assert (daniels in listed) == (
        role in {"other counselor", "practice admin", "own practice key"}
    )


def test_a_write_is_refused_even_to_a_read_and_write_key(client, practice, conversation):
    headers = bearer(practice, scope=ApiKey.Scope.READ_WRITE)
    answer = client.post(f"{BASE}QuestionnaireResponse", {}, **headers)
    assert fhir_json(answer, status=405)["resourceType"] == "OperationOutcome"


# --- Private answers, whatever the sharing settings ----------------------------------------------

TEXT_ITEMS = ["ask_for", "opening_line", "want_understood", "can_offer", "worries", "stay_calm"]
sharing = st.fixed_dictionaries(
    {},
    optional={key: st.sampled_from(["private", "shared"]) for key in TEXT_ITEMS},
)
kept_back = st.sets(st.sampled_from(TEXT_ITEMS))


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(overrides=sharing, withheld_a=kept_back, withheld_b=kept_back)
def test_no_private_answer_is_in_any_fhir_output(
    overrides, withheld_a, withheld_b, client, couple, library, maya
):
    login(client, maya)
    template = library.get(slug="needs-conversation")
    items = {item.key: item for item in template.items.all()}
    with transaction.atomic():
        responses = hand_in(
            couple, template, maya, overrides=overrides, withheld=[withheld_a, withheld_b]
        )
        outputs = [client.get(f"{BASE}QuestionnaireResponse").content.decode()]
        outputs += [client.get(f"{BASE}Observation").content.decode()]
        outputs += [json.dumps(ndjson(client.get(f"{BASE}$export")))]
        for response in responses:
            outputs.append(
                client.get(f"{BASE}QuestionnaireResponse/{response.pk}").content.decode()
            )
            for observation in fhir.observations(response):
                outputs.append(
                    client.get(f"{BASE}Observation/{observation['id']}").content.decode()
                )
        everything = "\n".join(outputs)
        for number, (response, withheld) in enumerate(
            zip(responses, (withheld_a, withheld_b), strict=True), start=1
        ):
            assignment = response.assignment
            for key in TEXT_ITEMS:
                text = f"Partner {number} wrote this for {key}"
                shared = assignment.visibility_of(items[key]) == WorksheetItem.Visibility.SHARED
                assert (text in everything) == (shared and key not in withheld), (key, number)
        transaction.set_rollback(True)


# --- Bulk export ---------------------------------------------------------------------------------


def test_the_export_streams_every_resource_once_per_line_and_logs_each_couple_once(
    conversation, daniels_couple, library, maya, daniel, client, key
):
    hand_in(daniels_couple, library.get(slug="weekly-checkin"), daniel)
    AccessLog.objects.all().delete()
    lines = ndjson(client.get(f"{BASE}$export", **key))
    kinds = [line["resourceType"] for line in lines]
    assert kinds == sorted(
        kinds, key=["Questionnaire", "QuestionnaireResponse", "Observation"].index
    )
    assert kinds.count("Questionnaire") == WorksheetTemplate.objects.count()
    assert kinds.count("QuestionnaireResponse") == 4
    assert len({(line["resourceType"], line["id"]) for line in lines}) == len(lines)
    logged = sorted(AccessLog.objects.values_list("couple__label", "what"))
    assert logged == [
        ("Nakamura & Berg", "FHIR bulk export (API)"),
        ("Rivera & Chen", "FHIR bulk export (API)"),
    ]
    only = ndjson(client.get(f"{BASE}$export", {"_type": "Observation,Questionnaire"}, **key))
    assert {line["resourceType"] for line in only} == {"Observation", "Questionnaire"}
    AccessLog.objects.all().delete()
    ndjson(client.get(f"{BASE}$export", {"_type": "Questionnaire"}, **key))
    assert not AccessLog.objects.exists()  # no client data in it


def test_a_counselor_exports_their_caseload_only(
    conversation, daniels_couple, library, maya, daniel, client
):
    hand_in(daniels_couple, library.get(slug="weekly-checkin"), daniel)
    login(client, daniel)
    lines = ndjson(client.get(f"{BASE}$export", {"_type": "QuestionnaireResponse"}))
    assert {line["subject"]["display"] for line in lines} == {"Ken", "Ina"}


def test_reads_log_each_couple_they_show(conversation, client, key):
    AccessLog.objects.all().delete()
    fhir_json(client.get(f"{BASE}QuestionnaireResponse", **key))
    fhir_json(client.get(f"{BASE}QuestionnaireResponse/{conversation[0].pk}", **key))
    assert list(AccessLog.objects.values_list("couple__label", "what").order_by("pk")) == [
        ("Rivera & Chen", "FHIR QuestionnaireResponse search (API)"),
        ("Rivera & Chen", "FHIR QuestionnaireResponse (API)"),
    ]


# --- Query counts --------------------------------------------------------------------------------


def queries_of(client, key, path):
    with CaptureQueriesContext(connection) as queries:
        answer = client.get(BASE + path, **key)
        if answer.streaming:
            b"".join(answer.streaming_content)
    return len(queries)


# The export: the key (1), the couples it holds (1) and an access log row for the one couple
# (1), then the templates and their items (2), the responses with their partners, assignments,
# couples and templates and the templates' items (2), and again for the Observations (2).
# A search: the key (1), the count (1), the page of responses and their templates' items (2),
# and the access log row (1).
QUERIES = {"$export": 9, "QuestionnaireResponse": 5, "Observation": 5}


@pytest.mark.parametrize("path", list(QUERIES))
def test_the_queries_do_not_grow_with_the_number_of_responses(
    path, couple, library, maya, client, key
):
    checkin = library.get(slug="weekly-checkin")
    hand_in(couple, checkin, maya)
    queries_of(client, key, path)  # the key's first use is noted; later ones within a minute not
    assert queries_of(client, key, path) == QUERIES[path]
    for _ in range(4):
        hand_in(couple, checkin, maya)
    assert Response.objects.filter(status=Response.Status.SUBMITTED).count() == 10
    assert queries_of(client, key, path) == QUERIES[path]
