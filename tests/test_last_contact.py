"""Client.last_contact_on stays equal to the latest interaction's day through every write
that logs, moves or removes a contact."""

import datetime

import pytest
import time_machine
from django.db.models import Max

from clients.models import Client
from clients.services import client_merge, client_merge_undo, interaction_create
from privacy.services import client_erase
from touches import services as touch_services
from touches.models import Touch

from .factories import ClientFactory, InteractionFactory
from .touch_factories import TouchFactory

pytestmark = pytest.mark.django_db
TODAY = datetime.date(2026, 11, 24)


def assert_true_to_the_interactions():
    """Every client's stored last contact is the latest day of their interactions."""
    rows = Client.objects.annotate(latest=Max("interactions__date")).values_list(
        "name", "last_contact_on", "latest"
    )
    wrong = [(name, stored, latest) for name, stored, latest in rows if stored != latest]
    assert not wrong, wrong
    assert Client.objects.filter(last_contact_on__isnull=False).exists()


@time_machine.travel(datetime.datetime(2026, 11, 24, 9, 0, tzinfo=datetime.UTC), tick=False)
def test_logging_undoing_merging_and_erasing_keep_the_last_contact(owner):
    a = ClientFactory(owner=owner, name="甲", stage="client")
    b = ClientFactory(owner=owner, name="乙", stage="client")
    InteractionFactory(client=a, date=datetime.date(2026, 3, 1))
    interaction_create(
        client=b, user=owner, kind="call", on=datetime.date(2026, 5, 2), summary="问候"
    )
    assert_true_to_the_interactions()
    assert Client.objects.get(pk=b.pk).last_contact_on == datetime.date(2026, 5, 2)

    # A touch done logs today's contact; undoing it takes it off again.
    touch = TouchFactory(client=a, due_date=TODAY)
    touch_services.touch_done(touch=touch, by=owner, note="")
    assert Client.objects.get(pk=a.pk).last_contact_on == TODAY
    assert_true_to_the_interactions()
    touch_services.touch_reopen(touch=Touch.objects.get(pk=touch.pk))
    assert Client.objects.get(pk=a.pk).last_contact_on == datetime.date(2026, 3, 1)
    assert_true_to_the_interactions()

    # A festival's greetings done for all: one bulk write.
    for client in (a, b):
        TouchFactory(
            client=client,
            kind="festival",
            source="festival:mid_autumn",
            label="mid_autumn",
            occasion_date=TODAY,
            due_date=TODAY,
        )
    done = touch_services.festival_done_for_all(
        owner=owner, festival="mid_autumn", occasion=TODAY, today=TODAY
    )
    assert done == 2
    assert set(Client.objects.values_list("last_contact_on", flat=True)) == {TODAY}
    assert_true_to_the_interactions()
    # The occasion open again elsewhere: the contacts it logged go, and so does the date.
    touch_services.touches_reopen_for_source(
        kind="festival", source="festival:mid_autumn", owner_id=owner.pk
    )
    assert_true_to_the_interactions()
    assert Client.objects.get(pk=b.pk).last_contact_on == datetime.date(2026, 5, 2)

    # A merge moves the interactions to the kept client; its undo moves them back.
    merge = client_merge(kept=a, other=Client.objects.get(pk=b.pk), by=owner)
    assert Client.objects.get(pk=a.pk).last_contact_on == datetime.date(2026, 5, 2)
    assert Client.objects.get(pk=b.pk).last_contact_on is None
    assert_true_to_the_interactions()
    client_merge_undo(merge=merge, by=owner)
    assert Client.objects.get(pk=a.pk).last_contact_on == datetime.date(2026, 3, 1)
    assert_true_to_the_interactions()

    # Erasing personal data keeps the contacts' days (only their texts go).
    client_erase(client=Client.objects.get(pk=b.pk), by=owner)
    assert_true_to_the_interactions()


def test_a_client_edit_never_writes_back_a_stale_last_contact(owner):
    """The client form saves the whole row: it must not undo a contact logged meanwhile."""
    client = ClientFactory(owner=owner, name="丙")
    stale = Client.objects.get(pk=client.pk)
    InteractionFactory(client=client, date=datetime.date(2026, 6, 1))
    stale.notes = "改了备注"
    stale.save()
    assert Client.objects.get(pk=client.pk).last_contact_on == datetime.date(2026, 6, 1)
