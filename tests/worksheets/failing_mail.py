"""Mail backends standing in for a provider that refuses, at the edge of the system."""

import smtplib

from django.core.mail.backends.base import BaseEmailBackend


class TemporarilyDownBackend(BaseEmailBackend):
    def send_messages(self, email_messages):
        raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")


class RefusingBackend(BaseEmailBackend):
    def send_messages(self, email_messages):
        raise smtplib.SMTPRecipientsRefused({"x@example.com": (550, b"No such user")})
