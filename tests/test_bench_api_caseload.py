"""The api_caseload benchmark's baseline answers what the API answers: if the API's caseload
changes, the bare view must change with it, or the benchmark compares two different pages."""

import json

import pytest
from django.utils import timezone

from bench import api_caseload

pytestmark = pytest.mark.django_db


def test_the_bare_views_answer_the_apis_body_byte_for_byte(client, settings):
    raw_key, _ = api_caseload.seed(timezone.now())
    auth = {"HTTP_AUTHORIZATION": f"Bearer {raw_key}"}

    api = client.get(api_caseload.PATH, **auth)
    settings.MIDDLEWARE = []
    bare = {}
    for name, urls in api_caseload.BARE_VIEWS.items():
        settings.ROOT_URLCONF = urls
        bare[name] = client.get(api_caseload.PATH, **auth)

    assert api.status_code == 200
    assert {name: response.status_code for name, response in bare.items()} == {
        "bare": 200,
        "bare SQL": 200,
    }
    # The signed cursor in the next link carries the second it was made, and only that may
    # differ.
    ours = api_caseload.comparable(api.content, settings.SECRET_KEY)
    assert all(
        api_caseload.comparable(response.content, settings.SECRET_KEY) == ours
        for response in bare.values()
    )
    page = json.loads(api.content)
    assert page["next"] is not None
    assert len(page["results"]) == 50
