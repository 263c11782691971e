"""Answers in words, for the counselor's pages and the partners' shared view."""

from worksheets.models import WorksheetItem

Kind = WorksheetItem.Kind


def _scale_text(item: WorksheetItem, value) -> str:
    options = item.options
    if "anchors" in options:
        anchors = options["anchors"]
        return f"{value} – {anchors[value - 1]}" if 1 <= value <= len(anchors) else str(value)
    return f"{value} of 10"


def answer_text(item: WorksheetItem, value) -> str:
    """`value` as a reader would want to see it; "—" when unanswered."""
    if value in (None, "", [], {}):
        return "—"
    if item.kind in (Kind.AGREEMENT, Kind.SCALE, Kind.PERCEPTION) and isinstance(value, int):
        return _scale_text(item, value)
    if item.kind in (Kind.SINGLE_CHOICE, Kind.MULTIPLE_CHOICE):
        labels = {c["value"]: c["label"] for c in item.options["choices"]}
        chosen = value if isinstance(value, list) else [value]
        return "; ".join(labels.get(v, v) for v in chosen)
    if item.kind == Kind.TIME_SPLIT and isinstance(value, dict):
        labels = {c["key"]: c["label"] for c in item.options["categories"]}
        return "; ".join(f"{labels.get(k, k)}: {hours} h" for k, hours in value.items())
    return str(value)
