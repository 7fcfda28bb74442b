"""The README's Production section says what an operator must set and know (issue 17): the
import queue, how long personal data is kept, the encryption keys and their rotation, the
proxy setting and gunicorn on the loopback address. Each figure it gives is the setting's."""

import re

from django.conf import settings

README = (settings.BASE_DIR / "README.md").read_text(encoding="utf-8")
PRODUCTION = re.search(r"^## Production\n(.*?)^## ", README, re.S | re.M).group(1)


def test_the_production_section_names_what_an_operator_must_set():
    for text in [
        "-Q imports",  # the import queue and its worker
        "REFERRAL_CONTACT_RETENTION_DAYS",  # retention of referred people's contacts
        "7 days",  # retention of uploaded spreadsheets
        "FIELD_ENCRYPTION_KEYS",  # the key of the encrypted ID numbers
        "id_numbers_reencrypt",  # its rotation
        "TRUSTED_PROXY_COUNT=1",  # the proxy setting
        "127.0.0.1:8000",  # gunicorn on the loopback address
    ]:
        assert text in PRODUCTION, text


def test_the_retention_figures_are_the_settings():
    days = settings.REFERRAL_CONTACT_RETENTION_DAYS
    assert f"`REFERRAL_CONTACT_RETENTION_DAYS` ({days}" in PRODUCTION
