import pytest

from tests.sms_server import ACCOUNT_SID, AUTH_TOKEN, FROM_NUMBER, TwilioServer


@pytest.fixture
def twilio(settings):
    """Texts go through the Twilio backend to a local server that speaks Twilio's API. The
    public address differs from the test client's host, as behind a proxy."""
    server = TwilioServer().start()
    settings.SITE_URL = "https://couples.example.org"
    settings.SMS_BACKEND = "clients.sms.TwilioSmsBackend"
    settings.TWILIO_ACCOUNT_SID = ACCOUNT_SID
    settings.TWILIO_AUTH_TOKEN = AUTH_TOKEN
    settings.TWILIO_FROM_NUMBER = FROM_NUMBER
    settings.TWILIO_MESSAGING_SERVICE_SID = ""
    settings.TWILIO_STATUS_CALLBACK_URL = "https://couples.example.org/sms/status/"
    settings.TWILIO_API_BASE_URL = server.base_url
    settings.TWILIO_TIMEOUT_SECONDS = 1
    yield server
    server.stop()
