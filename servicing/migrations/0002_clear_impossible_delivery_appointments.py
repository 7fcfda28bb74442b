"""Clear delivery appointments outside the years 2000-2100.

Before the form and the service checked the year, 0001-01-01T00:00 could be saved: in
Shanghai time that is year 0 in UTC, which the database keeps (as 1 BC) but Python cannot
read back, so the policy's delivery page answered 500 and `dumpdata` failed. The filter and
the update run in SQL; the bad values are never loaded."""

import datetime

from django.db import migrations

FIRST = datetime.datetime(2000, 1, 1, tzinfo=datetime.UTC)
AFTER_LAST = datetime.datetime(2101, 1, 1, tzinfo=datetime.UTC)


def clear(apps, schema_editor):
    Delivery = apps.get_model("servicing", "Delivery")
    Delivery.objects.filter(appointment_at__lt=FIRST).update(appointment_at=None)
    Delivery.objects.filter(appointment_at__gte=AFTER_LAST).update(appointment_at=None)


class Migration(migrations.Migration):
    dependencies = [("servicing", "0001_initial")]

    operations = [migrations.RunPython(clear, migrations.RunPython.noop)]
