"""A mail provider that holds each message until the test lets it go."""

import threading

from django.core.mail.backends.locmem import EmailBackend

entered = threading.Event()
release = threading.Event()


class BlockingBackend(EmailBackend):
    def send_messages(self, messages):
        entered.set()
        release.wait(timeout=30)
        return super().send_messages(messages)
