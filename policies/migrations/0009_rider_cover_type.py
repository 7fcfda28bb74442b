"""Riders get their own cover type (a medical rider on a life policy), which the client's
coverage summary counts (issue 18: a medical rider still showed "no medical cover"). The
riders recorded before are typed from their names, by the words of the time (kept here, so
a later change of `RIDER_TYPE_WORDS` does not change what this migration did)."""

import re

from django.db import migrations, models

WORDS = (
    ("other", r"豁免"),
    ("medical", r"医疗|住院|门诊|手术|津贴|medical|hospital"),
    ("critical_illness", r"重疾|重大疾病|轻症|中症|癌|恶性肿瘤|critical"),
    ("accident", r"意外|accident"),
    ("life", r"寿险|身故|life"),
)


def type_from_name(name: str) -> str:
    for kind, words in WORDS:
        if re.search(words, name or "", flags=re.IGNORECASE):
            return kind
    return "other"


def type_existing_riders(apps, schema_editor):
    Rider = apps.get_model("policies", "Rider")
    by_type: dict[str, list[int]] = {}
    for pk, name in Rider.objects.filter(policy_type="").values_list("pk", "name").iterator():
        by_type.setdefault(type_from_name(name), []).append(pk)
    for kind, pks in by_type.items():
        for start in range(0, len(pks), 1000):
            Rider.objects.filter(pk__in=pks[start : start + 1000]).update(policy_type=kind)


class Migration(migrations.Migration):
    dependencies = [
        ("policies", "0008_rider_and_insurer_name_labels"),
    ]

    operations = [
        migrations.AddField(
            model_name="rider",
            name="policy_type",
            field=models.CharField(
                blank=True,
                choices=[
                    ("life", "Life"),
                    ("critical_illness", "Critical illness"),
                    ("medical", "Medical"),
                    ("accident", "Accident"),
                    ("annuity", "Annuity"),
                    ("endowment", "Endowment"),
                    ("universal", "Universal life"),
                    ("investment_linked", "Investment-linked"),
                    ("other", "Other"),
                ],
                help_text="Empty: read from the rider's name (医疗, 重疾, 意外…).",
                max_length=24,
                verbose_name="cover type",
            ),
        ),
        migrations.RunPython(type_existing_riders, migrations.RunPython.noop),
    ]
