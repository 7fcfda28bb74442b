from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("clients", "0003_family_lunar_birth"),
        # Referral rows are made from the column first.
        ("referrals", "0002_from_client_referred_by"),
    ]

    operations = [
        migrations.RemoveField(model_name="client", name="referred_by"),
    ]
