"""Re-encrypt every stored ID number with the first key of FIELD_ENCRYPTION_KEYS and recompute
its digest with ID_NUMBER_DIGEST_KEY: the middle step of a key rotation (README, "Personal
data"). Safe to run again; the audit-history rows are re-encrypted too."""

from django.core.management.base import BaseCommand
from django.db import transaction

from clients.models import Client, id_number_digest_for

CHUNK = 500


class Command(BaseCommand):
    help = "Re-encrypt the stored ID numbers under the first FIELD_ENCRYPTION_KEYS key."

    def handle(self, *args, **options):
        clients = self._rotate(Client.objects.all(), digest=True)
        history = self._rotate(Client.history.model.objects.all(), digest=False)
        self.stdout.write(f"Re-encrypted {clients} client and {history} history ID numbers.")

    def _rotate(self, queryset, *, digest: bool) -> int:
        """Each row read (decrypted with any key) and written back (under the first key)."""
        pk = queryset.model._meta.pk.attname
        done = 0
        rows = queryset.exclude(id_number="").values_list(pk, "id_number").order_by(pk)
        last = None
        while True:
            chunk = list((rows.filter(**{f"{pk}__gt": last}) if last else rows)[:CHUNK])
            if not chunk:
                return done
            with transaction.atomic():
                for key, value in chunk:
                    values = {"id_number": value}
                    if digest:
                        values["id_number_digest"] = id_number_digest_for(value)
                    queryset.model.objects.filter(**{pk: key}).update(**values)
            done += len(chunk)
            last = chunk[-1][0]
