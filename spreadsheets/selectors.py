"""Reads for spreadsheet imports and exports. Import jobs are the agent's own, like clients;
exports start from `clients_for_user` / `policies_for_user`."""

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from agentcrm.accounts.models import User
from clients.models import Client
from clients.selectors import clients_for_user
from policies.models import Policy
from policies.selectors.policy import policies_for_user

from .models import ImportJob, ImportRowError


def import_jobs_for_user(*, user: User) -> QuerySet[ImportJob]:
    """The one scoping rule for imports: an agent sees only the files they uploaded."""
    if not user.is_authenticated:
        return ImportJob.objects.none()
    return ImportJob.objects.filter(owner=user)


def get_import_job_for_user(*, user: User, pk: int) -> ImportJob:
    """The job if `user` uploaded it, else 404 (never 403)."""
    return get_object_or_404(import_jobs_for_user(user=user), pk=pk)


def import_row_errors(*, job: ImportJob) -> QuerySet[ImportRowError]:
    return job.row_errors.order_by("row", "id")


def policy_numbers_taken(
    *, pairs: set[tuple[str, str]], owner: User
) -> dict[tuple[str, str], bool]:
    """Which (insurer name, policy number) pairs already exist, whoever holds them, each
    with whether `owner` holds it.

    Policy numbers are unique per insurer across all agents (the model's constraint), so
    this is not scoped to one agent. What the agent is told must not be: a pair in their own
    book is a duplicate; one in another agent's book is refused without saying so
    (`spreadsheets.rows`)."""
    if not pairs:
        return {}
    names = {name for name, _ in pairs}
    numbers = {number for _, number in pairs}
    found = Policy.objects.filter(insurer__name__in=names, number__in=numbers).values_list(
        "insurer__name", "number", "owner_id"
    )
    return {
        (name, number): owner_id == owner.pk
        for name, number, owner_id in found
        if (name, number) in pairs
    }


def clients_for_export(*, user: User) -> QuerySet[Client]:
    return clients_for_user(user=user).order_by("name", "id")


def policies_for_export(*, user: User) -> QuerySet[Policy]:
    return (
        policies_for_user(user=user)
        .select_related("insurer", "holder", "insured_client", "insured_member")
        .order_by("holder__name", "holder_id", "effective_date", "id")
    )
