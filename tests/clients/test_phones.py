"""Phone numbers are stored in E.164 form, from the counselor's and the partner's forms alike;
a number that is not valid, or cannot take texts for a partner who wants them, is refused."""

import importlib

import pytest
from django.apps import apps as django_apps
from django.core.exceptions import ValidationError
from django.db import connection
from django.urls import reverse

from clients.models import Couple
from clients.phones import can_take_texts, normalise_phone
from tests.conftest import login, portal_sign_in
from tests.factories import PartnerFactory
from tests.therapy.test_couple_workflow import couple_form


@pytest.mark.parametrize(
    ("raw", "region", "e164"),
    [
        ("(201) 555-0123", "US", "+12015550123"),
        ("201.555.0123 ", "US", "+12015550123"),
        ("+1 201 555 0123", "GB", "+12015550123"),
        ("07400 123456", "GB", "+447400123456"),
        ("+44 7400 123456", "US", "+447400123456"),
        ("+33 6 12 34 56 78", "US", "+33612345678"),
    ],
)
def test_a_valid_number_comes_back_in_e164_form(raw, region, e164):
    assert normalise_phone(raw, region) == e164


@pytest.mark.parametrize("raw", ["555-0123", "call me", "+1 555 555 0123", "+44 7400 12", "0"])
def test_an_invalid_number_is_refused_with_a_message(raw):
    with pytest.raises(ValidationError) as refused:
        normalise_phone(raw, "US")
    assert refused.value.messages == [
        "Enter a valid phone number. A number from outside US starts with + and its country "
        "code, e.g. +44 7400 123456."
    ]


def test_mobiles_take_texts_and_landlines_do_not():
    # Numbers of the US and Canada do not say which they are, so they may.
    assert can_take_texts("+12015550123")
    assert can_take_texts("+447400123456")
    assert not can_take_texts("+442079460018")


# --- The partner's settings in the portal ---------------------------------------------------------


def preferences(channel, phone):
    return {
        "time_zone": "America/New_York",
        "quiet_hours_start": "21:00",
        "quiet_hours_end": "08:00",
        "preferred_hour": "18",
        "channel": channel,
        "phone": phone,
        "reminders_enabled": "on",
    }


def test_a_partner_types_their_number_as_they_know_it_and_it_is_stored_in_e164(client, partner_a):
    portal_sign_in(client, partner_a)
    answer = client.post("/portal/preferences/", preferences("sms", "(201) 555-0123"))
    assert answer.status_code == 302
    partner_a.refresh_from_db()
    assert (partner_a.channel, partner_a.phone) == ("sms", "+12015550123")


@pytest.mark.parametrize(
    ("channel", "phone", "error"),
    [
        ("email", "555-0123", "Enter a valid phone number."),
        ("sms", "555-0123", "Enter a valid phone number."),
        ("sms", "", "Add your mobile number to get text messages."),
        ("sms", "+44 20 7946 0018", "This number cannot take text messages"),
    ],
)
def test_a_number_that_will_not_do_gets_a_form_error_and_nothing_is_saved(
    client, partner_a, channel, phone, error
):
    portal_sign_in(client, partner_a)
    answer = client.post("/portal/preferences/", preferences(channel, phone))
    assert answer.status_code == 400
    page = answer.content.decode()
    assert error in page
    assert page.count('class="error"') == 2  # the notice at the top, and the phone field
    partner_a.refresh_from_db()
    assert (partner_a.channel, partner_a.phone) == ("email", "")


def test_a_landline_is_kept_for_a_partner_who_takes_e_mail(client, partner_a):
    portal_sign_in(client, partner_a)
    answer = client.post("/portal/preferences/", preferences("email", "+44 20 7946 0018"))
    assert answer.status_code == 302
    partner_a.refresh_from_db()
    assert partner_a.phone == "+442079460018"


# --- The counselor's couple page ------------------------------------------------------------------


def with_phones(data, *phones):
    for index, (channel, phone) in enumerate(phones):
        data[f"partners-{index}-channel"] = channel
        data[f"partners-{index}-phone"] = phone
    return data


def test_the_counselor_adds_partners_with_numbers_stored_in_e164(client, maya):
    login(client, maya)
    data = couple_form(
        "Ortiz & Haddad",
        [
            ("Lena Ortiz", "lena@mail.example", "America/New_York"),
            ("Omar Haddad", "omar@mail.example", "Europe/London"),
        ],
    )
    answer = client.post(
        reverse("admin:clients_couple_add"),
        with_phones(data, ("sms", "201-555-0123"), ("sms", "+44 7400 123456")),
    )
    assert answer.status_code == 302
    couple = Couple.objects.get(label="Ortiz & Haddad")
    assert sorted(couple.partners.values_list("phone", flat=True)) == [
        "+12015550123",
        "+447400123456",
    ]


@pytest.mark.parametrize(
    ("channel", "phone", "error"),
    [
        ("sms", "12345", "Enter a valid phone number."),
        ("sms", "", "Add a phone number to send text messages."),
        ("sms", "+44 20 7946 0018", "This number cannot take text messages"),
    ],
)
def test_the_counselor_gets_a_form_error_for_a_number_that_will_not_do(
    client, maya, channel, phone, error
):
    login(client, maya)
    data = couple_form("Ortiz & Haddad", [("Lena Ortiz", "lena@mail.example", "Europe/Berlin")])
    answer = client.post(reverse("admin:clients_couple_add"), with_phones(data, (channel, phone)))
    assert answer.status_code == 200
    assert error in answer.content.decode()
    assert not Couple.objects.filter(label="Ortiz & Haddad").exists()


# --- Numbers stored before ----------------------------------------------------------------------


def run_the_migration():
    """The migration's own function, over today's rows. (Migrating the schema back and forth
    inside a test's transaction is refused by PostgreSQL once history rows are pending.)"""
    migration = importlib.import_module("clients.migrations.0006_phones_in_e164")
    migration.phones_in_e164(django_apps, connection.schema_editor())


def test_the_migration_puts_stored_numbers_that_parse_in_e164_and_leaves_the_rest(couple):
    raw = {
        "(201) 555-0123": "+12015550123",
        "+44 7400 123456": "+447400123456",
        "+12015550177": "+12015550177",
        "555-0123": "555-0123",
        "ask at reception": "ask at reception",
        "": "",
    }
    partners = {typed: PartnerFactory(couple=couple, phone=typed) for typed in raw}
    run_the_migration()
    for typed, partner in partners.items():
        partner.refresh_from_db()
        assert partner.phone == raw[typed], typed
