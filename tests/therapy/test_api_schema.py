"""The API's OpenAPI 3.1 schema: served, committed as docs/openapi.yaml, and never out of date;
and its docs page, which loads everything from our own static files."""

import re
from pathlib import Path

import yaml
from django.contrib.staticfiles import finders
from django.core.management import call_command
from django.urls import reverse

COMMITTED = Path(__file__).resolve().parents[2] / "docs" / "openapi.yaml"


def test_the_committed_schema_is_the_one_the_code_makes(tmp_path):
    made = tmp_path / "openapi.yaml"
    call_command("spectacular", file=str(made), validate=True, fail_on_warn=True)
    assert made.read_text() == COMMITTED.read_text(), (
        "docs/openapi.yaml is out of date: python manage.py spectacular --validate "
        "--fail-on-warn --file docs/openapi.yaml"
    )


def test_the_schema_is_served_as_openapi_3_1(client, db):
    response = client.get(reverse("api-schema"))
    assert response.status_code == 200
    schema = yaml.safe_load(response.content)
    assert schema["openapi"] == "3.1.0"
    assert set(schema["paths"]) >= {
        "/api/v1/caseload/",
        "/api/v1/couples/{couple_id}/scores/",
        "/api/v1/couples/{couple_id}/brief/",
        "/api/v1/exports/caseload.csv",
        "/api/v1/couples/{couple_id}/scores.csv",
        "/api/v1/exports/completion.csv",
        "/api/v1/couples/",
        "/api/v1/couples/{couple_id}/",
        "/api/v1/couples/{couple_id}/close/",
        "/api/v1/couples/{couple_id}/partners/",
        "/api/v1/partners/{partner_id}/",
        "/api/v1/couples/{couple_id}/sessions/",
        "/api/v1/sessions/{session_id}/",
        "/api/v1/sessions/{session_id}/cancel/",
        "/api/v1/alerts/",
        "/api/v1/alerts/{alert_id}/",
        "/api/v1/alerts/{alert_id}/acknowledge/",
    }
    assert schema["components"]["securitySchemes"]["apiKey"]["scheme"] == "bearer"


def test_the_docs_page_loads_its_scripts_and_styles_from_our_static_files(client, db):
    response = client.get(reverse("api-docs"))
    assert response.status_code == 200
    page = response.content.decode()
    sources = re.findall(r'<script src="([^"]+)"', page)
    styles = re.findall(r'<link rel="stylesheet" href="([^"]+)"', page)
    assert len(sources) == 3 and len(styles) == 1
    # No inline script or style for the policy to block.
    assert page.count("<script") == len(sources)
    assert "<style" not in page and "style=" not in page
    for url in [*sources[:2], *styles]:
        assert url.startswith("/static/drf_spectacular_sidecar/swagger-ui-dist/")
        assert finders.find(url.removeprefix("/static/")), url
    start = client.get(sources[2])
    assert start.status_code == 200
    assert start["Content-Type"].startswith("application/javascript")
    assert "/api/schema/" in start.content.decode()


def test_the_docs_page_widens_the_policy_only_by_data_images(client, db):
    docs = client.get(reverse("api-docs"))["Content-Security-Policy"]
    elsewhere = client.get(reverse("api-schema"))["Content-Security-Policy"]
    assert "script-src 'self'" in docs and "unsafe" not in docs
    assert docs.replace(" data:", "") == elsewhere
    assert "data:" not in elsewhere
