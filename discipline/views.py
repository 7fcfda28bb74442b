"""The agent's pages: /service/ (their own service figures, the deck's pitfalls and the
panels other apps add) and /lapse/ (the lapse guard, with its one-click actions)."""

import functools

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from agentcrm.core.lists import list_page, pk_url
from policies.selectors.policy import get_policy_for_user
from referrals.forms import PeriodForm
from referrals.periods import TEAM_PRESETS
from touches.registry import service_panels

from . import services
from .forms import CommissionRateForm, ContactForm, PromiseForm
from .models import CommissionRate
from .selectors import lapse, team

LAPSE_PAGE_SIZE = 50


def service_page(request):
    """The agent's own figures over the period (from the nightly summary), then the panels."""
    today = timezone.localdate()
    form = PeriodForm(request.GET, today=today, presets=TEAM_PRESETS)
    period = form.period()
    stats = team.team_service(agents=[request.user], period=period, today=today)
    return render(
        request,
        "discipline/service.html",
        {
            "form": form,
            "period": period,
            "presets": TEAM_PRESETS.labels,
            "stats": stats,
            "mine": stats.total,
            "charts": stats.chart_data(),
            "panels": service_panels(agent=request.user, start=period.start, end=period.end),
            "lapse_counts": lapse.lapse_counts(owner_ids=[request.user.pk], today=today)[""],
        },
    )


def _with_urls(rows):
    """Each row's links, from their patterns reversed once for the page."""
    holder, policy = pk_url("clients:detail"), pk_url("policies:detail")
    contact, promise = pk_url("discipline:lapse_contact"), pk_url("discipline:lapse_promise")
    for p in rows:
        p.holder_url, p.url = holder(p.holder_id), policy(p.pk)
        p.contact_url, p.promise_url = contact(p.pk), promise(p.pk)
    return rows


def lapse_page(request):
    today = timezone.localdate()
    stage = request.GET.get("stage", "")
    if stage not in lapse.STAGES:
        stage = ""
    queue = lapse.lapse_queue(owner_ids=[request.user.pk], today=today, stage=stage)
    # One grouped statement gives the totals and the pager's count (see team_lapse).
    counts = functools.cache(
        lambda: lapse.lapse_counts(owner_ids=[request.user.pk], today=today)[""]
    )
    context = {
        "stage": stage,
        "stages": lapse.STAGES,
        "today": today,
        "counts": counts,
        "contact_form": ContactForm(),
        "promise_form": PromiseForm(initial={"due_date": today}),
        "team_view": False,
    }
    return list_page(
        request,
        queue,
        "discipline/lapse.html",
        context=context,
        page_size=LAPSE_PAGE_SIZE,
        decorate=lambda rows: _with_urls(lapse.lapse_decorate(rows, today=today)),
        count=lambda: counts().total(stage),
    )


def commission_rates(request):
    """The agent's commission rates (optional): per product or per insurer."""
    form = CommissionRateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.commission_rate_set(
                owner=request.user,
                insurer=data["insurer"],
                product_name=data["product_name"],
                rate=data["rate"],
            )
        except ValidationError as exc:
            form.add_error("rate", exc)
        else:
            messages.success(request, _("Commission rate saved."))
            return redirect("discipline:rates")
    rates = CommissionRate.objects.filter(owner=request.user).select_related("insurer")
    return render(request, "discipline/rates.html", {"form": form, "rates": rates})


@require_POST
def lapse_contact(request, pk: int):
    policy = get_policy_for_user(user=request.user, pk=pk)
    form = ContactForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("The note is too long (at most 500 characters)."))
    else:
        services.lapse_contact_log(
            policy=policy, by=request.user, summary_text=form.cleaned_data["summary"]
        )
        messages.success(request, _("Call with %(name)s logged.") % {"name": policy.holder.name})
    return redirect("discipline:lapse")


@require_POST
def lapse_promise(request, pk: int):
    policy = get_policy_for_user(user=request.user, pk=pk)
    form = PromiseForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Give the day you promised to help by."))
    else:
        services.lapse_promise(
            policy=policy,
            due_date=form.cleaned_data["due_date"],
            description=form.cleaned_data["description"],
        )
        messages.success(request, _("Promise to %(name)s recorded.") % {"name": policy.holder.name})
    return redirect("discipline:lapse")
