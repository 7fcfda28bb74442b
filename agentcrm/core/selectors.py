from datetime import datetime

from .models import JobMarker

NIGHTLY_JOB = "nightly"


def nightly_last_success() -> datetime | None:
    return (
        JobMarker.objects.filter(name=NIGHTLY_JOB).values_list("last_success_at", flat=True).first()
    )
