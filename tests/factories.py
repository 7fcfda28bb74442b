import datetime

import factory
from factory.django import DjangoModelFactory

from agentcrm.accounts.models import Team, User
from clients.models import Client, Commitment, FamilyMember, Interaction, LifeEvent
from clients.services import client_last_contact_refresh

PASSWORD = "test-pass-123"
OTP_TEST_KEY = "3132333435363738393031323334353637383930"


def force_login_verified(http, user) -> None:
    """Sign `user` in on the Django test client `http`, with the second factor given when
    the user must have one (superusers and staff): an enrolled authenticator app, and the
    session marked as django_otp's login() marks it after a right code."""
    http.force_login(user)
    if not user.otp_required:
        return
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device, _created = TOTPDevice.objects.get_or_create(
        user=user, defaults={"name": "authenticator", "key": OTP_TEST_KEY, "confirmed": True}
    )
    session = http.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()


class UserFactory(DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    role = User.Role.AGENT
    password = factory.django.Password(PASSWORD)


class TeamFactory(DjangoModelFactory):
    class Meta:
        model = Team

    name = factory.Sequence(lambda n: f"Team {n}")


class ClientFactory(DjangoModelFactory):
    class Meta:
        model = Client
        skip_postgeneration_save = True

    owner = factory.SubFactory(UserFactory)
    name = factory.Sequence(lambda n: f"客户{n}")
    mobile = factory.Sequence(lambda n: f"+86138{n:08d}")
    birth_date = datetime.date(1985, 6, 15)
    stage = Client.Stage.CLIENT


class FamilyMemberFactory(DjangoModelFactory):
    class Meta:
        model = FamilyMember

    client = factory.SubFactory(ClientFactory)
    relation = FamilyMember.Relation.CHILD
    name = factory.Sequence(lambda n: f"家人{n}")
    birth_date = datetime.date(2015, 3, 1)


class InteractionFactory(DjangoModelFactory):
    class Meta:
        model = Interaction

    client = factory.SubFactory(ClientFactory)
    kind = Interaction.Kind.CALL
    date = datetime.date(2026, 1, 5)
    summary = "电话问候"

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        # As every service that logs a contact: the client's last contact follows.
        interaction = super()._create(model_class, *args, **kwargs)
        client_last_contact_refresh(client_ids=[interaction.client_id])
        return interaction


class LifeEventFactory(DjangoModelFactory):
    class Meta:
        model = LifeEvent

    client = factory.SubFactory(ClientFactory)
    kind = LifeEvent.Kind.PROMOTION
    date = datetime.date(2026, 1, 5)


class CommitmentFactory(DjangoModelFactory):
    class Meta:
        model = Commitment

    client = factory.SubFactory(ClientFactory)
    description = "送一本育儿书"
    due_date = datetime.date(2026, 12, 1)
