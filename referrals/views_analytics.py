"""The agent's own referral analytics: the chain under a client, the influence centres
(影响力中心) and conversion by source. Reads only; the figures come from `analytics.py`."""

import datetime

from django import forms
from django.core.paginator import Paginator
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from agentcrm.core.calendar import years_before
from agentcrm.core.forms import DateInput
from clients.models import Client
from clients.selectors import get_client_for_user

from . import analytics

INFLUENCE_PAGE_SIZE = 50


class PeriodForm(forms.Form):
    """A period by preset or by dates; dates win over the preset when given."""

    PRESETS = [
        ("12m", _("Last 12 months")),
        ("this_year", _("This year")),
        ("last_year", _("Last year")),
        ("all", _("All time")),
    ]

    preset = forms.ChoiceField(label=_("Period"), choices=PRESETS, required=False)
    start = forms.DateField(label=_("From"), required=False, widget=DateInput())
    end = forms.DateField(label=_("To"), required=False, widget=DateInput())

    def __init__(self, *args, default: str = "12m", **kwargs):
        super().__init__(*args, **kwargs)
        self.default = default

    def clean(self):
        data = super().clean()
        if data.get("start") and data.get("end") and data["start"] > data["end"]:
            raise forms.ValidationError(_("The start of the period is after its end."))
        return data

    def period_for(self, today: datetime.date) -> tuple[str, datetime.date | None, datetime.date]:
        """(preset or "custom", start or None for no lower bound, end) — the default preset
        when the form is empty or invalid."""
        data = self.cleaned_data if self.is_bound and self.is_valid() else {}
        if data.get("start") or data.get("end"):
            return "custom", data.get("start"), data.get("end") or today
        preset = data.get("preset") or self.default
        if preset == "this_year":
            return preset, today.replace(month=1, day=1), today
        if preset == "last_year":
            year = today.year - 1
            return preset, datetime.date(year, 1, 1), datetime.date(year, 12, 31)
        if preset == "all":
            return preset, None, today
        return "12m", years_before(today, 1) + datetime.timedelta(days=1), today


def _pk_url(name: str):
    """`pk -> URL` for a route taking one pk, reversed once: the chain page links every
    drawn person three times, and 1,500 reverse() calls cost more than the query."""
    marker = 987654321987
    head, tail = reverse(name, kwargs={"pk": marker}).split(str(marker))
    return lambda pk: f"{head}{pk}{tail}"


def client_chain(request, pk: int):
    client = get_client_for_user(user=request.user, pk=pk)
    chain = analytics.client_chain(user=request.user, client=client)
    client_url = _pk_url("clients:detail")
    referral_url = _pk_url("referrals:detail")
    chain_url = _pk_url("client_referrals:chain")
    for node in chain.nodes:
        node.client_url = client_url(node.client_id)
        node.referral_url = referral_url(node.referral_id)
        node.chain_url = chain_url(node.client_id)
    return render(request, "referrals/chain.html", {"client": client, "chain": chain})


def influence_centres(request):
    form = PeriodForm(request.GET or None, default="all")
    preset, start, end = form.period_for(timezone.localdate())
    sort = request.GET.get("sort", "people")
    if sort not in analytics.INFLUENCE_SORTS:
        sort = "people"
    rows = analytics.influence_centres(
        user=request.user, start=start, end=None if preset == "all" else end, sort=sort
    )
    page = Paginator(rows, INFLUENCE_PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    sort_query = query.copy()
    sort_query.pop("sort", None)
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
            "page": page,
            "candidates": [r for r in rows if r.candidate],
            "top_n": analytics.INFLUENCE_TOP_N,
            "min_people": analytics.INFLUENCE_MIN_PEOPLE,
            "query": query.urlencode(),
            "sort_query": sort_query.urlencode(),
            "sort_hidden": [("sort", sort)] if sort != "people" else [],
        },
    )


def source_analytics(request):
    form = PeriodForm(request.GET or None, default="12m")
    preset, start, end = form.period_for(timezone.localdate())
    figures = analytics.source_analytics(user=request.user, start=start, end=end)
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
