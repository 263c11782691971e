"""Production settings refuse to start half-configured, and pass Django's deployment checks."""

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
GOOD_SECRET = "k" * 20 + "9f8e7d6c5b4a3f2e1d0c9b8a7f6e5d4c3b2a1"
GOOD_FERNET_KEY = "c2V2ZW4tc2Vhcy1zYWlsLXBhc3QtdGhlLWxpZ2h0aG8="
GOOD_LOOKUP_KEY = "l" * 16 + "0a1b2c3d4e5f60718293a4b5"
KEYS = {"FIELD_ENCRYPTION_KEYS": GOOD_FERNET_KEY, "FIELD_LOOKUP_KEY": GOOD_LOOKUP_KEY}


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
            "FIELD_ENCRYPTION_KEYS",
            "FIELD_LOOKUP_KEY",
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
    result = manage("check", DJANGO_ENV="production", ALLOWED_HOSTS="couples.example", **KEYS)
    assert result.returncode != 0
    assert "Production needs SECRET_KEY" in result.stderr


def test_production_refuses_to_start_without_allowed_hosts():
    result = manage("check", DJANGO_ENV="production", SECRET_KEY=GOOD_SECRET, **KEYS)
    assert result.returncode != 0
    assert "Production needs ALLOWED_HOSTS" in result.stderr


def test_production_refuses_to_start_without_encryption_keys():
    production = {"DJANGO_ENV": "production", "SECRET_KEY": GOOD_SECRET,
                  "ALLOWED_HOSTS": "couples.example"}
    result = manage("check", **production, FIELD_LOOKUP_KEY=GOOD_LOOKUP_KEY)
    assert result.returncode != 0
    assert "FIELD_ENCRYPTION_KEYS must hold one or more Fernet keys" in result.stderr
    result = manage("check", **production, FIELD_ENCRYPTION_KEYS=GOOD_FERNET_KEY)
    assert result.returncode != 0
    assert "FIELD_LOOKUP_KEY must be 32 or more random characters" in result.stderr


def test_a_malformed_encryption_key_fails_loudly_without_repeating_it():
    result = manage("check", FIELD_ENCRYPTION_KEYS=f"{GOOD_FERNET_KEY},not-a-real-key")
    assert result.returncode != 0
    assert "FIELD_ENCRYPTION_KEYS: key 2 is not a Fernet key" in result.stderr
    assert "not-a-real-key" not in result.stderr


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
        **KEYS,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_asks_staff_for_a_code_after_the_password():
    production = {
        "DJANGO_ENV": "production",
        "SECRET_KEY": GOOD_SECRET,
        "ALLOWED_HOSTS": "couples.example",
        **KEYS,
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
        **KEYS,
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


def test_the_images_build_step_loads_the_production_settings(tmp_path):
    """The Dockerfile collects static files under production settings with build-only values;
    those values must satisfy the production checks."""
    dockerfile = (ROOT / "Dockerfile").read_text().replace("\\\n", " ")
    step = next(line for line in dockerfile.splitlines() if "collectstatic" in line)
    build_env = dict(re.findall(r"\b([A-Z_]+)=(\S+)", step.split("python manage.py")[0]))
    assert {"SECRET_KEY", "FIELD_ENCRYPTION_KEYS", "FIELD_LOOKUP_KEY"} <= set(build_env)
    build_env["STATIC_ROOT"] = str(tmp_path)
    result = manage("collectstatic", "--noinput", DJANGO_ENV="production", **build_env)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "admin").is_dir()
