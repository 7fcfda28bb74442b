"""Reads for service requests: servicing (保全) and claims (理赔).

Every query starts from `service_requests_for_user`, scoped like policies: an agent sees only
the requests they own. The list annotates what each row shows (age, overdue flag, documents
still missing) in SQL, so a page costs the same number of queries whatever its length.
"""

from collections.abc import Mapping
from datetime import date
from typing import Any

from django.db.models import (
    BooleanField,
    Case,
    Count,
    DateField,
    DurationField,
    ExpressionWrapper,
    F,
    Q,
    QuerySet,
    Value,
    When,
)
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_filters import TypedChoiceFilter

from agentcrm.accounts.models import User
from agentcrm.core.history import HistoryEntry, HistorySource, history_entries
from agentcrm.core.lists import ListFilterSet
from policies.models import Policy

from ..models import ServiceRequest

# The list page's open/closed/all switch.
STATE_OPEN, STATE_CLOSED, STATE_ALL = "open", "closed", "all"
STATES = (STATE_OPEN, STATE_CLOSED, STATE_ALL)
ALL = ("", _("All"))


def service_requests_for_user(*, user: User) -> QuerySet[ServiceRequest]:
    """The one scoping rule: an agent sees only the requests they own."""
    if not user.is_authenticated:
        return ServiceRequest.objects.none()
    return ServiceRequest.objects.filter(owner=user)


def get_service_request_for_user(*, user: User, pk: int) -> ServiceRequest:
    """The request if `user` may see it, else 404 (never 403: existence is not leaked)."""
    return get_object_or_404(
        service_requests_for_user(user=user).select_related(
            "policy__insurer", "policy__holder", "owner"
        ),
        pk=pk,
    )


def _annotated(qs: QuerySet[ServiceRequest], *, today: date) -> QuerySet[ServiceRequest]:
    """What a row shows, computed by the database.

    - `age`: a timedelta, today minus the opened date for an open request, closed minus opened
      for a closed one (how long it took);
    - `overdue`: open, with a next action dated before today;
    - `documents_total` / `documents_missing`: the checklist and what is still not received.
    """
    today_value = Value(today, output_field=DateField())
    return qs.select_related("policy__insurer", "policy__holder").annotate(
        age=Case(
            When(
                closed_on__isnull=True,
                then=ExpressionWrapper(today_value - F("opened_on"), DurationField()),
            ),
            default=ExpressionWrapper(F("closed_on") - F("opened_on"), DurationField()),
            output_field=DurationField(),
        ),
        overdue=Case(
            When(closed_on__isnull=True, next_action_date__lt=today, then=Value(True)),
            default=Value(False),
            output_field=BooleanField(),
        ),
        documents_total=Count("documents", distinct=True),
        documents_missing=Count(
            "documents", filter=Q(documents__received_on__isnull=True), distinct=True
        ),
    )


# Urgency: overdue next action first, then the soonest next action, then the oldest request.
URGENCY_ORDER = (
    F("overdue").desc(),
    F("next_action_date").asc(nulls_last=True),
    F("opened_on").asc(),
    F("id").asc(),
)


def service_requests_open(*, user: User, today: date | None = None) -> QuerySet[ServiceRequest]:
    """The agent's open requests, most urgent first, with age, overdue flag and missing
    documents annotated."""
    today = today or timezone.localdate()
    qs = service_requests_for_user(user=user).filter(closed_on__isnull=True)
    return _annotated(qs, today=today).order_by(*URGENCY_ORDER)


class ServiceRequestFilter(ListFilterSet):
    """The request list's filters; its form is the list page's filter form."""

    state = TypedChoiceFilter(
        label=_("Show"),
        choices=[(STATE_OPEN, _("Open")), (STATE_CLOSED, _("Closed")), (STATE_ALL, _("All"))],
        empty_value=STATE_OPEN,
        method="filter_state",
    )
    kind = TypedChoiceFilter(
        label=_("Kind"), field_name="kind", choices=[ALL, *ServiceRequest.Kind.choices]
    )
    status = TypedChoiceFilter(
        label=_("Status"), field_name="status", choices=[ALL, *ServiceRequest.Status.choices]
    )

    class Meta:
        model = ServiceRequest
        fields = []

    def filter_state(self, queryset, name, state):
        if state == STATE_ALL:
            return queryset
        return queryset.filter(closed_on__isnull=state == STATE_OPEN)


# Each state's order: open requests by urgency; closed ones most recently closed first; all of
# them as the open list followed by the closed one.
STATE_ORDER = {
    STATE_OPEN: URGENCY_ORDER,
    STATE_CLOSED: ("-closed_on", "-id"),
    STATE_ALL: (F("closed_on").desc(nulls_first=True), *URGENCY_ORDER),
}


def service_request_list(
    *, user: User, filters: Mapping[str, Any] | None = None, today: date | None = None
) -> QuerySet[ServiceRequest]:
    """The list page's requests; `filters` are ServiceRequestFilter's parameters (the list
    page's query string): open requests unless asked otherwise."""
    today = today or timezone.localdate()
    listed = ServiceRequestFilter(filters, queryset=service_requests_for_user(user=user))
    return _annotated(listed.qs, today=today).order_by(*STATE_ORDER[listed.values["state"]])


def service_requests_for_policy(
    *, policy: Policy, today: date | None = None
) -> QuerySet[ServiceRequest]:
    """A policy's requests for its detail page: open ones by urgency, then closed ones.

    Scoped by the policy's owner as well, so a request can never surface under a policy of
    another agent even if the rows were ever inconsistent.
    """
    today = today or timezone.localdate()
    qs = ServiceRequest.objects.filter(policy=policy, owner_id=policy.owner_id)
    return _annotated(qs, today=today).order_by(
        F("closed_on").desc(nulls_first=True), *URGENCY_ORDER
    )


def service_request_audit_history(*, request: ServiceRequest) -> list[HistoryEntry]:
    """The last changes to the request's fields (its status has its own history)."""
    return history_entries(sources=[HistorySource(records=request.history.all())])
