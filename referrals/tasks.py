"""Thin tasks: the nightly build of the team figures kept by month (`summary`)."""

from datetime import date

from celery import shared_task

from . import summary


@shared_task(name="agentcrm.referrals.tasks.build_referral_months")
def build_referral_months(today: str | None = None) -> dict:
    """Beat's entry point: rebuild the months due (missed nights caught up, the current
    month each night). Idempotent: acks_late may run it twice."""
    return summary.referral_months_build(today=date.fromisoformat(today) if today else None)
