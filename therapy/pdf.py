"""Printing HTML to PDF, the one way the product makes a PDF: WeasyPrint lays out a page the
product rendered itself, fetches nothing, and never breaks a word across lines."""

import re
from pathlib import Path

from weasyprint import CSS, HTML

PAPER = {"a4": "A4", "letter": "letter"}
STATIC = Path(__file__).resolve().parent / "static" / "therapy"
# Read once: the stylesheets are part of the code, not of any request.
PAPER_STYLES = CSS(filename=STATIC / "paper.css")

# A word joined by hyphens, dashes or slashes ("check-in", "Dependence–Autonomy"), which a
# line may otherwise break inside; and the parts of a page that are not text to print.
JOINED_WORD = re.compile(r"\w+(?:[-‐–—/]\w+)+")
NOT_TEXT = re.compile(r"(<svg.*?</svg>|<[^>]*>)", re.DOTALL)


def refuse_fetch(url: str, *args, **kwargs):
    """Everything printed is in the page; nothing in it may make the server fetch a URL."""
    raise ValueError(f"Printing fetches nothing: {url[:40]}")


def keep_words_whole(body: str) -> str:
    """Keep each joined word on one line: on paper a line breaks only between words."""
    return "".join(
        part
        if NOT_TEXT.fullmatch(part)
        else JOINED_WORD.sub(lambda m: f'<span class="word">{m[0]}</span>', part)
        for part in NOT_TEXT.split(body)
    )


def html_to_pdf(html: str, *, stylesheets: list[CSS] = (), paper: str = "a4") -> bytes:
    head, body = html.split("<body", 1)
    size = CSS(string=f"@page {{ size: {PAPER.get(paper, 'A4')}; }}")
    document = HTML(string=head + "<body" + keep_words_whole(body), url_fetcher=refuse_fetch)
    return document.write_pdf(stylesheets=[PAPER_STYLES, *stylesheets, size])
