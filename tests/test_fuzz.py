"""Fuzz every page: no input a person can send makes a server error, and none loses a draft.

The pages come from the URLconf, walked as each role would reach them: every admin URL with
an object of that role's scope put in, every API endpoint, every portal page of a signed-in
partner with a response of each worksheet. Each page is fetched, and every form on it (as
Django rendered it from its form class: its fields, their choices, their current values) is
posted back with hypothesis choosing, field by field, the current value, another of its
choices, or something hostile: NUL bytes, huge or far-out numbers and dates, markup, missing
fields. Each page is also fetched with hostile query parameters, named from the links on the
page and the parameters the views read.

Each example runs in a transaction rolled back afterwards, so examples do not pile up.
"""

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest
from django.contrib import admin
from django.contrib.auth.models import AnonymousUser
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import login, portal_sign_in
from tests.factories import UserFactory
from therapy.input_limits import strip_nul
from therapy.models import Counselor
from therapy.sessions import schedule_session
from worksheets.assignments import assign_worksheet
from worksheets.forms import steps
from worksheets.models import Response

HOSTILE = [
    "\x00",
    "a\x00b",
    "",
    " ",
    "9999-12-31",
    "0001-01-01",
    "9999-12-31T23:59",
    "2026-02-30",
    "25:61",
    "-1",
    "0",
    "1e309",
    "99999999999999999999999",
    "NaN",
    "<script>alert(1)</script>",
    "' OR 1=1 --",
    "x" * 5000,
    "%00",
    "٣",
    "Europe/Nowhere",
    "+1 555 0100 0000 0000",
    "true",
    "null",
    "[]",
]
hostile_values = st.one_of(
    st.sampled_from(HOSTILE),
    st.text(max_size=40),
    st.integers(-(10**20), 10**20).map(str),
)
QUERY_NAMES = ["q", "o", "p", "e", "sort", "page", "cursor", "step", "next", "all", "status"]
# Pages that end the session being fuzzed, or that only sign in.
SKIP = re.compile(r"/(logout|sign-out|login|two-step)/|/p/|/unsubscribe/|^/sms/")


@dataclass
class Form:
    action: str
    fields: dict[str, list[str]] = field(default_factory=dict)  # name: current values
    choices: dict[str, list[str]] = field(default_factory=dict)  # name: every value offered


class FormsOnPage(HTMLParser):
    """The POST forms on a page: each field's current values and the values it offers."""

    def __init__(self, page_url):
        super().__init__()
        self.page_url = page_url
        self.forms: list[Form] = []
        self.links: dict[str, str] = {}
        self._form = self._select = None
        self._textarea = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "a" and a.get("href", "").startswith("?"):
            self.links.update(parse_qsl(a["href"][1:], keep_blank_values=True))
        if tag == "form":
            if (a.get("method") or "get").lower() == "post":
                self._form = Form(action=a.get("action") or self.page_url)
            return
        form, name = self._form, a.get("name")
        if form is None or not name:
            return
        if tag == "input":
            kind = a.get("type", "text")
            value = a.get("value", "on" if kind in {"checkbox", "radio"} else "")
            form.choices.setdefault(name, []).append(value)
            form.fields.setdefault(name, [])
            if kind not in {"checkbox", "radio", "submit"} or "checked" in a:
                form.fields[name].append(value)
        elif tag == "select":
            self._select = name
            form.fields.setdefault(name, [])
            form.choices.setdefault(name, [])
        elif tag == "option" and self._select:
            value = a.get("value", "")
            form.choices[self._select].append(value)
            if "selected" in a:
                form.fields[self._select].append(value)
        elif tag == "textarea":
            self._textarea = name
            form.fields[name] = [""]

    def handle_data(self, data):
        if self._textarea and self._form:
            self._form.fields[self._textarea] = [data]

    def handle_endtag(self, tag):
        if tag == "form" and self._form is not None:
            self.forms.append(self._form)
            self._form = None
        elif tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None


def url_patterns(patterns=None, prefix=""):
    """Every route of the URLconf, as (route, url name)."""
    for pattern in patterns if patterns is not None else get_resolver().url_patterns:
        if isinstance(pattern, URLResolver):
            yield from url_patterns(pattern.url_patterns, prefix + str(pattern.pattern))
        elif isinstance(pattern, URLPattern):
            yield prefix + str(pattern.pattern), pattern.name


def admin_model_of(url_name):
    for model in admin.site._registry:
        if (url_name or "").startswith(f"{model._meta.app_label}_{model._meta.model_name}_"):
            return model
    return None


def concrete_urls(user, *, couple, response_ids):
    """The routes of the URLconf with this role's objects put in."""
    request = type("R", (), {"user": user})()
    for route, name in url_patterns():
        if route.startswith("admin/^") or "(?P" in route or route.endswith("(?P<url>.*)$"):
            continue
        url = "/" + route
        if "<path:content_type_id>" in route or "<int:pk>" in route or "<id>" in route:
            continue
        if "<path:object_id>" in route:
            model = admin_model_of(name)
            if model is None:
                continue
            model_admin = admin.site._registry[model]
            obj = model_admin.get_queryset(request).order_by("pk").first()
            if obj is None:
                continue
            url = url.replace("<path:object_id>", str(obj.pk))
        if "<int:couple_id>" in route and couple is not None:
            url = url.replace("<int:couple_id>", str(couple.pk))
        if "<int:response_id>" in route:
            for response_id in response_ids:
                yield url.replace("<int:response_id>", str(response_id))
            continue
        if "<" in url or SKIP.search(url):
            continue
        yield url


def pages_with_forms(client, urls):
    found = []
    for url in urls:
        page = client.get(url)
        assert page.status_code < 500, url
        # A download streamed (the FHIR export) is read to its end, so that it runs whole.
        body = b"".join(page.streaming_content) if page.streaming else page.content
        content = body.decode() if page.status_code == 200 else ""
        parser = FormsOnPage(url)
        parser.feed(content)
        forms = [f for f in parser.forms if not SKIP.search(urlsplit(f.action).path)]
        found.append((url, forms, parser.links))
    return found


def near(value: str) -> st.SearchStrategy:
    """A value one slip away from a good one: with a NUL pasted in, far too long, or cut."""
    return st.sampled_from(
        [value + "\x00", "\x00" + value, value + "x" * 3000, value[:1], value + " 9999"]
    )


@st.composite
def posted(draw, form: Form) -> dict:
    data = {}
    for name, current in form.fields.items():
        if name == "csrfmiddlewaretoken":
            data[name] = current
            continue
        offered = [v for v in form.choices.get(name, []) if v is not None]
        how = draw(st.sampled_from(["current", "offered", "near", "near", "hostile", "missing"]))
        if how == "current" or (how == "offered" and not offered):
            values = current
        elif how == "offered":
            values = draw(st.lists(st.sampled_from(offered), max_size=3, unique=True))
        elif how == "near":
            values = [draw(near(current[0] if current else ""))]
        elif how == "hostile":
            values = [draw(hostile_values)]
        else:
            continue
        data[name] = values
    return data


@st.composite
def queries(draw, links: dict):
    """Query parameters named from the page's own links (list filters, sorting, paging) and
    the ones views read, with values near a link's or hostile."""
    names = draw(st.lists(st.sampled_from([*links, *QUERY_NAMES]), max_size=3, unique=True))
    return {
        name: draw(near(links[name]) if name in links and draw(st.booleans()) else hostile_values)
        for name in names
    }


def rolled_back(action):
    with transaction.atomic():
        result = action()
        transaction.set_rollback(True)
    return result


@pytest.fixture
def world(couple, daniels_couple, library, maya, partner_a):
    now = timezone.now()
    responses = []
    for template in library:
        if template.slug == "safety-check":
            continue  # an urgent alert would pause joint work for every other worksheet
        assignment = assign_worksheet(
            couple=couple,
            template=template,
            due_at=now + timezone.timedelta(days=5),
            assigned_by=maya,
            now=now,
        )
        responses.append(assignment.responses.get(partner=partner_a))
    schedule_session(
        couple=couple, counselor=maya, starts_at=now + timezone.timedelta(days=2), now=now
    )
    return couple, responses


FUZZ = settings(
    max_examples=250,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    derandomize=True,
)


def fuzz_pages(client, pages, data, *, check=None):
    url, forms, links = data.draw(st.sampled_from(pages), label="page")
    query = data.draw(queries(links), label="query")
    target = f"{url}?{urlencode(query)}" if query else url
    answer = rolled_back(lambda: client.get(target))
    assert answer.status_code < 500, target
    if not forms:
        return
    form = data.draw(st.sampled_from(forms), label="form")
    body = data.draw(posted(form), label="body")
    action = form.action if form.action.startswith("/") else url
    answer = rolled_back(lambda: (client.post(action, body), check and check(action, body))[0])
    assert answer.status_code < 500, (action, sorted(body))


@pytest.mark.parametrize("role", ["counselor", "practice admin", "operator"])
def test_no_dashboard_or_api_input_makes_a_server_error(world, maya, priya, role):
    couple, _ = world
    client = Client(raise_request_exception=False)
    if role == "operator":
        user = UserFactory(username="root", is_superuser=True, is_staff=True)
        client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    else:
        counselor = maya if role == "counselor" else priya
        assert counselor.role in {Counselor.Role.COUNSELOR, Counselor.Role.PRACTICE_ADMIN}
        login(client, counselor)
        user = counselor.user
    urls = [
        u
        for u in concrete_urls(user, couple=couple, response_ids=[])
        if u.startswith(("/admin/", "/api/"))
    ]
    pages = pages_with_forms(client, urls)
    assert len(pages) > 40 and sum(len(forms) for _, forms, _ in pages) > 10

    @FUZZ
    @given(data=st.data())
    def run(data):
        fuzz_pages(client, pages, data)

    run()


def test_no_portal_input_makes_a_server_error_or_loses_a_draft(world, partner_a):
    _, responses = world
    # A draft on every part of every worksheet, which no post to another part may touch.
    client = portal_sign_in(Client(raise_request_exception=False), partner_a)
    seeded = {}
    for response in responses:
        for step in steps(list(response.assignment.template.items.all())):
            page = client.get(f"/portal/worksheets/{response.pk}/?step={step.number}")
            parser = FormsOnPage(page.wsgi_request.get_full_path())
            parser.feed(page.content.decode())
            [form] = [f for f in parser.forms if "part" in f.fields]
            filled = {
                name: (form.choices.get(name) or ["some words"])[-1:]
                for name in form.fields
                if not name.startswith(("share__", "action"))
            }
            client.post(form.action, {**filled, "step": step.number, "action": "save"})
        response.refresh_from_db()
        seeded[response.pk] = dict(response.answers)
        assert response.answers, response.assignment.template.slug

    urls = list(concrete_urls(AnonymousUser(), couple=None, response_ids=[r.pk for r in responses]))
    urls = [u for u in urls if u.startswith("/portal/")]
    pages = pages_with_forms(client, urls)
    assert sum(len(forms) for _, forms, _ in pages) >= len(responses)

    def draft_kept(action, body):
        match = re.match(r"/portal/worksheets/(\d+)/", urlsplit(action).path)
        if not match:
            return
        response = Response.objects.get(pk=match.group(1))
        items = list(response.assignment.template.items.all())
        parts = steps(items)
        # The part the post names, as the server reads it: NUL characters dropped.
        named = (body.get("step") or [None])[0] or dict(parse_qsl(urlsplit(action).query)).get(
            "step"
        )
        named = strip_nul(named) if named is not None else None
        if named is None and len(parts) == 1:
            named = 1
        posted_part = {
            item.key for step in parts if str(step.number) == str(named) for item in step.items
        }
        for key, value in seeded[response.pk].items():
            if key not in posted_part:
                assert response.answers.get(key) == value, (key, sorted(body))

    @FUZZ
    @given(data=st.data())
    def run(data):
        fuzz_pages(client, pages, data, check=draft_kept)

    run()
