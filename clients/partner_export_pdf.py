"""A partner's export (clients/partner_rights.py) as a readable PDF, from the same data as the
JSON export."""

import io
from xml.sax.saxutils import escape

from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer


def render_export_pdf(export: dict) -> bytes:
    styles = getSampleStyleSheet()
    body, heading, small = styles["BodyText"], styles["Heading2"], styles["Italic"]

    def p(text, style=body):
        return Paragraph(escape(str(text)), style)

    partner = export["partner"]
    story = [
        p(f"What {export['couple']['practice']} holds about {partner['name']}", styles["Title"]),
        p(f"Exported {export['exported_at']}", small),
        p(export["note"], small),
        Spacer(1, 4 * mm),
        p("Your details", heading),
    ]
    for label, value in partner.items():
        story.append(p(f"{label.replace('_', ' ').capitalize()}: {_shown(value)}"))
    story.append(p("Worksheets", heading))
    for worksheet in export["worksheets"] or [None]:
        if worksheet is None:
            story.append(p("None."))
            break
        story.append(
            p(
                f"{worksheet['worksheet']} (version {worksheet['version']}), "
                f"{worksheet['status']}, due {worksheet['due_at']}",
                styles["Heading3"],
            )
        )
        for answer in worksheet["answers"]:
            kept = " (kept private)" if answer["kept_private"] else ""
            story.append(p(f"{answer['question']} — {answer['answer']}{kept}"))
        if worksheet["scores"]:
            story.append(p(f"Scores: {_shown(worksheet['scores'])}", small))
    for title, key in (
        ("Messages sent to you", "messages"),
        ("Your personal links", "links"),
        ("Alerts about you", "alerts"),
        ("Sessions", "sessions"),
        ("Changes to your record", "record_changes"),
    ):
        story.append(p(title, heading))
        rows = export[key]
        story += [p("; ".join(f"{k.replace('_', ' ')}: {_shown(v)}" for k, v in row.items()))
                  for row in rows] or [p("None.")]
    output = io.BytesIO()
    SimpleDocTemplate(
        output,
        pagesize=A4,
        leftMargin=18 * mm,
        rightMargin=18 * mm,
        topMargin=16 * mm,
        bottomMargin=16 * mm,
        title=f"Export for {partner['name']}",
    ).build(story)
    return output.getvalue()


def _shown(value) -> str:
    if value in (None, "", [], {}):
        return "—"
    if isinstance(value, dict):
        return ", ".join(f"{k}: {_shown(v)}" for k, v in value.items())
    if isinstance(value, list):
        return ", ".join(_shown(v) for v in value)
    return str(value)
