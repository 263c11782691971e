"""Every response carries the Content-Security-Policy and the Permissions-Policy, and no
template of ours needs the inline script or style the policy refuses. The browser test
(tests/e2e/test_content_security_policy.py) loads the pages themselves."""

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
TEMPLATES = [
    path
    for app in ("clients", "therapy", "worksheets")
    for path in sorted((ROOT / app / "templates").rglob("*.html"))
]
INLINE = re.compile(
    r"<style|\sstyle\s*=|<script(?![^>]*\ssrc=)[^>]*>|\son[a-z]+\s*=|javascript:", re.IGNORECASE
)


def directives(policy: str) -> dict[str, str]:
    return dict(part.strip().partition(" ")[::2] for part in policy.split(";"))


@pytest.mark.parametrize(
    "url",
    ["/admin/login/", "/portal/welcome/", "/portal/signed-out/", "/healthz", "/api/v1/caseload/"],
)
def test_every_response_carries_both_policies(client, db, url):
    response = client.get(url)
    policy = directives(response["Content-Security-Policy"])
    assert policy["default-src"] == "'self'"
    assert policy["script-src"] == "'self'"
    assert policy["style-src"] == "'self'"
    assert policy["object-src"] == "'none'"
    assert policy["frame-ancestors"] == "'none'"
    assert policy["form-action"] == "'self'"
    permissions = response["Permissions-Policy"]
    for feature in ("camera", "microphone", "geolocation", "payment", "usb", "browsing-topics"):
        assert f"{feature}=()" in permissions


def test_no_template_has_inline_script_style_or_event_handler():
    assert len(TEMPLATES) > 20
    found = [
        f"{path.relative_to(ROOT)}: {match.group(0)}"
        for path in TEMPLATES
        for match in INLINE.finditer(path.read_text())
    ]
    assert found == []
