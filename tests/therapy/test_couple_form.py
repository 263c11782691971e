"""The add and change couple form as the counselor sees it: a time zone typed with
suggestions, quiet hours in local hours and minutes, and no 'left the work' box on a partner
who is only being added."""

import datetime as dt
import re

from django.urls import reverse

from clients.models import Couple
from tests.conftest import login
from tests.therapy.test_couple_workflow import couple_form


def test_the_time_zone_is_a_text_box_with_suggestions_starting_at_the_practices_zone(
    client, maya
):
    login(client, maya)
    page = client.get(reverse("admin:clients_couple_add")).content.decode()
    box = re.search(r'<input type="text" name="partners-0-time_zone"[^>]*>', page).group(0)
    assert 'value="America/New_York"' in box  # the practice's zone
    assert 'list="id_partners-0-time_zone_names"' in box
    assert '<datalist id="id_partners-0-time_zone_names">' in page
    assert '<option value="Asia/Kathmandu">' in page
    assert '<select name="partners-0-time_zone"' not in page


def test_a_time_zone_typed_loosely_is_saved_under_its_proper_name(client, maya):
    login(client, maya)
    client.post(
        reverse("admin:clients_couple_add"),
        couple_form("Ortiz & Haddad", [("Lena Ortiz", "lena@mail.example", " europe/berlin ")]),
    )
    partner = Couple.objects.get(label="Ortiz & Haddad").partners.get()
    assert partner.time_zone == "Europe/Berlin"


def test_an_unknown_time_zone_is_refused_with_what_to_type_instead(client, maya):
    login(client, maya)
    response = client.post(
        reverse("admin:clients_couple_add"),
        couple_form("Ortiz & Haddad", [("Lena Ortiz", "lena@mail.example", "Mars/Olympus")]),
    )
    page = response.content.decode()
    assert "“Mars/Olympus” is not a time zone we know." in page
    assert "such as Europe/London or America/New_York" in page
    assert 'value="Mars/Olympus"' in page  # kept as typed, to correct
    assert not Couple.objects.filter(label="Ortiz & Haddad").exists()


def test_quiet_hours_are_plain_local_hours_and_minutes(client, maya, couple, partner_a):
    partner_a.quiet_hours_start = dt.time(22, 30)
    partner_a.save()
    login(client, maya)
    page = client.get(reverse("admin:clients_couple_change", args=[couple.pk])).content.decode()
    start = re.search(r'<input type="time" name="partners-0-quiet_hours_start"[^>]*>', page)
    assert 'value="22:30"' in start.group(0)
    assert "vTimeField" not in page  # not the admin's widget, with its "Now" and clock note
    assert "hours ahead of server time" not in page and "Now</a>" not in page
    assert "22:30:00" not in page


def test_quiet_hours_typed_as_hours_and_minutes_are_saved(client, maya):
    login(client, maya)
    data = couple_form("Ortiz & Haddad", [("Lena Ortiz", "lena@mail.example", "Europe/Berlin")])
    data["partners-0-quiet_hours_start"] = "22:15"
    assert client.post(reverse("admin:clients_couple_add"), data).status_code == 302
    partner = Couple.objects.get(label="Ortiz & Haddad").partners.get()
    assert partner.quiet_hours_start == dt.time(22, 15)


def test_a_new_partner_has_no_left_the_work_box(client, maya):
    login(client, maya)
    page = client.get(reverse("admin:clients_couple_add")).content.decode()
    row = re.search(r'<div class="form-row([^"]*) field-removed">', page)
    assert "hidden" in row.group(1).split()
    assert 'type="checkbox" name="partners-0-removed"' not in page


def test_a_removed_box_posted_for_a_new_partner_is_ignored(client, maya):
    login(client, maya)
    data = couple_form("Ortiz & Haddad", [("Lena Ortiz", "lena@mail.example", "Europe/Berlin")])
    data["partners-0-removed"] = "on"
    assert client.post(reverse("admin:clients_couple_add"), data).status_code == 302
    assert Couple.objects.get(label="Ortiz & Haddad").partners.get().removed_at is None


def test_a_saved_partner_can_be_marked_as_no_longer_part_of_the_work(client, maya, couple):
    login(client, maya)
    page = client.get(reverse("admin:clients_couple_change", args=[couple.pk])).content.decode()
    assert 'type="checkbox" name="partners-0-removed"' in page
    assert "No longer part of this work" in page
