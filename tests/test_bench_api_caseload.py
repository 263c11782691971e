"""The api_caseload benchmark's baseline answers what the API answers: if the API's caseload
changes, the bare view must change with it, or the benchmark compares two different pages."""

import json

import pytest
from django.utils import timezone

from bench import api_caseload

pytestmark = pytest.mark.django_db


def test_the_bare_view_answers_the_apis_body_byte_for_byte(client, settings):
    raw_key, _ = api_caseload.seed(timezone.now())
    auth = {"HTTP_AUTHORIZATION": f"Bearer {raw_key}"}

    api = client.get(api_caseload.PATH, **auth)
    settings.ROOT_URLCONF = "bench.bare_caseload"
    settings.MIDDLEWARE = []
    bare = client.get(api_caseload.PATH, **auth)

    assert (api.status_code, bare.status_code) == (200, 200)
    assert bare.content == api.content
    page = json.loads(api.content)
    assert page["next"] is not None
    assert len(page["results"]) == 50
