"""One history row per existing policy and service request ("History starts"), so the first
change made after the history began shows its old and new values."""

from django.db import migrations
from django.utils import timezone

BATCH = 2000
MODELS = (("policies", "Policy"), ("policies", "ServiceRequest"))
# ServiceRequest later moved to the servicing app with its tables (servicing 0001). This
# migration's own state still has it here; the live registry (a test runs `baseline` with
# it) has it there.
MOVED = {"ServiceRequest": "servicing"}


def _get_model(apps, app_label, name, model_name):
    try:
        return apps.get_model(app_label, model_name)
    except LookupError:
        return apps.get_model(MOVED[name], model_name)


def baseline(apps, schema_editor):
    now = timezone.now()
    for app_label, name in MODELS:
        model = _get_model(apps, app_label, name, name)
        historical = _get_model(apps, app_label, name, f"Historical{name}")
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
        historical = _get_model(apps, app_label, name, f"Historical{name}")
        historical.objects.filter(history_change_reason="baseline").delete()


class Migration(migrations.Migration):
    dependencies = [("policies", "0004_history")]

    operations = [migrations.RunPython(baseline, unbaseline)]
