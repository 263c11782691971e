"""The file mail backend, a little slow, and keeping a log of every delivery attempt.

Slow, so that a worker killed on purpose dies in the middle of a batch; the attempt log
shows what reached the provider's door, the .eml files what the provider kept (one per
Message-ID, as a provider honouring idempotency keys does).
"""

import os
import time

from therapy.mailfiles import MessageFileBackend


class SlowMessageFileBackend(MessageFileBackend):
    def send_messages(self, email_messages):
        self.directory.mkdir(parents=True, exist_ok=True)
        with (self.directory / "attempts.log").open("a") as log:
            for message in email_messages:
                log.write(f"{os.getpid()} {message.extra_headers.get('Message-ID')}\n")
        time.sleep(0.03 * len(email_messages))
        return super().send_messages(email_messages)
