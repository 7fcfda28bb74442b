"""The agent's own referral analytics pages: the chain under a client, the influence
centres (影响力中心) and conversion by source. Reads only; the figures come from
the `selectors/analytics` package."""

from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext

from agentcrm.core.lists import page_context, pk_url
from clients.models import Client
from clients.selectors import get_client_for_user

from ..forms import PeriodForm
from ..periods import ALL_TIME, ANALYTICS_PRESETS, LAST_12_MONTHS_ROLLING, Period
from ..selectors import analytics

INFLUENCE_PAGE_SIZE = 50


def client_chain(request, pk: int):
    client = get_client_for_user(user=request.user, pk=pk)
    chain = analytics.client_chain(user=request.user, client=client)
    client_url = pk_url("clients:detail")
    referral_url = pk_url("referrals:detail")
    chain_url = pk_url("client_referrals:chain")
    for node in chain.nodes:
        node.client_url = client_url(node.client_id)
        node.referral_url = referral_url(node.referral_id)
        node.chain_url = chain_url(node.client_id)
    return render(request, "referrals/chain.html", {"client": client, "chain": chain})


def _period(request, *, default: str) -> tuple[PeriodForm, Period, str]:
    """The period form, the period it gives, and its preset ("custom" for dates chosen by
    hand, as the period filter's template expects)."""
    form = PeriodForm(
        request.GET, today=timezone.localdate(), presets=ANALYTICS_PRESETS, default=default
    )
    period = form.period()
    return form, period, period.preset or "custom"


def influence_centres(request):
    form, period, preset = _period(request, default=ALL_TIME)
    start, end = period.start, period.end
    sort = request.GET.get("sort", "people")
    if sort not in analytics.INFLUENCE_SORTS:
        sort = "people"
    rows = analytics.influence_centres(
        user=request.user, start=start, end=None if preset == ALL_TIME else end, sort=sort
    )
    pages = page_context(request, rows, page_size=INFLUENCE_PAGE_SIZE)
    sort_query = request.GET.copy()
    for key in ("page", "sort"):
        sort_query.pop(key, None)
    return render(
        request,
        "referrals/influence.html",
        {
            "form": form,
            "preset": preset,
            "start": start,
            "end": end,
            "sort": sort,
            "sorts": [
                ("people", gettext("People referred")),
                ("policies", gettext("Policies won")),
                ("premium", gettext("Premium won")),
            ],
            **pages,
            "candidates": [r for r in rows if r.candidate],
            "top_n": analytics.INFLUENCE_TOP_N,
            "min_people": analytics.INFLUENCE_MIN_PEOPLE,
            "sort_query": sort_query.urlencode(),
            "sort_hidden": [("sort", sort)] if sort != "people" else [],
        },
    )


def source_analytics(request):
    form, period, preset = _period(request, default=LAST_12_MONTHS_ROLLING)
    figures = analytics.source_analytics(user=request.user, start=period.start, end=period.end)
    chart = {
        "labels": [str(r.label) for r in figures.rows],
        "rates": [r.rate for r in figures.rows],
        "deck": [r.deck_rate for r in figures.rows],
        "yours": gettext("Your conversion %"),
        "study": gettext("The deck's study %"),
    }
    return render(
        request,
        "referrals/sources.html",
        {
            "form": form,
            "preset": preset,
            "figures": figures,
            "referral": figures.row(Client.Source.REFERRAL),
            "cold_call": figures.row(Client.Source.COLD_CALL),
            "chart": chart,
        },
    )
