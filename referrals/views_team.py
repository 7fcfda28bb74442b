"""The manager's team referral pages: the statistics, their export, one agent's list.

An agent asking for any of them gets 403. A manager sees their teams and sub-teams only:
another team (the `team` filter) or another team's agent (the drill-down) is a 404."""

import io
import tempfile

from django import forms
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from agentcrm.core.masking import mask_phone
from agentcrm.core.services import export_log_record
from agentcrm.core.spreadsheets import (
    CSV_CONTENT_TYPE,
    XLSX_CONTENT_TYPE,
    write_csv,
    write_xlsx,
)

from . import selectors, team
from .models import Stage

EXPORT_FORMATS = ("xlsx", "csv")
AGENT_PAGE_SIZE = 50


class PeriodForm(forms.Form):
    """The period: a preset (links on the page) or dates chosen by hand. A preset wins over
    dates; a missing date is filled in (the end: today; the start: 12 months before the
    end); nothing asked for, or nonsense, gives the last 12 months."""

    preset = forms.ChoiceField(required=False, choices=[("", "")] + list(team.PRESETS.items()))
    start = forms.DateField(label=gettext_lazy("From"), required=False)
    end = forms.DateField(label=gettext_lazy("To"), required=False)

    def __init__(self, data=None, *, today):
        super().__init__(data or None)
        self.today = today

    def clean(self):
        data = super().clean()
        if data.get("preset"):
            data["period"] = team.period_for_preset(preset=data["preset"], today=self.today)
            return data
        start, end = data.get("start"), data.get("end")
        if not start and not end:
            return data
        end = end or max(self.today, start)
        start = start or team.period_for_preset(preset=team.DEFAULT_PRESET, today=end).start
        if start > end:
            raise forms.ValidationError(_("The start of the period is after its end."))
        if (end - start).days > team.MAX_PERIOD_YEARS * 366:
            raise forms.ValidationError(
                _("Choose a period of at most %(years)d years.") % {"years": team.MAX_PERIOD_YEARS}
            )
        data["period"] = team.Period(start, end)
        return data

    def period(self) -> team.Period:
        if self.is_valid() and "period" in self.cleaned_data:
            return self.cleaned_data["period"]
        return team.period_for_preset(preset=team.DEFAULT_PRESET, today=self.today)


def _require_manager(user) -> None:
    if not user.is_manager:
        raise PermissionDenied


def _scope(request):
    """(the manager's teams in tree order with their levels, the team filtered on or None,
    the agents shown)."""
    _require_manager(request.user)
    teams = team.manager_teams(user=request.user)
    chosen = None
    raw = request.GET.get("team", "")
    if raw:
        if not raw.isdigit():
            raise Http404
        chosen = next((t for t, _level in teams if t.pk == int(raw)), None)
        if chosen is None:
            raise Http404
    agents = team.team_agents(user=request.user, teams=[t for t, _l in teams], team=chosen)
    return teams, chosen, agents


PERIOD_KEYS = ("preset", "start", "end")


def _keep(request, *, keys) -> str:
    query = request.GET.copy()
    for key in list(query):
        if key not in keys:
            query.pop(key)
    return query.urlencode()


def _query(request, *, drop=("page",)) -> str:
    query = request.GET.copy()
    for key in drop:
        query.pop(key, None)
    return query.urlencode()


@require_GET
def team_referrals(request):
    teams, chosen, agents = _scope(request)
    today = timezone.localdate()
    form = PeriodForm(request.GET, today=today)
    period = form.period()
    stats = team.team_referral_stats(agents=agents, period=period, today=today)
    return render(
        request,
        "referrals/team_referrals.html",
        {
            "team_options": [(t, "— " * level) for t, level in teams],
            "team": chosen,
            "form": form,
            "period": period,
            "presets": team.PRESETS,
            "stats": stats,
            "charts": stats.chart_data(),
            "query": _query(request),
            # Preset links keep the team; the period's own keys are replaced.
            "team_query": _query(request, drop=("page", "preset", "start", "end")),
            # The drill-down links keep the period.
            "period_query": _keep(request, keys=PERIOD_KEYS),
        },
    )


def _export_header() -> list[str]:
    return [
        _("Agent"),
        _("Team"),
        _("Referral requests"),
        _("Names per request"),
        _("Referrals received"),
        _("Contacted"),
        _("Won"),
        _("Conversion %"),
        _("Feedback compliance %"),
        _("Deepest chain"),
        _("Top referrer"),
        _("Referrals from the top referrer"),
    ]


def _export_rows(stats: team.TeamReferralStats) -> list[list]:
    def line(row: team.AgentRow, agent: str, team_name: str) -> list:
        top = row.top_referrer
        return [
            agent,
            team_name,
            row.requests,
            row.names_per_request,
            row.received,
            row.contacted,
            row.won,
            row.conversion_pct,
            row.compliance_pct,
            row.deepest or None,
            top.name if top else "",
            top.count if top else None,
        ]

    lines = [
        line(row, str(row.agent), row.agent.team.name if row.agent.team_id else "")
        for row in stats.rows
    ]
    lines.append(line(stats.total, _("Total"), ""))
    return lines


@require_GET
def team_referrals_export(request, fmt: str):
    if fmt not in EXPORT_FORMATS:
        raise Http404
    _teams, _chosen, agents = _scope(request)
    today = timezone.localdate()
    period = PeriodForm(request.GET, today=today).period()
    stats = team.team_referral_stats(agents=agents, period=period, today=today)
    header, lines = _export_header(), _export_rows(stats)
    # Every export of client data is logged (the rows: each agent's and the total).
    export_log_record(user=request.user, kind="team_referrals", rows=len(lines))
    name = f"team-referrals-{period.start:%Y%m%d}-{period.end:%Y%m%d}.{fmt}"
    if fmt == "csv":
        out = io.StringIO()
        write_csv(out, header=header, rows=lines)
        response = HttpResponse(out.getvalue(), content_type=CSV_CONTENT_TYPE)
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response
    out = tempfile.TemporaryFile()  # noqa: SIM115 - FileResponse closes it once sent
    write_xlsx(out, title=_("Team referrals"), header=header, rows=lines[:-1], footer=lines[-1])
    out.seek(0)
    return FileResponse(out, as_attachment=True, filename=name, content_type=XLSX_CONTENT_TYPE)


@require_GET
def agent_referrals(request, pk: int):
    """One agent's referrals over the period: names and stages, phones masked."""
    _require_manager(request.user)
    agent = selectors.get_team_agent_for_manager(user=request.user, pk=pk)
    today = timezone.localdate()
    form = PeriodForm(request.GET, today=today)
    period = form.period()
    stage = request.GET.get("stage", "")
    if stage not in Stage.values:
        stage = ""
    referrals = team.agent_referrals(agent=agent, period=period, stage=stage)
    page = Paginator(referrals, AGENT_PAGE_SIZE).get_page(request.GET.get("page"))
    for referral in page.object_list:
        referral.referrer_phone = mask_phone(referral.referrer.mobile)
        referral.referred_phone = mask_phone(referral.referred.mobile)
    context = {
        "agent": agent,
        "form": form,
        "period": period,
        "presets": team.PRESETS,
        "stage": stage,
        "stages": Stage.choices,
        "page": page,
        "query": _query(request),
        "stage_query": _query(request, drop=("page", "stage")),
        "period_keep": _query(request, drop=("page", *PERIOD_KEYS)),
        "hidden": [("stage", stage)] if stage else [],
        "overview_query": _keep(request, keys=PERIOD_KEYS),
    }
    template = "referrals/team_agent_rows.html" if request.htmx else "referrals/team_agent.html"
    response = render(request, template, context)
    patch_vary_headers(response, ("HX-Request",))
    return response
