"""Work assigned on the dashboard by a date is due by the end of that date on each partner's
own clock, and each partner is told that date in their own words."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.conftest import login
from tests.therapy.test_couple_workflow import visibility_as_in_template
from worksheets.scheduling import end_of_local_day


@pytest.mark.parametrize("zone", ["Europe/Berlin", "Pacific/Auckland", "America/Los_Angeles"])
def test_each_partner_is_due_by_the_end_of_the_chosen_date_on_their_own_clock(
    client, maya, couple, checkin, zone
):
    """The practice is in New York; one partner lives elsewhere."""
    sam, alex = couple.partners.order_by("pk")
    alex.time_zone = zone
    alex.save(update_fields=["time_zone"])
    due = (timezone.now() + dt.timedelta(days=9)).date()
    login(client, maya)
    client.post(
        reverse("admin:clients_couple_assign", args=[couple.pk]),
        {
            "template": checkin.pk,
            "due_date": due.isoformat(),
            "confirm": "1",
            **visibility_as_in_template(checkin),
        },
    )
    for partner in (sam, alex):
        response = partner.responses.get()
        zone_info = ZoneInfo(partner.time_zone)
        assert response.due_at == end_of_local_day(due, zone_info)
        local = response.due_at.astimezone(zone_info)
        assert (local.date(), local.hour, local.minute) == (due, 23, 59)
        assert f"{due:%A} {due.day} {due:%B}" in response.deadline_words(timezone.now())
