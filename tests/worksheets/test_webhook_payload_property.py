"""Property: whatever partners answer, none of their written answers reaches a webhook.

For any answers to the worksheets with written parts, submitted by both partners (which also
raises whatever score and pattern alerts the answers call for), every body the practice's
receiver gets is signed, and none contains the text of any answer.
"""

import datetime as dt
import json

import pytest
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.clients.test_private_answers_property import answer_values
from tests.factories import couple_with_partners
from tests.webhook_receiver import Receiver
from therapy import webhooks
from therapy.models import WebhookSubscription
from worksheets.assignments import assign_worksheet
from worksheets.models import Reminder, WorksheetItem
from worksheets.outbox import claim_due_reminders, send_batch
from worksheets.responses import submit_response

# The worksheets with written answers.
SLUGS = ["needs-conversation", "support-preferences", "growth-follow-up"]
WRITTEN = st.text(alphabet="klmnopqrstuvwxyz ", min_size=3, max_size=24).map(
    lambda text: f"Private {text.strip()}"
)


def answer(item: WorksheetItem) -> st.SearchStrategy:
    if item.kind == WorksheetItem.Kind.TEXT:
        return WRITTEN
    return answer_values(item)


@st.composite
def answers_for(draw, items) -> dict:
    return {item.key: draw(answer(item)) for item in items if item.required or draw(st.booleans())}


@pytest.fixture
def receiver(settings):
    settings.WEBHOOK_ALLOW_LOCAL_HTTP = True
    server = Receiver().start()
    yield server
    server.stop()


def written_answers(answers: dict) -> list[str]:
    return [
        value
        for value in answers.values()
        if isinstance(value, str) and value.startswith("Private")
    ]


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_no_written_answer_reaches_a_webhook(receiver, maya, library, data):
    template = library.get(slug=data.draw(st.sampled_from(SLUGS)))
    items = list(template.items.all())
    now = timezone.now()
    if not WebhookSubscription.objects.filter(practice=maya.practice).exists():
        _, secret = webhooks.create_subscription(
            practice=maya.practice,
            url=receiver.url(),
            events=[event for event, _ in webhooks.EVENT_TYPES],
            created_by=None,
            now=now,
        )
        receiver.secrets["/hooks"] = secret
    couple = couple_with_partners(counselor=maya, label="Rivera & Chen")
    assignment = assign_worksheet(
        couple=couple,
        template=template,
        due_at=now + dt.timedelta(days=3),
        assigned_by=maya,
        now=now,
    )
    written = []
    for partner in couple.partners.order_by("pk"):
        answers = data.draw(answers_for([i for i in items if not i.is_safety_signal]))
        written += written_answers(answers)
        response = assignment.responses.get(partner=partner)
        submit_response(response_id=response.pk, partner=partner, answers=answers, now=now)
    receiver.received.clear()
    claimed = claim_due_reminders(now=now, limit=500)
    send_batch(
        list(
            Reminder.objects.filter(pk__in=claimed, kind=Reminder.Kind.WEBHOOK).values_list(
                "pk", flat=True
            )
        ),
        clock=lambda: now,
    )
    assert len(receiver.received) >= 2  # one submission each, and any alerts
    for got in receiver.received:
        assert got.signature_valid
        text = json.dumps(json.loads(got.body), ensure_ascii=False)
        for value in written:
            assert value not in text
