"""The limits every request's input is held to, in one place.

- NUL characters are dropped from every query and form value (and name), and from every
  string in a JSON body the API parses. PostgreSQL cannot store them in text, and no one
  types them: they come from pasted text or from probing. Dropping them keeps the rest of
  what was typed, which refusing the whole post would lose (an autosave, for one).
- Dates a person enters are held to years the service can work with (`check_service_year`):
  a far date would overflow in time-zone arithmetic, or plan reminders centuries ahead.
- A formset is built with at most as many forms as it allows (`BoundedInlineMixin`), whatever
  TOTAL_FORMS says: a post claiming millions of forms costs one form list, not minutes.
- Request bodies and field counts are capped in settings (DATA_UPLOAD_MAX_MEMORY_SIZE,
  DATA_UPLOAD_MAX_NUMBER_FIELDS); a post over them answers 400.
"""

import datetime as dt

from django import forms
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

NUL = "\x00"
EARLIEST_YEAR = 2000
LATEST_YEAR = 2100


def strip_nul(value):
    """`value` with NUL characters dropped from every string in it, however nested."""
    if isinstance(value, str):
        return value.replace(NUL, "")
    if isinstance(value, list):
        return [strip_nul(v) for v in value]
    if isinstance(value, dict):
        return {strip_nul(k): strip_nul(v) for k, v in value.items()}
    return value


def _cleaned(query_dict):
    if not any(NUL in key or any(NUL in v for v in values) for key, values in query_dict.lists()):
        return query_dict
    cleaned = query_dict.copy()
    cleaned.clear()
    for key, values in query_dict.lists():
        cleaned.setlist(strip_nul(key), strip_nul(values))
    cleaned._mutable = False
    return cleaned


class CleanInputMiddleware:
    """Drops NUL characters from the query string and from form posts, before any view, form,
    list filter or sign-in backend reads them."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.GET = _cleaned(request.GET)
        # The API reads its bodies with its own parsers (CleanJSONParser), and answers a body
        # it cannot read with its own problem; reading it here as a form would answer first.
        if request.path.startswith("/api/"):
            return self.get_response(request)
        if request.method == "POST" and request.content_type in {
            "application/x-www-form-urlencoded",
            "multipart/form-data",
        }:
            request.POST = _cleaned(request.POST)
        return self.get_response(request)


class CleanJSONParser(JSONParser):
    """The API's JSON bodies, with NUL characters dropped from every string. A body nested
    deeper than Python's recursion limit is refused as malformed, not a server error."""

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            return strip_nul(super().parse(stream, media_type, parser_context))
        except RecursionError:
            raise ParseError("JSON parse error - nested too deeply.") from None


def check_service_year(value: dt.date | dt.datetime) -> None:
    if not EARLIEST_YEAR <= value.year <= LATEST_YEAR:
        raise forms.ValidationError(
            f"Choose a date between {EARLIEST_YEAR} and {LATEST_YEAR}.", code="out_of_range"
        )


class BoundedInlineMixin:
    """An admin inline whose formset is never built with more forms than `max_num`."""

    def get_formset(self, request, obj=None, **kwargs):
        max_num = self.get_max_num(request, obj, **kwargs)
        if max_num is not None:
            kwargs.setdefault("absolute_max", max_num)
        return super().get_formset(request, obj, **kwargs)
