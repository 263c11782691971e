"""Every admin page, as every role: nobody sees a couple outside their scope."""

import datetime as dt

import pytest
from django.contrib import admin
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone

from tests.conftest import login
from worksheets.assignments import assign_worksheet
from worksheets.models import Assignment, Reminder, Response

CLIENT_DATA_MODELS = [Assignment, Response, Reminder]


@pytest.fixture
def both_caseloads(couple, daniels_couple, checkin, maya, daniel):
    due = timezone.now() + dt.timedelta(days=5)
    for c, counselor in ((couple, maya), (daniels_couple, daniel)):
        assign_worksheet(
            couple=c, template=checkin, due_at=due, assigned_by=counselor, now=timezone.now()
        )
    return couple, daniels_couple


def changelist_urls():
    return [
        reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
        for model in admin.site._registry
    ]


def object_urls(couple):
    urls = [
        reverse("admin:clients_couple_change", args=[couple.pk]),
        reverse("admin:clients_couple_assign", args=[couple.pk]),
    ]
    for model in CLIENT_DATA_MODELS:
        field = {
            "Assignment": "couple",
            "Response": "assignment__couple",
            "Reminder": "response__assignment__couple",
        }[model.__name__]
        for pk in model.objects.filter(**{field: couple}).values_list("pk", flat=True):
            urls.append(reverse(f"admin:worksheets_{model._meta.model_name}_change", args=[pk]))
    return urls


def test_a_counselor_never_sees_another_caseload_on_any_list(client, maya, both_caseloads):
    login(client, maya)
    pages = [client.get("/admin/"), *[client.get(url) for url in changelist_urls()]]
    for page in pages:
        assert page.status_code in (200, 403)
        assert "Nakamura" not in page.content.decode()
        assert "Ken" not in page.content.decode()
    assert "Rivera &amp; Chen" in pages[0].content.decode()


def test_another_counselors_couple_answers_404_on_every_page(client, maya, both_caseloads):
    _, theirs = both_caseloads
    login(client, maya)
    urls = object_urls(theirs)
    assert len(urls) > 8
    for url in urls:
        assert client.get(url).status_code == 404, url
        assert client.post(url, {}).status_code == 404, url


def test_a_counselor_opens_every_page_of_their_own_couple(client, maya, both_caseloads):
    mine, _ = both_caseloads
    login(client, maya)
    for url in object_urls(mine):
        assert client.get(url).status_code == 200, url


def test_a_practice_admin_sees_every_couple_of_the_practice(client, priya, both_caseloads):
    login(client, priya)
    page = client.get(reverse("admin:clients_couple_changelist")).content.decode()
    assert "Rivera &amp; Chen" in page and "Nakamura &amp; Berg" in page


def test_a_counselor_of_another_practice_sees_nothing(client, outsider, both_caseloads):
    mine, theirs = both_caseloads
    login(client, outsider)
    for url in changelist_urls():
        content = client.get(url).content.decode()
        assert "Rivera" not in content and "Nakamura" not in content
    for url in object_urls(mine) + object_urls(theirs):
        assert client.get(url).status_code == 404, url


def test_counselors_cannot_manage_practices_or_users(client, maya, db):
    login(client, maya)
    assert client.get(reverse("admin:therapy_practice_changelist")).status_code == 403
    assert client.get(reverse("admin:auth_user_changelist")).status_code == 403


def test_staff_without_a_counselor_profile_cannot_use_the_dashboard(client, db):
    from tests.factories import PASSWORD, UserFactory

    UserFactory(username="temp", is_staff=True)
    client.login(request=HttpRequest(), username="temp", password=PASSWORD)
    assert client.get("/admin/")["Location"].startswith("/admin/login/")


def test_anonymous_visitors_are_sent_to_the_login_page(client, both_caseloads):
    mine, _ = both_caseloads
    for url in object_urls(mine):
        response = client.get(url)
        assert response.status_code == 302 and "/admin/login/" in response["Location"]
