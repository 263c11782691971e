import datetime as dt

import factory
from django.contrib.auth import get_user_model
from django.utils import timezone

from clients.models import Couple, Partner
from therapy.models import Counselor, Practice

PASSWORD = "a-long-test-password-42"


class PracticeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Practice

    name = factory.Sequence(lambda n: f"Practice {n}")
    time_zone = "America/New_York"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    email = factory.LazyAttribute(lambda user: f"{user.username}@practice.example")
    is_staff = True
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def save_password(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class CounselorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Counselor

    user = factory.SubFactory(UserFactory)
    practice = factory.SubFactory(PracticeFactory)


class CoupleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Couple
        skip_postgeneration_save = True

    practice = factory.SubFactory(PracticeFactory)
    label = factory.Sequence(lambda n: f"Couple {n}")

    @factory.post_generation
    def counselors(self, create, extracted, **kwargs):
        if create and extracted:
            self.counselors.add(*extracted)


class PartnerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Partner

    couple = factory.SubFactory(CoupleFactory)
    display_name = factory.Faker("first_name")
    email = factory.Sequence(lambda n: f"partner{n}@mail.example")
    time_zone = "America/New_York"
    quiet_hours_start = dt.time(21, 0)
    quiet_hours_end = dt.time(8, 0)
    preferred_hour = 18
    consented_at = factory.LazyFunction(timezone.now)


def couple_with_partners(*, counselor, label="Couple", names=("Sam", "Alex"), **partner_fields):
    couple = CoupleFactory(practice=counselor.practice, label=label, counselors=[counselor])
    for name in names:
        PartnerFactory(couple=couple, display_name=name, **partner_fields)
    return couple


def safety_draft(*, couple, partner, counselor, library, now, written):
    """`partner`'s draft of the safety check, assigned to them alone: it says they often felt
    scared (an urgent alert) and writes `written` in its free-text question, a private answer
    to look for where it must never show."""
    from worksheets.assignments import assign_worksheet
    from worksheets.responses import save_draft

    check = assign_worksheet(
        couple=couple,
        template=library.get(slug="safety-check"),
        due_at=now + dt.timedelta(days=2),
        assigned_by=counselor,
        now=now,
        for_partner=partner,
    )
    save_draft(
        response_id=check.responses.get().pk,
        partner=partner,
        answers={"felt_scared": "often", "anything_else": written},
        now=now,
        item_keys={"felt_scared", "anything_else"},
    )
    return check
