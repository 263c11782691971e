"""The session brief as a printable PDF, on A4 or Letter."""

import io
from xml.sax.saxutils import escape
from zoneinfo import ZoneInfo

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, LETTER
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.platypus import PageBreak, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from therapy.brief import Brief

PAPER = {"a4": A4, "letter": LETTER}
URGENT_RED = colors.HexColor("#a11d1d")


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
    story = [_p(f"Session brief: {brief.couple.label}", styles["Title"])]
    story += _urgent_alerts(brief, styles, zone)
    story += [
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
    story.append(_table(rows, [28 * mm, 38 * mm, 38 * mm, 45 * mm, 20 * mm]))
    gap = "not known yet" if brief.gap is None else f"{brief.gap} of 10"
    if brief.gap_change:
        gap += f" ({brief.gap_change:+d} since the time before)"
    story += [Spacer(1, 3 * mm), _p(f"Gap between the partners' preferred balance: {gap}", body)]
    story.append(_p("On the interdependence map", heading))
    story += [
        _p(f"{summary.partner.display_name}: {summary.map_now}", body)
        for summary in brief.partners
        if summary.map_now
    ] or [_p("No points yet.", body)]
    story.append(_p("Patterns between the partners", heading))
    story += [
        _p(f"{pattern.title}. {pattern.evidence}", body) for pattern in brief.patterns
    ] or [_p("None in their last few submissions.", body)]
    story.append(_p("Other alerts" if brief.urgent_alerts else "Alerts", heading))
    story += [_p(alert.reason, body) for alert in brief.alerts] or [_p("None open.", body)]
    story.append(_p("Shared written answers", heading))
    story += [
        _p(f"{name}, on “{prompt}”: {text}", body) for name, prompt, text in brief.shared_texts
    ] or [_p("None.", body)]
    story.append(_p("Prompts for the session", heading))
    if brief.joint_work_paused:
        story.append(_p(brief.pause_note, styles["Heading4"]))
    else:
        story += [_p(f"{prompt} ({title})", body) for title, prompt in brief.prompts] or [
            _p("None.", body)
        ]
    story += _private_answers(brief, styles, zone)
    document.build(story)
    return output.getvalue()


def _table(rows: list, widths: list, extra_style: tuple = ()) -> Table:
    table = Table(rows, colWidths=widths, repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("FONTNAME", (0, 0), (-1, 0), "Helvetica-Bold"),
                ("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                *extra_style,
            ]
        )
    )
    return table


def _urgent_alerts(brief: Brief, styles, zone: ZoneInfo) -> list:
    """Open safety alerts, boxed in red, before anything else on the page."""
    if not brief.urgent_alerts:
        return []
    body = styles["BodyText"]
    rows = [[_p("Urgent: speak with these partners alone first", styles["Heading2"])]]
    for urgent in brief.urgent_alerts:
        raised = urgent.alert.created_at.astimezone(zone)
        rows.append(
            [
                [
                    _p(urgent.instruction, styles["Heading3"]),
                    _p(urgent.alert.reason, body),
                    _p(f"Raised {raised:%a %d %b %Y, %H:%M}", styles["Italic"]),
                ]
            ]
        )
    box = Table(rows, colWidths=[174 * mm])
    box.setStyle(
        TableStyle(
            [
                ("BOX", (0, 0), (-1, -1), 2, URGENT_RED),
                ("LINEBELOW", (0, 0), (-1, -2), 0.4, URGENT_RED),
                ("TEXTCOLOR", (0, 0), (-1, 0), URGENT_RED),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LEFTPADDING", (0, 0), (-1, -1), 4 * mm),
            ]
        )
    )
    return [Spacer(1, 2 * mm), box, Spacer(1, 4 * mm)]


def _private_answers(brief: Brief, styles, zone: ZoneInfo) -> list:
    """What partners told the counselor alone, on a page of its own when there is any: the
    counselor can keep that sheet apart from the rest of the brief."""
    body = styles["BodyText"]
    story = [
        _p("What partners told you privately", styles["Heading2"]),
        _p(brief.private_note, styles["Heading4"]),
    ]
    if not brief.private_answers:
        return [*story, _p(f"Nothing since {brief.since.astimezone(zone):%d %b %Y}.", body)]
    rows = [["Partner", "Worksheet", "Question", "Answer"]]
    for row in brief.private_answers:
        answer = row.answer if row.handed_in else f"{row.answer} (draft, not yet handed in)"
        rows.append(
            [
                _p(row.partner_name, body),
                _p(row.worksheet, body),
                _p(row.question, body),
                _p(answer, body),
            ]
        )
    return [PageBreak(), *story, _table(rows, [26 * mm, 34 * mm, 56 * mm, 58 * mm])]
