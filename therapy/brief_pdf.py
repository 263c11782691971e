"""The session brief as a printable PDF, on A4 or Letter."""

import io
from xml.sax.saxutils import escape
from zoneinfo import ZoneInfo

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, LETTER
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from therapy.brief import Brief

PAPER = {"a4": A4, "letter": LETTER}


def _p(text: str, style) -> Paragraph:
    return Paragraph(escape(str(text)), style)


def render_brief_pdf(brief: Brief, *, paper: str = "a4") -> bytes:
    zone = ZoneInfo(brief.couple.practice.time_zone)
    styles = getSampleStyleSheet()
    body, small, heading = styles["BodyText"], styles["Italic"], styles["Heading2"]
    output = io.BytesIO()
    document = SimpleDocTemplate(
        output,
        pagesize=PAPER.get(paper, A4),
        leftMargin=18 * mm,
        rightMargin=18 * mm,
        topMargin=16 * mm,
        bottomMargin=16 * mm,
        title=f"Session brief: {brief.couple.label}",
    )
    when = (
        f"Session on {brief.session.starts_at.astimezone(zone):%A %d %B %Y, %H:%M}"
        if brief.session
        else "No session booked"
    )
    story = [
        _p(f"Session brief: {brief.couple.label}", styles["Title"]),
        _p(when + f" · since {brief.since.astimezone(zone):%d %b %Y}", body),
        _p(brief.note, small),
        Spacer(1, 4 * mm),
        _p("Each partner", heading),
    ]
    rows = [["Partner", "Done", "Still open", "Changes", "Balance"]]
    for partner in brief.partners:
        rows.append(
            [
                _p(partner.partner.display_name, body),
                _p("; ".join(title for title, _ in partner.done) or "—", body),
                _p("; ".join(title for title, _ in partner.still_open) or "—", body),
                _p(
                    "; ".join(f"{label} {delta:+g}" for label, delta in partner.changes) or "—",
                    body,
                ),
                _p("—" if partner.balance is None else f"{partner.balance} of 10", body),
            ]
        )
    table = Table(rows, colWidths=[28 * mm, 38 * mm, 38 * mm, 45 * mm, 20 * mm], repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("FONTNAME", (0, 0), (-1, 0), "Helvetica-Bold"),
                ("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ]
        )
    )
    story.append(table)
    gap = "not known yet" if brief.gap is None else f"{brief.gap} of 10"
    if brief.gap_change:
        gap += f" ({brief.gap_change:+d} since the time before)"
    story += [Spacer(1, 3 * mm), _p(f"Gap between the partners' preferred balance: {gap}", body)]
    story.append(_p("Alerts", heading))
    story += [_p(alert.reason, body) for alert in brief.alerts] or [_p("None open.", body)]
    story.append(_p("Shared written answers", heading))
    story += [
        _p(f"{name}, on “{prompt}”: {text}", body) for name, prompt, text in brief.shared_texts
    ] or [_p("None.", body)]
    story.append(_p("Prompts for the session", heading))
    story += [_p(f"{prompt} ({title})", body) for title, prompt in brief.prompts] or [
        _p("None.", body)
    ]
    document.build(story)
    return output.getvalue()
