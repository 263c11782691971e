"""The API's docs page in a real browser, under the site's Content-Security-Policy: Swagger UI
starts from our own static files, shows the three endpoints, and nothing is refused."""

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from tests.e2e.test_content_security_policy import LAPTOP, new_page, visit

pytestmark = pytest.mark.e2e


def test_the_docs_page_runs_under_the_sites_policy(browser, live_server):
    watch, page = new_page(browser, LAPTOP)
    requested = []
    page.on("request", lambda request: requested.append(request.url))
    visit(page, live_server.url + reverse("api-docs"))
    expect(page.get_by_text("/api/v1/caseload/")).to_be_visible()
    expect(page.get_by_text("/api/v1/couples/{couple_id}/brief/")).to_be_visible()
    page.wait_for_timeout(200)
    assert watch.violations == [] and watch.console == [] and watch.missing == []
    assert all(url.startswith(live_server.url) or url.startswith("data:") for url in requested)
