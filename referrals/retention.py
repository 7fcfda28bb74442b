"""How long a referred person's contact details are kept when the referral is not won (PIPL).

A referrer gives a friend's name and phone without the friend's consent; the referral records
that basis (`Referral.contact_basis`, `contact_given_at`, `privacy_reassured`). Unless the
referral is won, the details are purged `settings.REFERRAL_CONTACT_RETENTION_DAYS` (default
365) after the referral's last step, by the nightly step `referral_contacts_purge`
(privacy.retention), which keeps the referral rows and their stages, so every count of the
team figures stays as it was. The referral pages say so (`retention_months`).
"""

from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone

from clients.models import Client
from policies.models import Policy

from .models import Referral, Stage


def retention_days() -> int:
    return settings.REFERRAL_CONTACT_RETENTION_DAYS


def retention_months() -> int:
    """The retention as the pages say it (365 days: 12 months)."""
    return max(1, round(retention_days() / 30.4375))


def retention_cutoff(today: date) -> datetime:
    """A referral whose last step is before this moment is past the retention."""
    start = datetime.combine(today - timedelta(days=retention_days()), time.min)
    return timezone.make_aware(start)


def referrals_past_retention(*, today: date) -> QuerySet[Referral]:
    """Referrals whose referred person's details are due for the purge: not won, last step
    before the cutoff, not purged yet, and the person never became a client in another way
    (a client stage, a policy held or insured) nor referred anyone in turn."""
    referred = OuterRef("referred_id")
    holds_policy = Policy.objects.filter(holder_id=referred)
    insured = Policy.objects.filter(insured_client_id=referred)
    referred_others = Referral.objects.filter(referrer_id=referred)
    return (
        Referral.objects.exclude(stage=Stage.WON)
        .filter(
            contact_purged_at__isnull=True,
            stage_changed_at__lt=retention_cutoff(today),
            referred__stage=Client.Stage.PROSPECT,
        )
        .exclude(Exists(holds_policy))
        .exclude(Exists(insured))
        .exclude(Exists(referred_others))
    )
