from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("policies", "0013_insurer_confirmed"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="policy",
            index=models.Index(
                condition=models.Q(("cooling_off_end__isnull", False)),
                fields=["owner", "cooling_off_end"],
                name="policy_owner_cooling_off",
            ),
        ),
    ]
