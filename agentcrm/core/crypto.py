"""Field encryption at rest, for the few values that must never sit readable in the database
or its backups (ID numbers).

The field is django-fernet-encrypted-fields' `EncryptedCharField` (Fernet: AES-128-CBC with
an HMAC, from `cryptography`), with two changes:

- its keys are our own, `settings.FIELD_ENCRYPTION_KEYS` (Fernet keys from the environment),
  not ones derived from SECRET_KEY, so rotating the session-signing key never touches the
  stored ID numbers. The first key encrypts; every key decrypts (MultiFernet). Rotation:
  put a new key first, run `manage.py id_numbers_reencrypt`, then remove the old key.
- a value that no key can decrypt is an error (the library would return the ciphertext as
  if it were the ID number), so a missing or wrong key fails loudly.

A ciphertext changes every time it is written, so the database cannot compare two of them:
`keyed_digest` gives the HMAC-SHA256 (keyed by `settings.ID_NUMBER_DIGEST_KEY`) that a
model stores beside the ciphertext for equality lookups (duplicates, imports).
"""

import hashlib
import hmac

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from encrypted_fields.fields import EncryptedCharField as _LibraryEncryptedCharField


def field_fernet() -> MultiFernet:
    keys = list(settings.FIELD_ENCRYPTION_KEYS)
    if not keys:
        raise ImproperlyConfigured("FIELD_ENCRYPTION_KEYS is empty: set at least one Fernet key.")
    return MultiFernet([Fernet(key) for key in keys])


class EncryptedCharField(_LibraryEncryptedCharField):
    """A CharField stored Fernet-encrypted (a text column); see the module docstring."""

    # Read per use, not cached on the field: settings may change (tests, a rotation).
    @property
    def keys(self) -> list[bytes]:
        return [key.encode() for key in settings.FIELD_ENCRYPTION_KEYS]

    @property
    def f(self) -> MultiFernet:
        return field_fernet()

    def get_prep_value(self, value):
        # The library stores NULL for an empty value; ours are NOT NULL with "" for none.
        return super().get_prep_value(value) or ""

    def from_db_value(self, value, expression, connection):
        if value is None or value == "":
            return value
        try:
            return self.f.decrypt(value.encode()).decode()
        except InvalidToken:
            raise ImproperlyConfigured(
                f"{self.model.__name__}.{self.name}: no key of FIELD_ENCRYPTION_KEYS decrypts "
                "a stored value (a key was removed before `id_numbers_reencrypt` ran?)."
            ) from None


def keyed_digest(value: str) -> str:
    """HMAC-SHA256 of `value` (already normalised) as 64 hex characters; "" for no value."""
    if not value:
        return ""
    key = settings.ID_NUMBER_DIGEST_KEY
    if not key:
        raise ImproperlyConfigured("ID_NUMBER_DIGEST_KEY is empty.")
    return hmac.new(key.encode(), value.encode(), hashlib.sha256).hexdigest()
