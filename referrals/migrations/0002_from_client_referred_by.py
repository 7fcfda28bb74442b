"""Referrals recorded before this app existed lived in `clients.Client.referred_by`: each
becomes a Referral (and its first stage change) before that column is dropped."""

from django.db import migrations
from django.utils import timezone


def copy_referred_by(apps, schema_editor):
    Client = apps.get_model("clients", "Client")
    Referral = apps.get_model("referrals", "Referral")
    StageChange = apps.get_model("referrals", "ReferralStageChange")
    parent = dict(
        Client.objects.filter(referred_by__isnull=False).values_list("id", "referred_by_id")
    )

    def depth(client_id, seen=()):
        up = parent.get(client_id)
        if up is None or up in seen:
            return 0
        return 1 + depth(up, (*seen, client_id))

    now = timezone.now()
    rows = Client.objects.filter(referred_by__isnull=False).select_related("referred_by")
    for client in rows.iterator():
        if client.referred_by.owner_id != client.owner_id:
            continue  # never linked across agents
        won = client.stage == "client"
        referral = Referral.objects.create(
            owner_id=client.owner_id,
            referrer_id=client.referred_by_id,
            referred_id=client.pk,
            relationship="other",
            given_on=timezone.localdate(client.created_at),
            context="other",
            depth=depth(client.pk),
            stage="won" if won else "new",
            stage_changed_at=now,
            contacted_at=now if won else None,
            closed_at=now if won else None,
        )
        StageChange.objects.create(
            referral=referral,
            owner_id=client.owner_id,
            from_stage="",
            to_stage=referral.stage,
            changed_at=now,
        )


class Migration(migrations.Migration):
    dependencies = [
        ("referrals", "0001_initial"),
        ("clients", "0003_family_lunar_birth"),
    ]

    operations = [migrations.RunPython(copy_referred_by, migrations.RunPython.noop)]
