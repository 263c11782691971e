"""The session brief on paper: the brief page's own HTML (admin/clients/couple/_brief_body.html)
printed on A4 or Letter."""

from django.template.loader import render_to_string
from weasyprint import CSS

from therapy.brief import Brief
from therapy.charts import map_context
from therapy.pdf import STATIC, html_to_pdf

STYLESHEETS = [CSS(filename=STATIC / "brief.css"), CSS(filename=STATIC / "brief_print.css")]


def brief_map_context(brief: Brief) -> dict:
    """The map with each partner's whole path, its table from the last session on."""
    return map_context(brief.map_paths, table_paths=brief.recent_map_paths)


def render_brief_html(brief: Brief) -> str:
    return render_to_string(
        "admin/clients/couple/brief_print.html", {"brief": brief, **brief_map_context(brief)}
    )


def render_brief_pdf(brief: Brief, *, paper: str = "a4") -> bytes:
    return html_to_pdf(render_brief_html(brief), stylesheets=STYLESHEETS, paper=paper)
