"""ImportJob and ImportRowError now belong to the spreadsheets app, which takes them over with
their tables in spreadsheets 0001: drop them from this app's migration state. Nothing in the
database changes."""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('policies', '0005_history_baseline'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.DeleteModel(name='ImportRowError'),
                migrations.DeleteModel(name='ImportJob'),
            ],
            database_operations=[],
        ),
    ]
