"""The practice's support resources, set on the practice page by its admins (and operators),
and shown in the portal only to a partner whose answers raised a safety signal."""

import pytest
from django.http import HttpRequest
from django.urls import reverse

from tests.conftest import login
from tests.factories import PASSWORD, UserFactory
from therapy.models import DEFAULT_SUPPORT_MESSAGE

PRACTICE_PAGE = reverse("admin:practice")
CONTACTS = (
    "Domestic abuse helpline | 0800 200 0247 | https://help.example.org\n"
    "\n"
    "Crisis text line | +1 (741) 741\n"
    "Local shelter | | http://shelter.example.org/contact\n"
    "Chat service | https://chat.example.org\n"
)


def support(message="Call us any time.", contacts=CONTACTS):
    return {"support_message": message, "support_contacts": contacts}


@pytest.fixture
def operator(db):
    """Runs the service: a superuser with no practice of their own."""
    return UserFactory(username="olivia", is_superuser=True)


def test_a_practice_admin_sets_the_message_and_contacts(client, priya, practice):
    login(client, priya)
    page = client.post(PRACTICE_PAGE, support(), follow=True)
    assert "Support resources saved." in page.content.decode()
    practice.refresh_from_db()
    assert practice.support_message == "Call us any time."
    assert practice.support_contacts == [
        {
            "name": "Domestic abuse helpline",
            "phone": "0800 200 0247",
            "url": "https://help.example.org",
        },
        {"name": "Crisis text line", "phone": "+1 (741) 741", "url": ""},
        {"name": "Local shelter", "phone": "", "url": "http://shelter.example.org/contact"},
        {"name": "Chat service", "phone": "", "url": "https://chat.example.org"},
    ]
    # The page shows them again as lines, to edit.
    assert "Crisis text line | +1 (741) 741\nLocal shelter |  | http://" in page.content.decode()


def test_a_counselor_can_neither_see_nor_change_them(client, maya, practice):
    login(client, maya)
    assert client.get(PRACTICE_PAGE).status_code == 404
    assert client.post(PRACTICE_PAGE, support()).status_code == 404
    practice.refresh_from_db()
    assert (practice.support_message, practice.support_contacts) == (DEFAULT_SUPPORT_MESSAGE, [])


@pytest.mark.parametrize(
    ("line", "problem"),
    [
        ("Helpline | 0800 123 | ftp://files.example.org", "a link is a full web address"),
        ("Helpline | www.help.example.org", "a link is a full web address"),
        ("Helpline | ask for Anna | https://help.example.org", "a phone number has digits"),
        ("Helpline", "add a phone number or a link, or both"),
        (" | 0800 123", "start with the name of the service"),
        ("Helpline | 0800 | https://a.example | extra", "write at most three parts"),
    ],
)
def test_a_bad_line_is_named_and_nothing_is_saved(client, priya, practice, line, problem):
    login(client, priya)
    typed = f"\r\nGood line | 0800 111 222\r\n{line}\r\n"
    page = client.post(PRACTICE_PAGE, support(message="A new message", contacts=typed))
    assert page.status_code == 400
    html = page.content.decode()
    assert f"Line 3 (“{line.strip()}”): {problem}" in html
    assert "Nothing was saved" in html and "Good line | 0800 111 222" in html
    practice.refresh_from_db()
    assert (practice.support_message, practice.support_contacts) == (DEFAULT_SUPPORT_MESSAGE, [])


def test_the_message_is_required(client, priya, practice):
    login(client, priya)
    page = client.post(PRACTICE_PAGE, support(message="  "))
    assert page.status_code == 400
    assert "Write the message the partner reads first." in page.content.decode()


def test_a_practice_admin_changes_only_their_own_practice(client, priya, practice, outsider):
    login(client, priya)
    client.post(f"{PRACTICE_PAGE}?practice={outsider.practice.pk}", support())
    outsider.practice.refresh_from_db()
    practice.refresh_from_db()
    assert outsider.practice.support_contacts == []
    assert practice.support_message == "Call us any time."


def test_an_operator_sets_them_for_a_practice_they_choose(client, operator, practice, outsider):
    client.login(request=HttpRequest(), username=operator.username, password=PASSWORD)
    assert client.get(PRACTICE_PAGE)["Location"] == reverse("admin:therapy_practice_changelist")
    url = f"{PRACTICE_PAGE}?practice={outsider.practice.pk}"
    assert client.get(url).status_code == 200
    assert client.post(url, support()).status_code == 302
    outsider.practice.refresh_from_db()
    practice.refresh_from_db()
    assert len(outsider.practice.support_contacts) == 4
    assert practice.support_contacts == []
    assert client.get(f"{PRACTICE_PAGE}?practice=999999").status_code == 404
