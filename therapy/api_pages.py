"""Cursor pages of the API's caseload.

The caseload is worked out whole (two queries, whatever its size: therapy/dashboard.py), so
a page is cut from the sorted rows by the sort key of the row before it, not by an offset:
a couple added or closed between two requests neither repeats nor skips a row on the next
page. The cursor is that key, signed, so that a cursor made up by hand answers 400 rather
than comparing values of the wrong kind.
"""

import datetime as dt
from dataclasses import dataclass

from django.core import signing
from rest_framework.exceptions import ValidationError

from therapy.dashboard import SORTS, CaseloadRow

PAGE_SIZE = 50
_SALT = "therapy.api_pages.caseload"


@dataclass(frozen=True)
class Page:
    rows: list[CaseloadRow]
    next_cursor: str | None
    previous_cursor: str | None


def position_of(row: CaseloadRow, sort: str) -> tuple:
    """The row's place in the `sort` order, as plain values; ties broken by the couple's id."""
    key = SORTS[sort](row)
    parts = key if isinstance(key, tuple) else (key,)
    plain = tuple(part.isoformat() if isinstance(part, dt.datetime) else part for part in parts)
    return (*plain, row.couple_id)


def caseload_page(
    rows: list[CaseloadRow], *, sort: str, cursor: str | None, size: int | None = None
) -> Page:
    """The page of the sorted `rows` that `cursor` points to; the first page without one."""
    size = size or PAGE_SIZE
    rows = sorted(rows, key=lambda row: position_of(row, sort))
    positions = [position_of(row, sort) for row in rows]
    direction, mark = _read(cursor, sort) if cursor else ("after", None)
    if direction == "after":
        start = sum(1 for p in positions if mark is not None and p <= mark)
        picked = list(range(start, min(start + size, len(rows))))
    else:
        end = sum(1 for p in positions if p < mark)
        picked = list(range(max(end - size, 0), end))
    if not picked:
        return Page([], None, None)
    first, last = picked[0], picked[-1]
    return Page(
        rows=[rows[i] for i in picked],
        next_cursor=_make("after", positions[last], sort) if last + 1 < len(rows) else None,
        previous_cursor=_make("before", positions[first], sort) if first > 0 else None,
    )


def _make(direction: str, position: tuple, sort: str) -> str:
    return signing.dumps([direction, sort, list(position)], salt=_SALT, compress=True)


def _read(cursor: str, sort: str) -> tuple[str, tuple]:
    try:
        direction, cursor_sort, position = signing.loads(cursor, salt=_SALT)
    except (signing.BadSignature, ValueError, TypeError):
        raise ValidationError({"cursor": ["Not a cursor from this API."]}) from None
    if cursor_sort != sort:
        raise ValidationError({"cursor": ["This cursor belongs to another sort order."]})
    return direction, tuple(position)
