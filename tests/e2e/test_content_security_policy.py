"""Every page of the portal and of the dashboard, in a real browser, under the site's
Content-Security-Policy: nothing on them is refused, and every page carries the policy and the
Permissions-Policy."""

import datetime as dt
import re

import pytest
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.mail import send_mail
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone
from django_otp.oath import totp
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import expect

from clients.links import issue_link, unsubscribe_url
from clients.models import Couple, Partner
from tests.e2e.conftest import PHONE
from tests.factories import PASSWORD, UserFactory
from therapy import access
from therapy.demo import DEMO_PASSWORD, load_demo
from worksheets.assignments import assign_worksheet, cancel_assignment
from worksheets.library import load_library
from worksheets.models import Response

pytestmark = pytest.mark.e2e
LAPTOP = {"width": 1366, "height": 900}

# Runs in every page before the page's own scripts, so a refusal during parsing is caught too.
# The page reports through a function the test exposes: the report outlives the page.
REPORT_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", (event) => {
  window.reportViolation(
    `${location.pathname}: ${event.effectiveDirective} refused ${event.blockedURI || "inline"}`
    + ` (${event.sourceFile || "the page"}:${event.lineNumber})`
  );
}, true);
"""
# Site views that are not pages to look at: a POST-only sign-out, a script, a JSON lookup, a
# redirect to the public site; the two-step page only opens mid sign-in (tested below).
NOT_PAGES = {"logout", "jsi18n", "autocomplete", "view_on_site", "two_step"}
# django-otp refuses its key and QR code pages while OTP_ADMIN_HIDE_SENSITIVE_DATA is on.
REFUSED = {"otp_totp_totpdevice_config", "otp_totp_totpdevice_qrcode"}
# Downloads (JSON, PDF), not pages.
DOWNLOADS = {"clients_couple_export_partner"}


class Watch:
    """What the browser refused in one browser context, and every document it was sent."""

    def __init__(self, context):
        self.violations: list[str] = []
        self.console: list[str] = []
        self.documents = []
        self.missing: list[str] = []
        context.expose_function("reportViolation", self._on_violation)
        context.add_init_script(REPORT_VIOLATIONS)
        context.on("console", self._on_console)
        context.on("response", self._on_response)

    def _on_violation(self, text: str):
        self.violations.append(text)

    def _on_console(self, message):
        # Chromium reports a refusal, and a header it cannot read, on the console as well.
        if re.search("Content Security Policy|Permissions-Policy", message.text):
            self.console.append(f"{message.location.get('url') or '?'}: {message.text}")

    def _on_response(self, response):
        kind = response.request.resource_type
        if kind == "document":
            self.documents.append(response)
        # A stylesheet or script that moved to a file must also be found there.
        elif kind in {"stylesheet", "script"} and response.status >= 400:
            self.missing.append(f"{response.url}: {response.status}")

    def assert_clean(self, page):
        # A refusal is reported in a task of its own; let the last page's reports arrive.
        page.wait_for_timeout(200)
        assert self.violations == []
        assert self.console == []
        assert self.missing == []
        assert self.documents, "no page was loaded"
        for response in self.documents:
            assert_headers(response.url, response.all_headers())


def assert_headers(url: str, headers: dict):
    policy = headers.get("content-security-policy")
    assert policy, f"{url} has no Content-Security-Policy"
    directives = dict(part.strip().partition(" ")[::2] for part in policy.split(";"))
    for name in ("script-src", "style-src"):
        assert directives.get(name) == "'self'", (url, name, directives.get(name))
    assert "'unsafe-inline'" not in policy and "'unsafe-eval'" not in policy, (url, policy)
    assert directives["default-src"] == "'self'", (url, policy)
    assert directives["object-src"] == "'none'", (url, policy)
    assert directives["frame-ancestors"] == "'none'", (url, policy)
    permissions = headers.get("permissions-policy", "")
    for feature in ("camera", "microphone", "geolocation", "payment", "usb"):
        assert f"{feature}=()" in permissions, (url, feature, permissions)


def visit(page, url: str):
    """Open `url` and wait for its styles and scripts, whose refusal is what is looked for."""
    response = page.goto(url)
    page.wait_for_load_state("load")
    return response


def new_page(browser, viewport, **options):
    context = browser.new_context(viewport=viewport, **options)
    return Watch(context), context.new_page()


# --- The portal ------------------------------------------------------------------------------


@pytest.fixture
def worksheets(transactional_db, live_server, settings, couple, library, maya, partner_a):
    """The weekly check-in for both partners, the safety check for partner A, and a time map
    the counselor has since cancelled. Partner A has not consented yet."""
    settings.SITE_URL = live_server.url
    Partner.objects.filter(pk=partner_a.pk).update(consented_at=None)
    now = timezone.now()
    details = {"couple": couple, "due_at": now + dt.timedelta(days=4), "assigned_by": maya}
    assign_worksheet(template=library.get(slug="weekly-checkin"), now=now, **details)
    assign_worksheet(
        template=library.get(slug="safety-check"), for_partner=partner_a, now=now, **details
    )
    cancelled = assign_worksheet(template=library.get(slug="time-map"), now=now, **details)
    cancel_assignment(assignment=cancelled)
    return Response.objects.get(assignment=cancelled, partner=partner_a)


def answer(page, question_number, choice):
    page.locator(".question").nth(question_number - 1).get_by_label(choice, exact=True).check()


def test_no_portal_page_breaks_the_policy(browser, live_server, worksheets, partner_a):
    watch, page = new_page(browser, PHONE, device_scale_factor=2, is_mobile=True, has_touch=True)
    visit(page, f"{live_server.url}/p/{issue_link(partner=partner_a, now=timezone.now())}/")
    expect(page).to_have_url(re.compile(r"/portal/welcome/$"))
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Before you start")
    page.get_by_role("button", name="I understand, continue").click()
    expect(page.get_by_role("heading", name="Your worksheets")).to_be_visible()

    # The check-in: typing is saved by autosave.js, over fetch, which the policy allows.
    page.get_by_role("link", name=re.compile("^Start Weekly")).click()
    page.wait_for_load_state("load")  # autosave.js is deferred: let it listen first
    note = page.get_by_label(re.compile("anything you want your counselor to know"))
    note.press_sequentially("A calmer week.")
    expect(page.locator("#autosave-status")).to_have_text("Draft saved.")
    for number, choice in enumerate(("Agree", "Agree", "Disagree", "Agree", "Agree"), start=1):
        answer(page, number, choice)
    page.get_by_role("button", name="Review my answers").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Check your answers")
    page.get_by_role("button", name="Submit my answers").click()
    expect(page.get_by_text("not a diagnosis")).to_be_visible()
    expect(page.locator("svg.meter").first).to_be_visible()

    # The safety check, saved: from then on every page shows the support section.
    page.get_by_role("link", name="Back to your worksheets").click()
    page.get_by_role("link", name="Start How things are at home").click()
    page.locator("#q-felt_scared").get_by_label("Sometimes", exact=True).check()
    page.get_by_role("button", name="Save and finish later").click()
    expect(page.get_by_role("region", name="Support, any time")).to_be_visible()

    closed = visit(page, f"{live_server.url}/portal/worksheets/{worksheets.pk}/")
    assert closed.status == 410
    visit(page, f"{live_server.url}/portal/preferences/")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    visit(page, f"{live_server.url}/portal/progress/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Your progress")
    visit(page, f"{live_server.url}/portal/new-link/")
    visit(page, unsubscribe_url(partner_a))
    visit(page, f"{live_server.url}/portal/")
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", name="You are signed out")).to_be_visible()
    invalid = visit(page, f"{live_server.url}/p/not-a-real-token/")
    assert invalid.status == 410

    watch.assert_clean(page)
    visited = {
        re.sub(r"\d+", "N", response.url.removeprefix(live_server.url))
        for response in watch.documents
    }
    assert {
        "/portal/welcome/",
        "/portal/consent/",
        "/portal/",
        "/portal/worksheets/N/",
        "/portal/worksheets/N/review/",
        "/portal/worksheets/N/result/",
        "/portal/preferences/",
        "/portal/progress/",
        "/portal/new-link/",
        "/portal/signed-out/",
    } <= visited
    page.context.close()


# --- The dashboard ---------------------------------------------------------------------------


@pytest.fixture
def demo(transactional_db, live_server, settings, tmp_path):
    """The demo practice; e-mail written to files, so the outbox page has a message to show."""
    settings.EMAIL_BACKEND = "therapy.mailfiles.MessageFileBackend"
    settings.EMAIL_FILE_PATH = tmp_path / "mail"
    load_library()
    load_demo(now=timezone.now())
    partner = Partner.objects.order_by("pk").first()
    send_mail("Your worksheet", f"Open it here: {live_server.url}/p/x/", None, [partner.email])
    return live_server


@pytest.fixture
def operator(db):
    """Whoever runs the service, with an authenticator app and a group on record."""
    user = UserFactory(username="operator", is_superuser=True)
    TOTPDevice.objects.create(user=user, name="Phone", confirmed=True)
    StaticDevice.objects.create(user=user, name="Recovery codes", confirmed=True)
    Group.objects.create(name="Front desk")
    return user


def requested_by(user):
    request = RequestFactory().get("/admin/")
    request.user = user
    return request


def site_pages(user) -> list[str]:
    """The admin site's own pages: home, the custom views, and each app's list."""
    urls = []
    for pattern in admin.site.get_urls():
        name = getattr(pattern, "name", None)
        if name is None or name in NOT_PAGES:
            continue
        if name == "app_list":
            apps = admin.site.get_app_list(requested_by(user))
            urls += [reverse("admin:app_list", args=[app["app_label"]]) for app in apps]
        else:
            urls.append(reverse(f"admin:{name}"))
    return urls


def model_pages(user) -> tuple[list[str], list[str]]:
    """For each registered model `user` may see: its list, its add form if allowed, and every
    page of its first row (change, history, delete if allowed, and the custom views). Also
    the models with no row to open, which would leave their pages unvisited."""
    request = requested_by(user)
    urls, empty = [], []
    for model, model_admin in admin.site._registry.items():
        if not model_admin.has_view_or_change_permission(request):
            continue
        row = model_admin.get_queryset(request).order_by("pk").first()
        if row is None:
            empty.append(model._meta.label)
        for pattern in model_admin.get_urls():
            name = pattern.name
            if name is None or name in REFUSED or name in DOWNLOADS:
                continue
            if name.endswith("_add") and not model_admin.has_add_permission(request):
                continue
            if name.endswith("_delete") and not model_admin.has_delete_permission(request, row):
                continue
            params = pattern.pattern.regex.groupindex
            if not params:
                urls.append(reverse(f"admin:{name}"))
            elif row is not None:
                kwargs = dict.fromkeys(params, row.pk)
                if "partner_id" in kwargs:
                    kwargs["partner_id"] = row.partners.order_by("pk").first().pk
                urls.append(reverse(f"admin:{name}", kwargs=kwargs))
    return urls, empty


def sign_in(page, live_server, username, password):
    visit(page, f"{live_server.url}/admin/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_load_state("load")


def walk(page, live_server, urls):
    """Open each page, which must answer 200: a page refused with 403 or 404 would not show
    what it renders. CSV downloads are files, not pages: the browser saves them."""
    for url in urls:
        if url.endswith(".csv"):
            continue
        response = visit(page, live_server.url + url)
        assert response.status == 200, (url, response.status)


def test_no_dashboard_page_breaks_the_policy(browser, demo, operator):
    # The practice admin sees every page a counselor does, and the practice's own pages.
    director = get_user_model().objects.get(username="director")
    # Her access log is among the pages, and it needs a row before the walk.
    access.record_view(
        requested_by(director), Couple.objects.first(), "couple details", timezone.now()
    )
    watch, page = new_page(browser, LAPTOP)
    sign_in(page, demo, "director", DEMO_PASSWORD)
    expect(page.get_by_role("heading", name="Your caseload")).to_be_visible()
    pages, empty = model_pages(director)
    assert empty == []
    walk(page, demo, site_pages(director) + pages)
    watch.assert_clean(page)
    page.context.close()

    # The operator adds the pages only an operator opens: practices, accounts, apps, forms.
    watch, page = new_page(browser, LAPTOP)
    sign_in(page, demo, "operator", PASSWORD)
    operator_pages, empty = model_pages(operator)
    assert empty == []
    extra = [url for url in operator_pages if url not in pages]
    assert any(url.endswith("/add/") for url in extra)
    walk(page, demo, [reverse("admin:index"), *extra])
    watch.assert_clean(page)
    page.context.close()


def test_no_sign_in_page_breaks_the_policy(browser, live_server, maya, settings):
    """The pages around the password: the two-step set-up with its QR code, the code asked at
    a later sign-in, and the page of a locked account."""
    settings.STAFF_TWO_FACTOR = True
    watch, page = new_page(browser, LAPTOP)
    sign_in(page, live_server, "maya", PASSWORD)
    expect(page.get_by_role("heading", name="Set up two-step sign-in")).to_be_visible()
    device = TOTPDevice.objects.get(user=maya.user)
    page.get_by_label("Six-digit code from your authenticator app").fill(
        f"{totp(device.bin_key):06d}"
    )
    page.get_by_role("button", name="Finish setting up").click()
    expect(page.get_by_role("heading", name="Your recovery codes")).to_be_visible()
    page.get_by_role("link", name="I have kept them: go on").click()
    expect(page.get_by_role("heading", name="Your caseload")).to_be_visible()
    page.context.clear_cookies()
    sign_in(page, live_server, "maya", PASSWORD)
    expect(page.get_by_role("heading", name="Two-step sign-in")).to_be_visible()
    page.context.clear_cookies()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        sign_in(page, live_server, "someone", "not-the-password")
    expect(page.get_by_role("heading", name="Sign-in locked for now")).to_be_visible()
    watch.assert_clean(page)
    page.context.close()


def test_an_inline_script_and_a_style_attribute_are_caught(browser, live_server, transactional_db):
    watch, page = new_page(browser, LAPTOP)
    visit(page, f"{live_server.url}/portal/signed-out/")
    page.evaluate(
        """() => {
          const script = document.createElement("script");
          script.textContent = "window.ran = true";
          document.body.append(script);
          document.body.insertAdjacentHTML("beforeend", '<p style="color: red">styled</p>');
        }"""
    )
    page.wait_for_timeout(200)
    assert page.evaluate("window.ran") is None
    assert any("script-src-elem" in violation for violation in watch.violations), watch.violations
    assert any("style-src-attr" in violation for violation in watch.violations), watch.violations
    assert any("Content Security Policy" in line for line in watch.console), watch.console
    page.context.close()
