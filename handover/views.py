"""The manager's handover pages (/team/handover/). Agents get 403."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from clients.models import Client

from . import selectors, services
from .forms import HandoverForm


def _manager_only(request) -> None:
    if not request.user.is_manager:
        raise PermissionDenied


def handover_start(request):
    """GET: the form and past handovers. POST action=preview: the split, with a confirm
    button; POST action=confirm: do it."""
    _manager_only(request)
    form = HandoverForm(request.POST or None, user=request.user)
    plan_rows = None
    if request.method == "POST" and form.is_valid():
        from_agent = form.cleaned_data["from_agent"]
        to_agents = list(form.cleaned_data["to_agents"])
        try:
            if request.POST.get("action") == "confirm":
                handover = services.handover_execute(
                    from_agent=from_agent,
                    to_agents=to_agents,
                    by=request.user,
                    reason=form.cleaned_data["reason"],
                )
                messages.success(
                    request,
                    _("%(count)d clients were handed over; %(agent)s can no longer sign in.")
                    % {"count": handover.clients_moved, "agent": from_agent},
                )
                return redirect("handover:detail", pk=handover.pk)
            plan = services.handover_plan(from_agent=from_agent, to_agents=to_agents)
            plan_rows = _plan_rows(plan, to_agents)
        except ValidationError as exc:
            form.add_error(None, exc)
    return render(
        request,
        "handover/start.html",
        {
            "form": form,
            "plan_rows": plan_rows,
            "handovers": selectors.handovers_for_user(user=request.user)[:20],
        },
    )


def _plan_rows(plan, to_agents) -> list[dict]:
    ids = [i for group in plan.assignment.values() for i in group]
    names = dict(Client.objects.filter(pk__in=ids).values_list("id", "name"))
    return [
        {
            "agent": agent,
            "count": len(plan.assignment[agent.pk]),
            "names": [names[i] for i in plan.assignment[agent.pk][:12]],
        }
        for agent in to_agents
    ]


def handover_detail(request, pk: int):
    _manager_only(request)
    handover = selectors.get_handover_for_user(user=request.user, pk=pk)
    return render(
        request,
        "handover/detail.html",
        {"handover": handover, "summary": selectors.handover_summary(handover=handover)},
    )
