"""Production settings refuse to start half-configured, and pass Django's deployment checks."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
GOOD_SECRET = "k" * 20 + "9f8e7d6c5b4a3f2e1d0c9b8a7f6e5d4c3b2a1"


def manage(*args, **env):
    base = {
        key: value
        for key, value in os.environ.items()
        if key
        not in {
            "SECRET_KEY",
            "ALLOWED_HOSTS",
            "DJANGO_ENV",
            "DJANGO_DEBUG",
            "DJANGO_ALLOW_ASYNC_UNSAFE",
        }
    }
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_production_refuses_to_start_without_a_secret_key():
    result = manage("check", DJANGO_ENV="production", ALLOWED_HOSTS="couples.example")
    assert result.returncode != 0
    assert "Production needs SECRET_KEY" in result.stderr


def test_production_refuses_to_start_without_allowed_hosts():
    result = manage("check", DJANGO_ENV="production", SECRET_KEY=GOOD_SECRET)
    assert result.returncode != 0
    assert "Production needs ALLOWED_HOSTS" in result.stderr


def test_a_malformed_setting_fails_loudly():
    result = manage("check", DJANGO_DEBUG="maybe")
    assert result.returncode != 0
    assert "DJANGO_DEBUG must be true or false" in result.stderr


def test_the_deployment_checklist_is_clean_in_production():
    result = manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DJANGO_ENV="production",
        SECRET_KEY=GOOD_SECRET,
        ALLOWED_HOSTS="couples.example",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_asks_staff_for_a_code_after_the_password():
    production = {
        "DJANGO_ENV": "production",
        "SECRET_KEY": GOOD_SECRET,
        "ALLOWED_HOSTS": "couples.example",
    }
    show = ("shell", "-c", "from django.conf import settings; print(settings.STAFF_TWO_FACTOR)")
    assert manage(*show, **production).stdout.splitlines()[-1] == "True"
    assert manage(*show).stdout.splitlines()[-1] == "False"


def test_production_refuses_the_twilio_backend_without_credentials():
    result = manage(
        "check",
        DJANGO_ENV="production",
        SECRET_KEY=GOOD_SECRET,
        ALLOWED_HOSTS="couples.example",
        SMS_BACKEND="clients.sms.TwilioSmsBackend",
        TWILIO_ACCOUNT_SID="AC" + "0" * 32,
    )
    assert result.returncode != 0
    assert "TwilioSmsBackend needs TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN" in result.stderr


def test_a_malformed_twilio_setting_fails_loudly_without_repeating_a_secret():
    result = manage("check", TWILIO_ACCOUNT_SID="SK123")
    assert result.returncode != 0
    assert "TWILIO_ACCOUNT_SID must be an account SID" in result.stderr
    result = manage("check", TWILIO_AUTH_TOKEN="my-secret-token")
    assert result.returncode != 0
    assert "TWILIO_AUTH_TOKEN must be an auth token of 32 hexadecimal digits" in result.stderr
    assert "my-secret-token" not in result.stderr


def test_phone_numbers_need_a_known_default_region():
    result = manage("check", PHONE_DEFAULT_REGION="XX")
    assert result.returncode != 0
    assert "PHONE_DEFAULT_REGION must be a two-letter country code" in result.stderr


def test_delivery_reports_must_come_to_an_address_under_site_url():
    result = manage(
        "check",
        SITE_URL="https://couples.example",
        TWILIO_STATUS_CALLBACK_URL="https://elsewhere.example/sms/status/",
    )
    assert result.returncode != 0
    assert "TWILIO_STATUS_CALLBACK_URL must be an address under SITE_URL" in result.stderr
