"""Loading worksheet templates from the data files in `worksheets/library/`.

A file is validated before anything is written. An unchanged file changes nothing; a changed
file becomes a new version, so a version that has been assigned is never altered.
"""

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

import yaml
from django.db import transaction
from django.db.models import Exists, OuterRef

from worksheets.models import WorksheetItem, WorksheetTemplate

LIBRARY_DIR = Path(__file__).resolve().parent / "library"
DEFAULT_AGREEMENT_ANCHORS = [
    "Strongly disagree",
    "Disagree",
    "Neither agree nor disagree",
    "Agree",
    "Strongly agree",
]
Kind = WorksheetItem.Kind
_TEMPLATE_FIELDS = {"slug", "title", "purpose", "instructions", "estimated_minutes"}
_ITEM_KINDS = {choice.value for choice in Kind}
_VISIBILITIES = {choice.value for choice in WorksheetItem.Visibility}
_PERCEIVABLE = {Kind.AGREEMENT, Kind.SCALE}


class WorksheetFileError(ValueError):
    """A library file that cannot be loaded; the message names the file and the item."""


@dataclass(frozen=True)
class LoadResult:
    slug: str
    version: int
    created: bool


def _fail(path: Path, message: str, item_key: str | None = None):
    where = f"{path.name}, item '{item_key}'" if item_key else path.name
    raise WorksheetFileError(f"{where}: {message}")


def _choices(path: Path, item: dict, label: str) -> list[dict]:
    choices = item.get("choices")
    if not isinstance(choices, list) or len(choices) < 2:
        _fail(path, "needs a list of at least two choices", label)
    for choice in choices:
        if not isinstance(choice, dict) or not choice.get("value") or not choice.get("label"):
            _fail(path, "every choice needs a value and a label", label)
    values = [str(choice["value"]) for choice in choices]
    if len(set(values)) != len(values):
        _fail(path, "two choices share a value", label)
    return [{"value": str(c["value"]), "label": str(c["label"])} for c in choices]


def _whole_number(path: Path, value, low: int, high: int, what: str, label: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        _fail(path, f"{what} must be a whole number from {low} to {high}", label)
    return value


def _options_for(path: Path, item: dict, label: str) -> dict:
    """The kind-specific settings of one item, checked."""
    kind = item["kind"]
    if kind == Kind.AGREEMENT:
        anchors = item.get("anchors", DEFAULT_AGREEMENT_ANCHORS)
        if not isinstance(anchors, list) or not 3 <= len(anchors) <= 7:
            _fail(path, "an agreement scale needs three to seven anchors", label)
        return {"anchors": [str(anchor) for anchor in anchors]}
    if kind == Kind.SINGLE_CHOICE:
        return {"choices": _choices(path, item, label)}
    if kind == Kind.MULTIPLE_CHOICE:
        choices = _choices(path, item, label)
        limit = _whole_number(
            path, item.get("max_choices", len(choices)), 1, len(choices), "max_choices", label
        )
        return {"choices": choices, "max_choices": limit}
    if kind == Kind.TEXT:
        return {
            "max_length": _whole_number(
                path, item.get("max_length", 2000), 1, 10000, "max_length", label
            )
        }
    if kind == Kind.SCALE:
        if not item.get("low_label") or not item.get("high_label"):
            _fail(path, "a 0–10 scale needs a low_label and a high_label", label)
        return {"low_label": str(item["low_label"]), "high_label": str(item["high_label"])}
    if kind == Kind.TIME_SPLIT:
        categories = item.get("categories")
        if not isinstance(categories, list) or len(categories) < 2:
            _fail(path, "a time split needs at least two categories", label)
        if any(
            not isinstance(c, dict) or not c.get("key") or not c.get("label") for c in categories
        ):
            _fail(path, "every category needs a key and a label", label)
        total = _whole_number(path, item.get("max_total"), 1, 168, "max_total", label)
        return {
            "categories": [{"key": str(c["key"]), "label": str(c["label"])} for c in categories],
            "max_total": total,
        }
    # Perception: checked against its target once every item is known.
    if not item.get("about"):
        _fail(path, "a perception item must say which item it is 'about'", label)
    return {"about": str(item["about"])}


def _signal_answers(path: Path, item: dict, options: dict, label: str) -> list:
    """The answers that count as a safety signal, each one the item can really be given."""
    signal = item.get("signal", [])
    if not isinstance(signal, list):
        _fail(path, "signal must be a list of answers", label)
    if not signal:
        return []
    kind = item["kind"]
    if kind == Kind.AGREEMENT:
        allowed = set(range(1, len(options["anchors"]) + 1))
    elif kind == Kind.SCALE:
        allowed = set(range(0, 11))
    elif kind in (Kind.SINGLE_CHOICE, Kind.MULTIPLE_CHOICE):
        allowed = {choice["value"] for choice in options["choices"]}
        signal = [str(value) for value in signal]
    else:
        _fail(path, "only scale and choice items can be safety signals", label)
    for value in signal:
        if isinstance(value, bool) or value not in allowed:
            _fail(path, f"signal answer {value!r} is not an answer this item can have", label)
    return signal


def _validate_item(path: Path, position: int, item: dict) -> dict:
    key = item.get("key") if isinstance(item, dict) else None
    label = key or f"#{position}"
    if not isinstance(item, dict) or not key:
        _fail(path, "every item needs a 'key'", label)
    if item.get("kind") not in _ITEM_KINDS:
        _fail(path, f"kind must be one of {sorted(_ITEM_KINDS)}, not {item.get('kind')!r}", label)
    if not str(item.get("prompt", "")).strip():
        _fail(path, "the prompt is empty", label)
    default_visibility = "private" if item["kind"] == Kind.TEXT else "shared"
    visibility = item.get("visibility", default_visibility)
    if visibility not in _VISIBILITIES:
        _fail(path, f"visibility must be one of {sorted(_VISIBILITIES)}", label)
    options = _options_for(path, item, label)
    signal = _signal_answers(path, item, options, label)
    # A safety signal is never shown to the other partner, whatever else the file says.
    if signal and visibility != "never":
        _fail(path, "a safety signal item must have visibility: never", label)
    return {
        "position": position,
        "section": str(item.get("section", "")).strip(),
        "key": key,
        "kind": item["kind"],
        "prompt": str(item["prompt"]).strip(),
        "help_text": str(item.get("help_text", "")).strip(),
        "required": bool(item.get("required", True)),
        "subscale": item.get("subscale", ""),
        "reverse_keyed": bool(item.get("reverse_keyed", False)),
        "visibility": visibility,
        "options": options,
        "signal_answers": signal,
        "for_counselor": bool(item.get("for_counselor", False)),
    }


def _check_links(path: Path, items: list[dict]) -> None:
    by_key = {item["key"]: item for item in items}
    for item in items:
        if item["kind"] == Kind.PERCEPTION:
            target = by_key.get(item["options"]["about"])
            if target is None or target["kind"] not in _PERCEIVABLE:
                _fail(path, "'about' must name an agreement or 0–10 scale item", item["key"])
            # The guess is answered on the target's own scale.
            item["options"]["answer_kind"] = target["kind"]
            item["options"].update(
                {
                    k: v
                    for k, v in target["options"].items()
                    if k in {"anchors", "low_label", "high_label"}
                }
            )


def _check_scoring(path: Path, scoring: dict, items: list[dict]) -> None:
    kinds = {item["key"]: item["kind"] for item in items}
    subscales = scoring.get("subscales", {})
    for name, subscale in subscales.items():
        if not subscale.get("items"):
            _fail(path, f"subscale '{name}' lists no items")
        for key in subscale["items"]:
            if kinds.get(key) != Kind.AGREEMENT:
                _fail(path, f"subscale '{name}' names an item that is not an agreement item", key)
        bounds = [band.get("up_to") for band in subscale.get("bands", [])]
        if bounds != sorted(bounds):
            _fail(path, f"the bands of subscale '{name}' must rise in order")
    balance = scoring.get("balance")
    if balance:
        if kinds.get(balance.get("item")) != Kind.SCALE:
            _fail(path, "balance.item must name a 0–10 scale item", balance.get("item"))
        if balance.get("perception") and kinds.get(balance["perception"]) != Kind.PERCEPTION:
            _fail(path, "balance.perception must name a perception item", balance["perception"])
    for side in scoring.get("lean", {}).values():
        for name in side:
            if name not in subscales:
                _fail(path, f"lean names a subscale that does not exist: '{name}'")


def parse_template_file(path: Path) -> dict:
    """Read and validate one library file; return the template's fields and its items."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as error:
        raise WorksheetFileError(f"{path.name}: not valid YAML ({error})") from error
    if not isinstance(data, dict):
        _fail(path, "the file must hold one worksheet")
    missing = sorted(_TEMPLATE_FIELDS - data.keys())
    if missing:
        _fail(path, f"missing {', '.join(missing)}")
    raw_items = data.get("items")
    if not isinstance(raw_items, list) or not raw_items:
        _fail(path, "a worksheet needs at least one item")
    items = [_validate_item(path, n, item) for n, item in enumerate(raw_items, start=1)]
    keys = [item["key"] for item in items]
    duplicate = next((key for key in keys if keys.count(key) > 1), None)
    if duplicate:
        _fail(path, "this key is used twice", duplicate)
    _check_links(path, items)
    scoring = data.get("scoring") or {}
    _check_scoring(path, scoring, items)
    canonical = json.dumps(data, sort_keys=True, ensure_ascii=False)
    # Stored as a list: PostgreSQL's jsonb does not keep the order of an object's keys, and
    # subscales are shown in the order the author wrote them.
    scoring = {
        **scoring,
        "subscales": [{"key": key, **spec} for key, spec in scoring.get("subscales", {}).items()],
    }
    return {
        "slug": data["slug"],
        "title": str(data["title"]).strip(),
        "purpose": str(data["purpose"]).strip(),
        "instructions": str(data["instructions"]).strip(),
        "estimated_minutes": int(data["estimated_minutes"]),
        "counselor_notes": str(data.get("counselor_notes", "")).strip(),
        "discussion_prompts": list(data.get("discussion_prompts", [])),
        "grounding": dict(data.get("grounding", {})),
        "scoring": scoring,
        "is_safety_check": bool(data.get("safety_check", False)),
        "source_hash": hashlib.sha256(canonical.encode()).hexdigest(),
        "items": items,
    }


@transaction.atomic
def load_template(parsed: dict) -> LoadResult:
    latest = WorksheetTemplate.objects.filter(slug=parsed["slug"]).order_by("-version").first()
    if latest and latest.source_hash == parsed["source_hash"]:
        return LoadResult(latest.slug, latest.version, created=False)
    fields = {name: value for name, value in parsed.items() if name != "items"}
    template = WorksheetTemplate.objects.create(
        version=latest.version + 1 if latest else 1, **fields
    )
    WorksheetItem.objects.bulk_create(
        WorksheetItem(template=template, **item) for item in parsed["items"]
    )
    return LoadResult(template.slug, template.version, created=True)


def load_library(directory: Path = LIBRARY_DIR) -> list[LoadResult]:
    """Validate every file first, so one bad file leaves the database untouched."""
    parsed = [parse_template_file(path) for path in sorted(directory.glob("*.yaml"))]
    return [load_template(template) for template in parsed]


def latest_templates():
    """The newest version of each worksheet."""
    newer = WorksheetTemplate.objects.filter(slug=OuterRef("slug"), version__gt=OuterRef("version"))
    return WorksheetTemplate.objects.exclude(Exists(newer))
