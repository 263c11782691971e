"""The API's alerts: listed, filtered and read within the caller's scope, and acknowledged by
the dashboard's rule (an urgent alert only with a note on the follow-up)."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.conftest import login
from tests.factories import couple_with_partners, safety_draft
from tests.therapy.test_api_couples import ROLES, pointers, send, sign_in
from therapy.models import Alert

ALERTS = reverse("api-alerts")


def raise_alert(couple, now, *, kind=Alert.Kind.MISSED_WORK, minutes_ago=0, reason="Late"):
    return Alert.objects.create(
        couple=couple,
        kind=kind,
        reason=reason,
        created_at=now - dt.timedelta(minutes=minutes_ago),
    )


def acknowledge_url(alert):
    return reverse("api-alert-acknowledge", args=[alert.pk])


@pytest.mark.parametrize("role", list(ROLES))
def test_each_caller_acknowledges_only_the_alerts_in_its_scope(
    role, client, couple, maya, daniel, priya, outsider, now
):
    alert = raise_alert(couple, now)
    headers, account = sign_in(role, client, maya, daniel, priya, outsider)
    response = send(client, "post", acknowledge_url(alert), {"note": "Called them"}, **headers)
    assert response.status_code == ROLES[role], response.content
    alert.refresh_from_db()
    if response.status_code == 200:
        assert response.json()["acknowledged_at"] is not None
        assert alert.follow_up_note == "Called them"
        assert alert.history.latest().history_user == account
    else:
        assert alert.is_open


@pytest.mark.parametrize("role", list(ROLES))
def test_each_caller_lists_the_alerts_in_its_scope(
    role, client, couple, daniels_couple, maya, daniel, priya, outsider, now
):
    raise_alert(couple, now, reason="About Rivera & Chen")
    raise_alert(daniels_couple, now, minutes_ago=5, reason="About Nakamura & Berg")
    headers, _ = sign_in(role, client, maya, daniel, priya, outsider)
    response = client.get(ALERTS, **headers)
    seen = {
        "counselor": ["Rivera & Chen"],
        "other counselor": ["Nakamura & Berg"],
        "practice admin": ["Rivera & Chen", "Nakamura & Berg"],
        "read key": ["Rivera & Chen", "Nakamura & Berg"],
        "read-write key": ["Rivera & Chen", "Nakamura & Berg"],
        "other practice key": [],
    }
    if role in seen:
        assert response.status_code == 200
        assert [row["couple"]["label"] for row in response.json()["results"]] == seen[role]
    else:
        assert response.status_code == {"revoked key": 401, "nobody": 403}[role]


def test_an_urgent_alert_is_acknowledged_only_with_a_note(client, maya, couple, now):
    alert = raise_alert(couple, now, kind=Alert.Kind.SAFETY)
    login(client, maya)
    response = send(client, "post", acknowledge_url(alert), {})
    assert response.status_code == 400
    assert list(pointers(response)) == ["#/note"]
    assert "urgent alert is acknowledged only with a note" in pointers(response)["#/note"]
    alert.refresh_from_db()
    assert alert.is_open
    done = send(client, "post", acknowledge_url(alert), {"note": "Saw Sam alone"}).json()
    assert done["acknowledged_by"] == maya.display_name
    assert done["follow_up_note"] == "Saw Sam alone"


def test_the_filters_keep_one_couples_open_or_acknowledged_alerts(
    client, priya, couple, daniels_couple, now
):
    open_one = raise_alert(couple, now)
    seen = raise_alert(couple, now, minutes_ago=1)
    seen.acknowledged_at = now
    seen.save()
    raise_alert(daniels_couple, now, minutes_ago=2)
    login(client, priya)

    def ids(**query):
        return [row["id"] for row in client.get(ALERTS, query).json()["results"]]

    assert ids(couple=couple.pk, state="open") == [open_one.pk]
    assert ids(couple=couple.pk, state="acknowledged") == [seen.pk]
    assert len(ids()) == 3
    refused = client.get(ALERTS, {"state": "closed", "couple": "x"})
    assert refused.status_code == 400
    assert sorted(e["parameter"] for e in refused.json()["errors"]) == ["couple", "state"]


def test_alerts_come_in_pages_newest_first(client, maya, couple, now, monkeypatch):
    from therapy import api_pages

    monkeypatch.setattr(api_pages, "PAGE_SIZE", 2)
    made = [raise_alert(couple, now, minutes_ago=n) for n in range(5)]
    # Two at the same moment: the id breaks the tie.
    made.append(raise_alert(couple, now, minutes_ago=2))
    login(client, maya)
    page, seen = client.get(ALERTS).json(), []
    while True:
        seen += [row["id"] for row in page["results"]]
        if page["next"] is None:
            break
        page = client.get(page["next"]).json()
    expected = sorted(made, key=lambda a: (a.created_at, a.pk), reverse=True)
    assert seen == [alert.pk for alert in expected]


def test_an_alerts_reason_names_the_worksheet_never_an_answer(client, maya, couple, library, now):
    sam = couple.partners.order_by("pk")[0]
    check = safety_draft(
        couple=couple,
        partner=sam,
        counselor=maya,
        library=library,
        now=now,
        written="PRIVATE-SENTINEL-7731",
    )
    login(client, maya)
    [alert] = client.get(ALERTS).json()["results"]
    assert alert["urgent"] is True
    assert f"“{check.template.title}”" in alert["reason"]
    detail = client.get(reverse("api-alert", args=[alert["id"]]))
    for body in (str(alert), detail.content.decode()):
        assert "PRIVATE-SENTINEL-7731" not in body and "often" not in body


def test_another_counselors_alert_answers_404(client, daniel, couple, now):
    alert = raise_alert(couple, now)
    login(client, daniel)
    assert client.get(reverse("api-alert", args=[alert.pk])).status_code == 404


def alert_list_queries(client, counselor, now, couples):
    for n in range(couples):
        other = couple_with_partners(counselor=counselor, label=f"Couple {n:02}")
        raise_alert(other, now, minutes_ago=n)
    with CaptureQueriesContext(connection) as queries:
        assert client.get(ALERTS).status_code == 200
    return len(queries)


def test_the_alerts_list_costs_the_same_queries_for_2_or_20_alerts(client, maya, now):
    # The session, the user and counselor, then one query of alerts with their couples and
    # acknowledging counselors.
    login(client, maya)
    assert alert_list_queries(client, maya, now, 2) == alert_list_queries(client, maya, now, 18)
