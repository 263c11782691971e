"""API keys: a practice admin makes one in the dashboard, sees it once, and the practice's
other systems read the API with it, scoped and logged as the practice admin's reads are."""

import re

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.conftest import login
from tests.database_text import stored_text
from therapy.api_keys import create_api_key, revoke_api_keys
from therapy.models import AccessLog, ApiKey

CASELOAD = reverse("api-caseload")
ADD_KEY = reverse("admin:therapy_apikey_add")
KEYS = reverse("admin:therapy_apikey_changelist")


def scores_url(couple):
    return reverse("api-scores", args=[couple.pk])


def bearer(raw_key):
    return {"HTTP_AUTHORIZATION": f"Bearer {raw_key}"}


def make_key(practice, scope=ApiKey.Scope.READ, name="Billing"):
    return create_api_key(
        practice=practice, name=name, scope=scope, created_by=None, now=timezone.now()
    )


@pytest.fixture
def practice_key(practice):
    """A read key of Maya's practice, as its billing system would hold it."""
    return make_key(practice)


def test_a_practice_admin_makes_a_key_that_is_shown_once_and_reads_the_practice(
    client, priya, couple, daniels_couple
):
    login(client, priya)
    page = client.post(ADD_KEY, {"name": "Billing", "scope": "read"}, follow=True)
    [raw_key] = re.findall(r"tk_[0-9a-f]{8}_[A-Za-z0-9_-]{43}", page.content.decode())
    key = ApiKey.objects.get()
    assert (key.practice, key.name, key.created_by) == (priya.practice, "Billing", priya.user)
    assert raw_key not in client.get(KEYS).content.decode()  # shown once only
    assert raw_key not in stored_text(decrypted=True)  # not in the session either
    client.logout()
    body = client.get(CASELOAD, **bearer(raw_key)).json()
    assert sorted(row["label"] for row in body["results"]) == ["Nakamura & Berg", "Rivera & Chen"]
    key.refresh_from_db()
    assert key.last_used_at is not None


def test_only_the_keys_digest_is_stored(practice_key, client, couple):
    key, raw_key = practice_key
    client.get(scores_url(couple), **bearer(raw_key))
    stored = stored_text(decrypted=True)
    assert raw_key not in stored
    # Nor its secret part (which may itself hold "_", so it is cut after the public prefix).
    assert raw_key.removeprefix(f"tk_{key.prefix}_") not in stored
    assert key.digest in stored


def test_a_revoked_key_answers_401_and_says_so(practice_key, client, couple):
    key, raw_key = practice_key
    revoke_api_keys(keys=ApiKey.objects.filter(pk=key.pk), now=timezone.now())
    response = client.get(CASELOAD, **bearer(raw_key))
    assert response.status_code == 401
    assert response.json()["detail"] == "This API key has been revoked."
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_an_unknown_key_answers_401(practice_key, client):
    _, raw_key = practice_key
    for wrong in (raw_key[:-1] + ("A" if raw_key[-1] != "A" else "B"), "nonsense", "tk_x_y"):
        response = client.get(CASELOAD, **bearer(wrong))
        assert response.status_code == 401
        assert response.json()["detail"] == "Unknown API key."


def test_another_practices_key_answers_404_for_a_couple_and_lists_none(
    outsider, client, history
):
    _, raw_key = make_key(outsider.practice)
    assert client.get(scores_url(history), **bearer(raw_key)).status_code == 404
    assert client.get(CASELOAD, **bearer(raw_key)).json()["results"] == []
    assert not AccessLog.objects.exists()


def test_a_read_key_cannot_write_and_a_read_write_key_finds_nothing_to_write(practice, client):
    _, read_key = make_key(practice)
    _, write_key = make_key(practice, scope=ApiKey.Scope.READ_WRITE, name="Scheduling")
    response = client.post(CASELOAD, {}, **bearer(read_key))
    assert response.status_code == 403
    assert response.json()["detail"] == "This API key may only read."
    assert client.post(CASELOAD, {}, **bearer(write_key)).status_code == 405  # read-only API


def test_a_keys_reads_are_in_the_access_log_under_the_key_and_not_the_key_itself(
    practice_key, client, history
):
    key, raw_key = practice_key
    assert client.get(scores_url(history), **bearer(raw_key)).status_code == 200
    [log] = AccessLog.objects.all()
    assert (log.user, log.couple, log.what) == (key.user, history, "couple scores (API)")
    assert log.user.username == f"api-key-{key.prefix}"
    assert not log.user.has_usable_password()
    assert raw_key not in str(AccessLog.objects.values())


def test_each_key_is_rate_limited_on_its_own(practice, client, settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"api_key": "3/min"},
    }
    _, first = make_key(practice)
    _, second = make_key(practice, name="Reporting")
    assert [client.get(CASELOAD, **bearer(first)).status_code for _ in range(4)] == [
        200,
        200,
        200,
        429,
    ]
    assert int(client.get(CASELOAD, **bearer(first))["Retry-After"]) > 0
    assert client.get(CASELOAD, **bearer(second)).status_code == 200


def test_counselors_see_no_keys_and_a_practice_admin_only_the_practices(
    client, maya, priya, outsider
):
    make_key(priya.practice, name="Our billing")
    make_key(outsider.practice, name="Their billing")
    login(client, maya)
    assert client.get(KEYS).status_code == 403
    assert client.get(ADD_KEY).status_code == 403
    client.logout()
    login(client, priya)
    page = client.get(KEYS).content.decode()
    assert "Our billing" in page and "Their billing" not in page
    theirs = ApiKey.objects.get(name="Their billing")
    assert client.get(reverse("admin:therapy_apikey_change", args=[theirs.pk])).status_code == 404


def test_a_practice_admin_revokes_a_key_in_the_dashboard(client, priya, practice_key):
    key, raw_key = practice_key
    login(client, priya)
    client.post(KEYS, {"action": "revoke_selected", "_selected_action": [key.pk]})
    key.refresh_from_db()
    assert key.is_revoked
    client.logout()
    assert client.get(CASELOAD, **bearer(raw_key)).status_code == 401


def test_a_malformed_rate_limit_fails_loudly():
    from tests.therapy.test_settings import manage

    result = manage("check", API_KEY_RATE="lots")
    assert result.returncode != 0
    assert "API_KEY_RATE must be like 120/min" in result.stderr
    assert manage("check", API_KEY_RATE="5/s").returncode == 0
