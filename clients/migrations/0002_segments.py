from django.db import migrations

CODES = [
    "manager",
    "woman",
    "expectant_mother",
    "student",
    "young_child",
    "elder",
    "teacher",
    "military",
    "business_owner",
]


def create_segments(apps, schema_editor):
    Segment = apps.get_model("clients", "Segment")
    for code in CODES:
        Segment.objects.get_or_create(code=code)


class Migration(migrations.Migration):
    dependencies = [("clients", "0001_initial")]
    operations = [migrations.RunPython(create_segments, migrations.RunPython.noop)]
