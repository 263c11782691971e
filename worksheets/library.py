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
_TEMPLATE_FIELDS = {"slug", "title", "purpose", "instructions", "estimated_minutes"}
_ITEM_KINDS = {choice.value for choice in WorksheetItem.Kind}
_VISIBILITIES = {choice.value for choice in WorksheetItem.Visibility}


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


def _validate_item(path: Path, position: int, item: dict) -> dict:
    key = item.get("key") if isinstance(item, dict) else None
    label = key or f"#{position}"
    if not isinstance(item, dict) or not key:
        _fail(path, "every item needs a 'key'", label)
    if item.get("kind") not in _ITEM_KINDS:
        _fail(path, f"kind must be one of {sorted(_ITEM_KINDS)}, not {item.get('kind')!r}", label)
    if not str(item.get("prompt", "")).strip():
        _fail(path, "the prompt is empty", label)
    visibility = item.get("visibility", "private")
    if visibility not in _VISIBILITIES:
        _fail(path, f"visibility must be one of {sorted(_VISIBILITIES)}", label)
    options = {}
    if item["kind"] == "agreement":
        anchors = item.get("anchors", DEFAULT_AGREEMENT_ANCHORS)
        if not isinstance(anchors, list) or len(anchors) < 3:
            _fail(path, "an agreement scale needs at least three anchors", label)
        options["anchors"] = anchors
    if item["kind"] == "text":
        max_length = item.get("max_length", 2000)
        if not isinstance(max_length, int) or not 1 <= max_length <= 10000:
            _fail(path, "max_length must be a whole number from 1 to 10000", label)
        options["max_length"] = max_length
    return {
        "position": position,
        "key": key,
        "kind": item["kind"],
        "prompt": item["prompt"].strip(),
        "help_text": item.get("help_text", "").strip(),
        "required": bool(item.get("required", True)),
        "subscale": item.get("subscale", ""),
        "reverse_keyed": bool(item.get("reverse_keyed", False)),
        "visibility": visibility,
        "options": options,
    }


def _validate_scoring(path: Path, scoring: dict, items: list[dict]) -> None:
    scale_keys = {item["key"] for item in items if item["kind"] == "agreement"}
    for name, subscale in scoring.get("subscales", {}).items():
        for key in subscale.get("items", []):
            if key not in scale_keys:
                _fail(path, f"subscale '{name}' names an item that is not a scale item", key)
        bounds = [band.get("up_to") for band in subscale.get("bands", [])]
        if bounds != sorted(bounds):
            _fail(path, f"the bands of subscale '{name}' must rise in order")


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
    scoring = data.get("scoring", {})
    _validate_scoring(path, scoring, items)
    canonical = json.dumps(data, sort_keys=True, ensure_ascii=False)
    # Stored as a list: PostgreSQL's jsonb does not keep the order of an object's keys, and
    # subscales are shown in the order the author wrote them.
    scoring = {
        **scoring,
        "subscales": [{"key": key, **spec} for key, spec in scoring.get("subscales", {}).items()],
    }
    return {
        "slug": data["slug"],
        "title": data["title"].strip(),
        "purpose": data["purpose"].strip(),
        "instructions": data["instructions"].strip(),
        "estimated_minutes": int(data["estimated_minutes"]),
        "counselor_notes": data.get("counselor_notes", "").strip(),
        "scoring": scoring,
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
