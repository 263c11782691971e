"""A partner's export (clients/partner_rights.py) as a readable PDF, from the same data as the
JSON export."""

from django.template.loader import render_to_string

from therapy.pdf import html_to_pdf

RECORDS = (
    ("Messages sent to you", "messages"),
    ("Your personal links", "links"),
    ("Alerts about you", "alerts"),
    ("Sessions", "sessions"),
    ("Changes to your record", "record_changes"),
)


def render_export_pdf(export: dict) -> bytes:
    partner = export["partner"]
    context = {
        "export": export,
        "partner": partner,
        "details": [
            (label.replace("_", " ").capitalize(), _shown(value))
            for label, value in partner.items()
        ],
        "records": [
            (
                title,
                [
                    "; ".join(f"{k.replace('_', ' ')}: {_shown(v)}" for k, v in row.items())
                    for row in export[key]
                ],
            )
            for title, key in RECORDS
        ],
        "worksheets": [
            {**worksheet, "scores_shown": _shown(worksheet["scores"])}
            for worksheet in export["worksheets"]
        ],
    }
    return html_to_pdf(render_to_string("clients/partner_export_print.html", context))


def _shown(value) -> str:
    if value in (None, "", [], {}):
        return "—"
    if isinstance(value, dict):
        return ", ".join(f"{k}: {_shown(v)}" for k, v in value.items())
    if isinstance(value, list):
        return ", ".join(_shown(v) for v in value)
    return str(value)
