"""The dashboard speaks of couples, partners and alerts, not in the admin's stock phrases."""

import re

from django.urls import reverse
from django.utils import timezone

from tests.conftest import login
from therapy.models import Alert


def test_the_couple_details_page_is_titled_by_the_couple(client, maya, couple):
    login(client, maya)
    page = client.get(reverse("admin:clients_couple_change", args=[couple.pk])).content.decode()
    assert "<h1>Rivera &amp; Chen: details</h1>" in page
    assert "Change couple" not in page and "View couple" not in page
    assert "<b>Partner:</b> <span class=\"inline_label\">Sam" in page


def test_a_partner_being_added_is_a_new_partner_not_number_one(client, maya):
    login(client, maya)
    page = client.get(reverse("admin:clients_couple_add")).content.decode()
    assert '<b>New partner</b> <span class="inline_label">#1' in page
    assert "<b>Partner:</b>" not in page


def test_no_page_offers_to_view_the_site(client, maya, couple):
    login(client, maya)
    for url in ("/admin/", reverse("admin:clients_couple_changelist")):
        assert "View site" not in client.get(url).content.decode()


def test_the_list_of_couples_opens_each_couples_page_and_reads_alone_on_a_phone(
    client, maya, couple
):
    login(client, maya)
    page = client.get(reverse("admin:clients_couple_changelist")).content.decode()
    overview = reverse("admin:clients_couple_overview", args=[couple.pk])
    assert f'<a href="{overview}">Rivera &amp; Chen</a>' in page
    assert re.search(r'<td class="field-submitted_total">0 handed in</td>', page)
    assert re.search(r'<td class="field-added[^"]*">Added [A-Z][a-z]{2} \d', page)


def test_an_alerts_page_is_titled_alert(client, maya, couple):
    alert = Alert.objects.create(
        couple=couple, kind=Alert.Kind.MISSED_WORK, reason="Late", created_at=timezone.now()
    )
    login(client, maya)
    page = client.get(reverse("admin:therapy_alert_change", args=[alert.pk])).content.decode()
    assert "<h1>Alert</h1>" in page
    assert "Change alert" not in page and "View alert" not in page
