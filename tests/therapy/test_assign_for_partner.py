"""The assign form: who the work is for, and when partners see each other's shared answers."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.conftest import login
from tests.therapy.test_couple_workflow import visibility_as_in_template
from worksheets.models import Assignment, Response


@pytest.fixture
def safety_check(library):
    return library.get(slug="safety-check")


def assign(client, couple, template, **choices):
    due = (timezone.now() + dt.timedelta(days=7)).date().isoformat()
    return client.post(
        reverse("admin:clients_couple_assign", args=[couple.pk]),
        {
            "template": template.pk,
            "due_date": due,
            "confirm": "1",
            **visibility_as_in_template(template),
            **choices,
        },
        follow=True,
    )


def test_the_form_offers_both_partners_or_each_current_partner_by_name(
    client, maya, couple, partner_b, checkin, now
):
    partner_b.removed_at = now
    partner_b.save()
    login(client, maya)
    page = client.get(
        reverse("admin:clients_couple_assign", args=[couple.pk]), {"template": checkin.pk}
    ).content.decode()
    assert "<legend>Who is it for?</legend>" in page
    assert "Both partners</label>" in page and "Sam</label>" in page
    assert "Alex</label>" not in page  # no longer part of this work
    assert "<legend>When do partners see each other&#x27;s shared answers?</legend>" in page
    assert "goes to each of them separately" not in page


def test_assigning_to_one_partner_asks_only_that_partner(
    client, maya, couple, partner_a, partner_b, checkin
):
    partner_b.channel = "sms"
    partner_b.phone = "+1 555 0100"
    partner_b.save()
    login(client, maya)
    page = assign(client, couple, checkin, for_partner=partner_b.pk)
    assert "assigned. Alex will get a text message with their personal link." in (
        page.content.decode()
    )
    assignment = Assignment.objects.get(couple=couple)
    assert assignment.only_partner == partner_b
    assert list(Response.objects.values_list("partner", flat=True)) == [partner_b.pk]


def test_a_safety_check_for_both_goes_to_each_partner_on_their_own(
    client, maya, couple, partner_a, partner_b, safety_check
):
    login(client, maya)
    form = client.get(
        reverse("admin:clients_couple_assign", args=[couple.pk]), {"template": safety_check.pk}
    ).content.decode()
    assert "neither partner is told about the other&#x27;s" in form
    page = assign(client, couple, safety_check, for_partner="").content.decode()
    assert "assigned to each partner separately: neither is told about the other" in page
    assert "Sam and Alex will each get an e-mail with their personal link." in page
    assignments = Assignment.objects.filter(couple=couple).order_by("only_partner_id")
    assert [a.only_partner for a in assignments] == [partner_a, partner_b]
    for assignment in assignments:
        assert [r.partner for r in assignment.responses.all()] == [assignment.only_partner]


def test_the_counselor_keeps_shared_answers_for_the_session(client, maya, couple, checkin):
    login(client, maya)
    assign(client, couple, checkin, reveal=Assignment.Reveal.IN_SESSION)
    assignment = Assignment.objects.get(couple=couple)
    assert assignment.reveal == Assignment.Reveal.IN_SESSION
    assert assignment.only_partner is None and assignment.responses.count() == 2


def test_shared_answers_are_seen_after_both_by_default(client, maya, couple, checkin):
    login(client, maya)
    page = client.get(
        reverse("admin:clients_couple_assign", args=[couple.pk]), {"template": checkin.pk}
    ).content.decode()
    assert 'value="after_both" required id="id_reveal_0" checked' in page


@pytest.mark.parametrize("who", ["another couple's partner", "a removed partner", "nonsense"])
def test_a_partner_who_is_not_a_current_partner_of_this_couple_is_refused(
    client, maya, couple, partner_b, daniels_couple, checkin, now, who
):
    partner_b.removed_at = now
    partner_b.save()
    chosen = {
        "another couple's partner": daniels_couple.partners.first().pk,
        "a removed partner": partner_b.pk,
        "nonsense": "sam",
    }[who]
    login(client, maya)
    page = assign(client, couple, checkin, for_partner=chosen)
    assert page.status_code == 400
    assert "Choose both partners, or one of this couple&#x27;s current partners." in (
        page.content.decode()
    )
    assert not Assignment.objects.exists()
