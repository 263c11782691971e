"""The counselor home opens with every open urgent alert on her caseload, and with nothing
when there is none."""

import datetime as dt

import pytest
from django.urls import reverse

from tests.conftest import login
from therapy.alerts import acknowledge
from therapy.models import Alert
from worksheets.assignments import assign_to_partners
from worksheets.responses import save_draft

# 16:30 UTC is 12:30 in New York (summer time), the practice's time zone.
RAISED = dt.datetime(2025, 7, 1, 16, 30, tzinfo=dt.UTC)
SECTION = 'id="urgent-heading"'


def raise_urgent_alert(couple, partner, template, counselor, now) -> Alert:
    """The partner saves a part of `template` holding a safety signal, as in the portal."""
    [assignment] = assign_to_partners(
        couple=couple,
        template=template,
        partner=partner,
        due_at=now + dt.timedelta(days=5),
        assigned_by=counselor,
        now=now,
    )
    signal = (
        {"felt_scared": "sometimes"} if template.slug == "safety-check" else {"afraid_to_say_no": 5}
    )
    save_draft(
        response_id=assignment.responses.get().pk,
        partner=partner,
        answers=signal,
        now=now,
        item_keys=set(signal),
    )
    return Alert.objects.get(response__assignment=assignment, kind=Alert.Kind.SAFETY)


@pytest.fixture
def safety_check(library):
    return library.get(slug="safety-check")


@pytest.fixture
def support_preferences(library):
    return library.get(slug="support-preferences")


def _urgent_section(page: str) -> str:
    return page.split(SECTION)[1].split("</section>")[0]


def test_the_home_opens_with_the_urgent_alert_naming_the_partner(
    client, maya, couple, partner_b, safety_check
):
    raise_urgent_alert(couple, partner_b, safety_check, maya, RAISED)
    login(client, maya)
    page = client.get("/admin/").content.decode()
    assert 'role="region" aria-labelledby="urgent-heading"' in page
    assert page.index(SECTION) < page.index("Needs your attention")
    section = _urgent_section(page)
    assert "Urgent: speak with these partners alone first" in section
    assert "speak with <strong>Alex</strong> alone first" in section
    assert "Rivera &amp; Chen" in section
    assert "(raised Tue, Jul 1, 12:30 PM)" in section  # the practice's local time, US English
    assert "Alex&#x27;s answers on “How things are at home” may signal fear" in section
    overview = reverse("admin:clients_couple_overview", args=[couple.pk])
    assert f'<a href="{overview}">Read and acknowledge' in section


def test_the_home_lists_every_urgent_alert_newest_first(
    client, maya, couple, partner_a, partner_b, safety_check, support_preferences
):
    raise_urgent_alert(couple, partner_a, support_preferences, maya, RAISED)
    raise_urgent_alert(couple, partner_b, safety_check, maya, RAISED + dt.timedelta(hours=2))
    login(client, maya)
    section = _urgent_section(client.get("/admin/").content.decode())
    assert section.count("Read and acknowledge") == 2
    assert section.index("<strong>Alex</strong>") < section.index("<strong>Sam</strong>")


def test_the_home_never_shows_another_counselors_urgent_alert(
    client, maya, daniel, couple, partner_a, daniels_couple, support_preferences
):
    ken = daniels_couple.partners.get(display_name="Ken")
    raise_urgent_alert(daniels_couple, ken, support_preferences, daniel, RAISED)
    login(client, maya)
    page = client.get("/admin/").content.decode()
    assert SECTION not in page
    assert "Ken" not in page and "Nakamura" not in page
    # With one of her own open, hers is listed and his still is not.
    raise_urgent_alert(couple, partner_a, support_preferences, maya, RAISED)
    section = _urgent_section(client.get("/admin/").content.decode())
    assert "<strong>Sam</strong>" in section and "Ken" not in section
    assert section.count("Read and acknowledge") == 1
    # Daniel sees his, and not hers.
    login(client, daniel)
    section = _urgent_section(client.get("/admin/").content.decode())
    assert "<strong>Ken</strong>" in section and "Sam" not in section


def test_the_home_has_no_urgent_section_when_none_is_open(client, maya, couple):
    Alert.objects.create(
        couple=couple, kind=Alert.Kind.CONCERN_BAND, reason="Not urgent.", created_at=RAISED
    )
    login(client, maya)
    page = client.get("/admin/").content.decode()
    assert "Not urgent." in page  # listed under "Needs your attention", as before
    assert SECTION not in page and 'class="urgent"' not in page
    assert "alone first" not in page


def test_an_acknowledged_urgent_alert_leaves_the_home(
    client, maya, couple, partner_a, partner_b, safety_check, support_preferences
):
    done = raise_urgent_alert(couple, partner_a, support_preferences, maya, RAISED)
    raise_urgent_alert(couple, partner_b, safety_check, maya, RAISED)
    acknowledge(
        alerts=Alert.objects.filter(pk=done.pk),
        counselor=maya,
        now=RAISED + dt.timedelta(hours=1),
        note="Saw Sam alone on Wednesday; no immediate risk; plan agreed.",
    )
    login(client, maya)
    section = _urgent_section(client.get("/admin/").content.decode())
    assert "<strong>Alex</strong>" in section and "Sam" not in section
    acknowledge(
        alerts=Alert.objects.filter(couple=couple),
        counselor=maya,
        now=RAISED + dt.timedelta(hours=2),
        note="Saw Alex alone too; referred to the local support line.",
    )
    assert SECTION not in client.get("/admin/").content.decode()
