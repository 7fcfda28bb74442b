"""The manager's team referral pages: the statistics, their export, one agent's list.

An agent asking for any of them gets 403. A manager sees their teams and sub-teams only:
another team (the `team` filter) or another team's agent (the drill-down) is a 404."""

import io
import tempfile

from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from agentcrm.core.http import id_param
from agentcrm.core.lists import list_page
from agentcrm.core.masking import mask_phone
from agentcrm.core.services import export_log_record
from agentcrm.core.spreadsheets import (
    CSV_CONTENT_TYPE,
    XLSX_CONTENT_TYPE,
    write_csv,
    write_xlsx,
)

from ..forms import PeriodForm
from ..models import Stage
from ..periods import TEAM_PRESETS
from ..selectors import access, team

EXPORT_FORMATS = ("xlsx", "csv")
AGENT_PAGE_SIZE = 50


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
        team_id = id_param(raw)
        if team_id is None:
            raise Http404
        chosen = next((t for t, _level in teams if t.pk == team_id), None)
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
    form = PeriodForm(request.GET, today=today, presets=TEAM_PRESETS)
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
            "presets": TEAM_PRESETS.labels,
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
    period = PeriodForm(request.GET, today=today, presets=TEAM_PRESETS).period()
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
    agent = access.get_team_agent_for_manager(user=request.user, pk=pk)
    today = timezone.localdate()
    form = PeriodForm(request.GET, today=today, presets=TEAM_PRESETS)
    period = form.period()
    stage = request.GET.get("stage", "")
    if stage not in Stage.values:
        stage = ""

    def masked_phones(referrals):
        for referral in referrals:
            referral.referrer_phone = mask_phone(referral.referrer.mobile)
            referral.referred_phone = mask_phone(referral.referred.mobile)
        return referrals

    context = {
        "agent": agent,
        "form": form,
        "period": period,
        "presets": TEAM_PRESETS.labels,
        "stage": stage,
        "stages": Stage.choices,
        "stage_query": _query(request, drop=("page", "stage")),
        "period_keep": _query(request, drop=("page", *PERIOD_KEYS)),
        "hidden": [("stage", stage)] if stage else [],
        "overview_query": _keep(request, keys=PERIOD_KEYS),
    }
    return list_page(
        request,
        team.agent_referrals(agent=agent, period=period, stage=stage),
        "referrals/team_agent.html",
        context=context,
        page_size=AGENT_PAGE_SIZE,
        decorate=masked_phones,
    )
