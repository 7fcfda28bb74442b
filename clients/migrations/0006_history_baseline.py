"""One history row per existing client and family member ("History starts"), so the first
change made after the history began shows its old and new values."""

from django.db import migrations
from django.utils import timezone

BATCH = 2000
MODELS = (("clients", "Client"), ("clients", "FamilyMember"))


def baseline(apps, schema_editor):
    now = timezone.now()
    for app_label, name in MODELS:
        model = apps.get_model(app_label, name)
        historical = apps.get_model(app_label, f"Historical{name}")
        fields = [
            f.attname
            for f in historical._meta.concrete_fields
            if not f.name.startswith("history_")
        ]
        rows = []
        for obj in model.objects.order_by("pk").iterator(chunk_size=BATCH):
            rows.append(
                historical(
                    **{attname: getattr(obj, attname) for attname in fields},
                    history_date=now,
                    history_type="+",
                    history_change_reason="baseline",
                )
            )
            if len(rows) >= BATCH:
                historical.objects.bulk_create(rows)
                rows = []
        historical.objects.bulk_create(rows)


def unbaseline(apps, schema_editor):
    for app_label, name in MODELS:
        historical = apps.get_model(app_label, f"Historical{name}")
        historical.objects.filter(history_change_reason="baseline").delete()


class Migration(migrations.Migration):
    dependencies = [("clients", "0005_history")]

    operations = [migrations.RunPython(baseline, unbaseline)]
