"""FHIR R4 resources, as plain dicts, from the product's own rows (docs/fhir.md).

- A worksheet template version is a Questionnaire: each part (an item's `section`) a group,
  each question an item of the matching type.
- A submitted response is a QuestionnaireResponse holding only the answers the API may show:
  those the other partner may see (therapy.access.answers_visible_to_partner), the rule the
  rest of the API and the brief's shared answers follow. An answer a partner kept to
  themselves and the counselor, a counselor-only item and a safety signal are in no resource.
- Its scores, as stored at submission and never worked out again, are Observations derived
  from it, coded in the product's own CodeSystem.

Every reference to a partner is by id, with the display name the dashboard shows the same
caller. The functions here neither scope nor log: the views do (therapy/api_fhir.py).
"""

import itertools
import re

from django.conf import settings
from django.db.models import Exists, OuterRef, QuerySet

from therapy import access
from therapy.exports import utc_iso
from worksheets.models import Response, WorksheetItem, WorksheetTemplate

Kind = WorksheetItem.Kind
NOT_A_DIAGNOSIS = (
    "A reflective exercise for use with a counselor, not a diagnosis or a validated measure."
)
RESOURCE_TYPES = ("Questionnaire", "QuestionnaireResponse", "Observation")
SURVEY = {
    "coding": [
        {
            "system": "http://terminology.hl7.org/CodeSystem/observation-category",
            "code": "survey",
            "display": "Survey",
        }
    ]
}
MIN_VALUE = "http://hl7.org/fhir/StructureDefinition/minValue"
MAX_VALUE = "http://hl7.org/fhir/StructureDefinition/maxValue"
MAX_OCCURS = "http://hl7.org/fhir/StructureDefinition/questionnaire-maxOccurs"
# A score is a figure on the worksheet's own scale, with no unit of measure: UCUM's
# annotation form says so.
SCORE_UNIT = {"unit": "score", "system": "http://unitsofmeasure.org", "code": "{score}"}


def canonical(path: str) -> str:
    """A canonical address of the product's own: read when called, so it follows SITE_URL."""
    return f"{settings.SITE_URL}/fhir/{path}"


def score_system() -> str:
    return canonical("CodeSystem/worksheet-scores")


def questionnaire_url(template: WorksheetTemplate) -> str:
    return canonical(f"Questionnaire/{template.slug}")


def partner_reference(partner) -> dict:
    return {
        "reference": f"Patient/{partner.pk}",
        "type": "Patient",
        "display": partner.display_name,
    }


# --- Reads ---------------------------------------------------------------------------------------


def questionnaire_templates() -> QuerySet[WorksheetTemplate]:
    """Every version of every worksheet, with its items and whether it is the newest: a
    worksheet is no client's data, so every caller of the API reads them all."""
    newer = WorksheetTemplate.objects.filter(slug=OuterRef("slug"), version__gt=OuterRef("version"))
    return (
        WorksheetTemplate.objects.annotate(is_latest=~Exists(newer))
        .prefetch_related("items")
        .order_by("pk")
    )


def submitted_responses_for(user) -> QuerySet[Response]:
    """The caller's couples' submitted responses (therapy.access scopes them), with what a
    resource names, in a fixed number of queries whatever their number."""
    return (
        access.responses_for(user)
        .filter(status=Response.Status.SUBMITTED)
        .select_related("partner", "assignment__template", "assignment__couple")
        .prefetch_related("assignment__template__items")
        .order_by("pk")
    )


# --- Questionnaire -------------------------------------------------------------------------------


def questionnaire(template: WorksheetTemplate) -> dict:
    """One worksheet version. `template` comes from questionnaire_templates()."""
    return {
        "resourceType": "Questionnaire",
        "id": str(template.pk),
        "url": questionnaire_url(template),
        "version": str(template.version),
        "title": template.title,
        "status": "active" if template.is_latest else "retired",
        "experimental": False,
        "subjectType": ["Patient"],
        "date": utc_iso(template.created_at),
        "description": f"{template.purpose}\n\n{NOT_A_DIAGNOSIS}",
        "item": [_part_or_question(part) for part in _parts(template.items.all())],
    }


def _parts(items) -> list:
    """The items in order, those of one part (`section`) gathered as (section, items); an
    item outside any part stays on its own."""
    parts = []
    for section, members in itertools.groupby(items, key=lambda item: item.section):
        if section:
            parts.append((section, list(members)))
        else:
            parts.extend(members)
    return parts


def _part_link_id(items) -> str:
    return f"part-{items[0].position}"


def _part_or_question(part) -> dict:
    if isinstance(part, WorksheetItem):
        return _question(part)
    section, items = part
    return {
        "linkId": _part_link_id(items),
        "text": section,
        "type": "group",
        "item": [_question(item) for item in items],
    }


def _answer_kind(item: WorksheetItem) -> str:
    """A guess at the partner's answer is given on the scale of the item it is about."""
    return (
        item.options.get("answer_kind", Kind.SCALE) if item.kind == Kind.PERCEPTION else item.kind
    )


def _question(item: WorksheetItem) -> dict:
    question = {"linkId": item.key, "text": item.prompt, "required": item.required}
    kind = _answer_kind(item)
    if kind == Kind.AGREEMENT:
        question |= {"type": "choice", "answerOption": _anchor_options(item)}
    elif kind == Kind.SCALE:
        question |= {
            "type": "integer",
            "extension": _range(0, 10),
            "item": [_display(f"{item.key}.labels", _scale_labels(item))],
        }
    elif kind in (Kind.SINGLE_CHOICE, Kind.MULTIPLE_CHOICE):
        question |= {"type": "choice", "answerOption": _choice_options(item)}
        if kind == Kind.MULTIPLE_CHOICE:
            limit = item.options.get("max_choices", len(item.options["choices"]))
            question |= {
                "repeats": True,
                "extension": [{"url": MAX_OCCURS, "valueInteger": limit}],
            }
    elif kind == Kind.TEXT:
        question |= {"type": "text", "maxLength": item.options.get("max_length", 2000)}
    else:  # a time split: hours per week in each category
        question |= {
            "type": "group",
            "item": [
                {
                    "linkId": f"{item.key}.{category['key']}",
                    "text": f"{category['label']} (hours per week)",
                    "type": "integer",
                    "extension": _range(0, item.options["max_total"]),
                }
                for category in item.options["categories"]
            ],
        }
    if item.help_text:
        question.setdefault("item", []).append(_display(f"{item.key}.help", item.help_text))
    return question


def _range(low: int, high: int) -> list[dict]:
    return [{"url": MIN_VALUE, "valueInteger": low}, {"url": MAX_VALUE, "valueInteger": high}]


def _display(link_id: str, text: str) -> dict:
    return {"linkId": link_id, "text": text, "type": "display"}


def _scale_labels(item: WorksheetItem) -> str:
    return f"0: {item.options['low_label']}; 10: {item.options['high_label']}"


def _anchor_options(item: WorksheetItem) -> list[dict]:
    anchors = item.options["anchors"]
    return [{"valueCoding": {"code": str(n), "display": a}} for n, a in enumerate(anchors, 1)]


def _choice_options(item: WorksheetItem) -> list[dict]:
    return [
        {"valueCoding": {"code": choice["value"], "display": choice["label"]}}
        for choice in item.options["choices"]
    ]


# --- QuestionnaireResponse -----------------------------------------------------------------------


def questionnaire_response(response: Response) -> dict:
    """One submitted response, with only the answers the API may show (module docstring).
    `response` comes from submitted_responses_for()."""
    template = response.assignment.template
    items = list(template.items.all())
    shown = access.answers_visible_to_partner(response, items)
    partner = partner_reference(response.partner)
    return {
        "resourceType": "QuestionnaireResponse",
        "id": str(response.pk),
        "questionnaire": f"{questionnaire_url(template)}|{template.version}",
        "status": "completed",
        "subject": partner,
        "source": partner,
        "authored": utc_iso(response.submitted_at),
        "item": [
            answered
            for part in _parts(items)
            if (answered := _answered_part_or_question(part, shown)) is not None
        ],
    }


def _answered_part_or_question(part, shown: dict) -> dict | None:
    """The part or question with its shown answers; None where nothing of it is shown."""
    if isinstance(part, WorksheetItem):
        return _answered_question(part, shown)
    section, items = part
    answered = [found for item in items if (found := _answered_question(item, shown))]
    if not answered:
        return None
    return {"linkId": _part_link_id(items), "text": section, "item": answered}


def _answered_question(item: WorksheetItem, shown: dict) -> dict | None:
    if item.key not in shown:
        return None
    value = shown[item.key]
    answered = {"linkId": item.key, "text": item.prompt}
    kind = _answer_kind(item)
    if kind == Kind.TIME_SPLIT:
        labels = {c["key"]: c["label"] for c in item.options["categories"]}
        answered["item"] = [
            {
                "linkId": f"{item.key}.{key}",
                "text": f"{labels[key]} (hours per week)",
                "answer": [{"valueInteger": hours}],
            }
            for key, hours in value.items()
            if key in labels and isinstance(hours, int)
        ]
        return answered if answered["item"] else None
    answered["answer"] = [_answer_value(item, kind, chosen) for chosen in _as_list(value)]
    return answered


def _as_list(value) -> list:
    return value if isinstance(value, list) else [value]


def _answer_value(item: WorksheetItem, kind: str, value) -> dict:
    if kind == Kind.AGREEMENT:
        anchors = item.options["anchors"]
        coding = {"code": str(value)}
        if isinstance(value, int) and 1 <= value <= len(anchors):
            coding["display"] = anchors[value - 1]
        return {"valueCoding": coding}
    if kind == Kind.SCALE:
        return {"valueInteger": value}
    if kind in (Kind.SINGLE_CHOICE, Kind.MULTIPLE_CHOICE):
        labels = {c["value"]: c["label"] for c in item.options["choices"]}
        coding = {"code": str(value)}
        if value in labels:
            coding["display"] = labels[value]
        return {"valueCoding": coding}
    return {"valueString": str(value)}


# --- Observation ---------------------------------------------------------------------------------


def observations(response: Response) -> list[dict]:
    """The scores stored on a submitted response at submission, one Observation each: every
    subscale scored (an incomplete one has no score, so no Observation), the preferred
    balance, and the two axes of the interdependence map where they were worked out."""
    scores = response.scores
    found = [
        _observation(response, s["key"], s["label"], _quantity(s["score"], s["maximum"]))
        for s in scores.get("subscales", [])
        if s.get("score") is not None
    ]
    if scores.get("preferred_balance") is not None:
        found.append(
            _observation(
                response,
                "preferred_balance",
                "Preferred balance (0 mostly apart, 10 mostly together)",
                {"valueInteger": scores["preferred_balance"]},
            )
        )
    if figures := scores.get("map"):
        for axis in ("connection", "autonomy"):
            found.append(
                _observation(
                    response,
                    f"map_{axis}",
                    f"Interdependence map: {axis} (1-5)",
                    _quantity(figures[axis], 5),
                )
            )
    return found


def observation_id(response: Response, code: str) -> str:
    # A FHIR id allows letters, digits, "-" and "." only.
    return f"{response.pk}-{re.sub(r'[^A-Za-z0-9.]', '-', code)}"


def _quantity(score, maximum) -> dict:
    return {"valueQuantity": {"value": score, **SCORE_UNIT, "unit": f"score (of {maximum})"}}


def _observation(response: Response, code: str, label: str, value: dict) -> dict:
    return {
        "resourceType": "Observation",
        "id": observation_id(response, code),
        "status": "final",
        "category": [SURVEY],
        "code": {"coding": [{"system": score_system(), "code": code, "display": label}]},
        "subject": partner_reference(response.partner),
        "effectiveDateTime": utc_iso(response.submitted_at),
        "derivedFrom": [{"reference": f"QuestionnaireResponse/{response.pk}"}],
        "note": [{"text": NOT_A_DIAGNOSIS}],
        **value,
    }


# --- Bulk export ---------------------------------------------------------------------------------

# Rows read per query while exporting: the export's queries grow with the number of chunks,
# never with each response, and memory stays bounded however large the practice.
EXPORT_CHUNK = 500


def export_resources(user, types: list[str]):
    """Every resource of `types` in the caller's scope, one dict at a time, for a streamed
    export: the worksheets, then the submitted responses, then their scores."""
    if "Questionnaire" in types:
        for template in questionnaire_templates().iterator(chunk_size=EXPORT_CHUNK):
            yield questionnaire(template)
    if "QuestionnaireResponse" in types:
        for response in submitted_responses_for(user).iterator(chunk_size=EXPORT_CHUNK):
            yield questionnaire_response(response)
    if "Observation" in types:
        # Scores only: the answers, stored encrypted, are not read (nor decrypted) again.
        scores_only = submitted_responses_for(user).defer("answers", "withheld")
        for response in scores_only.iterator(chunk_size=EXPORT_CHUNK):
            yield from observations(response)


def exported_couples(user, types: list[str]):
    """The couples an export of `types` holds data of, each once, for the access log."""
    if not {"QuestionnaireResponse", "Observation"} & set(types):
        return access.couples_for(user).none()
    submitted = Response.objects.filter(
        assignment__couple=OuterRef("pk"), status=Response.Status.SUBMITTED
    )
    return access.couples_for(user).filter(Exists(submitted)).order_by("pk")


# --- Bundles and outcomes ------------------------------------------------------------------------


def searchset(resources: list[dict], *, base: str, links: dict, total: int | None) -> dict:
    """A page of search results; `links` maps a relation (self, next, previous) to its URL,
    `base` is the server's own address ending in "/"."""
    bundle = {
        "resourceType": "Bundle",
        "type": "searchset",
        "link": [{"relation": relation, "url": url} for relation, url in links.items()],
        "entry": [
            {
                "fullUrl": f"{base}{resource['resourceType']}/{resource['id']}",
                "resource": resource,
                "search": {"mode": "match"},
            }
            for resource in resources
        ],
    }
    if total is not None:
        bundle["total"] = total
    return bundle


ISSUE_CODES = {400: "invalid", 401: "login", 403: "forbidden", 404: "not-found", 429: "throttled"}


def operation_outcome(status: int, text: str) -> dict:
    return {
        "resourceType": "OperationOutcome",
        "issue": [
            {
                "severity": "error",
                "code": ISSUE_CODES.get(status, "processing"),
                "diagnostics": text,
            }
        ],
    }


def capability_statement(*, base: str) -> dict:
    """What this server answers: read and search of the three resource types, and $export."""
    return {
        "resourceType": "CapabilityStatement",
        "status": "active",
        "date": "2026-12-04",  # when what it states last changed
        "kind": "instance",
        "software": {"name": "Couples worksheet companion"},
        "implementation": {
            "description": "Worksheets, submitted responses and their stored scores. "
            + NOT_A_DIAGNOSIS,
            "url": base.rstrip("/"),
        },
        # The resources are R4 (4.0.1); the tests validate them with fhir.resources' R4B
        # models, R4B being the R4-compatible release that package carries.
        "fhirVersion": "4.0.1",
        "format": ["application/fhir+json"],
        "rest": [
            {
                "mode": "server",
                "security": {
                    "description": "An API key of the practice (Authorization: Bearer) or the "
                    "counselor dashboard's session; only the caller's couples are found."
                },
                "resource": [
                    _capability("Questionnaire", {"url": "uri"}),
                    _capability("QuestionnaireResponse", {"subject": "reference"}),
                    _capability(
                        "Observation", {"subject": "reference", "derived-from": "reference"}
                    ),
                ],
                "operation": [
                    {
                        "name": "export",
                        "definition": "http://hl7.org/fhir/uv/bulkdata/OperationDefinition/export",
                    }
                ],
            }
        ],
    }


def _capability(resource_type: str, params: dict[str, str]) -> dict:
    return {
        "type": resource_type,
        "interaction": [{"code": "read"}, {"code": "search-type"}],
        "searchParam": [
            *({"name": name, "type": kind} for name, kind in params.items()),
            {"name": "_count", "type": "number"},
            {"name": "_page", "type": "number"},
        ],
    }
