"""Cursor pages of the API's lists: the caseload, couples and alerts.

A page is cut by the sort position of the row before it, not by an offset: a row added or
removed between two requests neither repeats nor skips one on the next page. The caseload is
worked out whole (two queries, whatever its size: therapy/dashboard.py), so its pages are cut
from the sorted rows; the other lists are cut in the query (`rows_page`). The cursor is that
position, signed, so that a cursor made up by hand answers 400 rather than comparing values of
the wrong kind.
"""

import datetime as dt
from dataclasses import dataclass

from django.core import signing
from django.db.models import Q, QuerySet

from therapy.api_problems import QueryError
from therapy.dashboard import SORTS, CaseloadRow

PAGE_SIZE = 50
_SALT = "therapy.api_pages.caseload"


@dataclass(frozen=True)
class Page:
    rows: list
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


def rows_page(
    rows: QuerySet, *, order: tuple[str, str], cursor: str | None, size: int | None = None
) -> Page:
    """The page of `rows` in `order` (a field, then a unique one to break ties; "-" for
    descending) that `cursor` points to: one query of at most `size` + 1 rows."""
    size = size or PAGE_SIZE
    name = ",".join(order)
    direction, mark = _read(cursor, name) if cursor else ("after", None)
    if mark is not None:
        rows = rows.filter(_beyond(order, mark, after=direction == "after"))
    backwards = direction == "before"
    picked = list(rows.order_by(*(_flipped(f) if backwards else f for f in order))[: size + 1])
    more = len(picked) > size
    picked = picked[:size]
    if backwards:
        picked.reverse()
    if not picked:
        return Page([], None, None)
    has_next = more if not backwards else True
    has_previous = more if backwards else mark is not None
    return Page(
        rows=picked,
        next_cursor=_make("after", _position(picked[-1], order), name) if has_next else None,
        previous_cursor=(
            _make("before", _position(picked[0], order), name) if has_previous else None
        ),
    )


def _flipped(field: str) -> str:
    return field[1:] if field.startswith("-") else f"-{field}"


def _position(row, order: tuple[str, str]) -> list:
    values = (getattr(row, field.lstrip("-")) for field in order)
    return [value.isoformat() if isinstance(value, dt.datetime) else value for value in values]


def _beyond(order: tuple[str, str], mark: tuple, *, after: bool) -> Q:
    """The rows after (or before) `mark` in `order`."""
    (first, tie), (first_value, tie_value) = order, mark

    def past(field: str, value) -> Q:
        smaller = field.startswith("-") == after  # after, in a descending order: smaller
        return Q(**{f"{field.lstrip('-')}__{'lt' if smaller else 'gt'}": value})

    return past(first, first_value) | (Q(**{first.lstrip("-"): first_value}) & past(tie, tie_value))


def _make(direction: str, position: tuple, sort: str) -> str:
    return signing.dumps([direction, sort, list(position)], salt=_SALT, compress=True)


def _read(cursor: str, sort: str) -> tuple[str, tuple]:
    try:
        direction, cursor_sort, position = signing.loads(cursor, salt=_SALT)
    except (signing.BadSignature, ValueError, TypeError):
        raise QueryError({"cursor": ["Not a cursor from this API."]}) from None
    if cursor_sort != sort:
        raise QueryError({"cursor": ["This cursor belongs to another sort order."]})
    return direction, tuple(position)
