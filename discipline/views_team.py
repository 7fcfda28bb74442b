"""The manager's pages: /team/service/ (persistency, service discipline and lapses per
agent, team and total, from the nightly summary), its .xlsx export, the drill-down into one
agent (lists with phones masked, the same service panels as the agent's own page) and
/team/lapse/. An agent gets 403; another team (the `team` filter) or another team's agent is
a 404 (the scope of the team referral pages)."""

import functools
import tempfile

from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from agentcrm.core.http import id_param
from agentcrm.core.lists import list_page
from agentcrm.core.masking import mask_phone
from agentcrm.core.services import export_log_record
from agentcrm.core.spreadsheets import XLSX_CONTENT_TYPE, write_xlsx
from referrals.forms import PeriodForm
from referrals.periods import TEAM_PRESETS
from referrals.selectors import access
from referrals.selectors import team as referral_team
from touches.registry import service_panels

from .bands import BANDS, MIN_CONTACTS_A_YEAR
from .forms import GoalForm
from .selectors import lapse, team

PERIOD_KEYS = ("preset", "start", "end", "goal13", "goal25")
LAPSE_PAGE_SIZE = 50


def _scope(request):
    if not request.user.is_manager:
        raise PermissionDenied
    teams = referral_team.manager_teams(user=request.user)
    chosen = None
    raw = request.GET.get("team", "")
    if raw:
        team_id = id_param(raw)
        chosen = next((t for t, _level in teams if t.pk == team_id), None)
        if chosen is None:
            raise Http404
    agents = referral_team.team_agents(user=request.user, teams=[t for t, _l in teams], team=chosen)
    return teams, chosen, agents


def _query(request, *, drop=("page",)) -> str:
    query = request.GET.copy()
    for key in drop:
        query.pop(key, None)
    return query.urlencode()


def _keep(request, *, keys) -> str:
    query = request.GET.copy()
    for key in list(query):
        if key not in keys:
            query.pop(key)
    return query.urlencode()


def _stats(request, agents):
    today = timezone.localdate()
    form = PeriodForm(request.GET, today=today, presets=TEAM_PRESETS)
    goals = GoalForm(request.GET)
    goal_13, goal_25 = goals.goals()
    period = form.period()
    stats = team.team_service(
        agents=agents, period=period, today=today, goal_13=goal_13, goal_25=goal_25
    )
    return form, goals, period, stats


@require_GET
def team_service(request):
    teams, chosen, agents = _scope(request)
    form, goals, period, stats = _stats(request, agents)
    return render(
        request,
        "discipline/team_service.html",
        {
            "team_options": [(t, "— " * level) for t, level in teams],
            "team": chosen,
            "form": form,
            "goals": goals,
            "period": period,
            "presets": TEAM_PRESETS.labels,
            "stats": stats,
            "charts": stats.chart_data(),
            "query": _query(request),
            "team_query": _query(request, drop=("page", "preset", "start", "end")),
            "period_query": _keep(request, keys=PERIOD_KEYS),
        },
    )


def export_rows(stats: team.TeamService) -> tuple[list[str], list[list], list]:
    header = [
        _("Agent"),
        _("Team"),
        _("13-month persistency % (policies)"),
        _("13-month persistency % (premium)"),
        _("25-month persistency % (policies)"),
        _("25-month persistency % (premium)"),
        _("Touches due"),
        _("Done on time"),
        _("Done late"),
        _("Skipped"),
        _("Open past due"),
        _("Promises due"),
        _("Kept on time"),
        _("Kept late"),
        _("Open past due"),
        _("Feedback compliance %"),
        _("Contacts logged"),
        _("Clients"),
        _("Not contacted in 12 months"),
        _("Lapses"),
        _("Handed-over clients"),
        _("Introduced within 7 days"),
    ]
    # Contacts per client by premium band, at the period's end: four columns a band.
    floor = _("under %(floor)d a year") % {"floor": MIN_CONTACTS_A_YEAR}
    for _key, label, _upper in BANDS:
        header += [
            f"{label} · {_('clients')}",
            f"{label} · {_('contacts')}",
            f"{label} · {_('contacts per client')}",
            f"{label} · {floor}",
        ]
    header += [_("Clients under the contact floor")]

    def line(row: team.AgentRow, name: str, team_name: str) -> list:
        d, p = row.discipline, row.persistency
        return [
            name,
            team_name,
            p.rate_13,
            p.rate_13_premium,
            p.rate_25,
            p.rate_25_premium,
            d.touches_due,
            d.touches_on_time,
            d.touches_late,
            d.touches_skipped,
            d.touches_open,
            d.promises_due,
            d.promises_on_time,
            d.promises_late,
            d.promises_open,
            d.feedback_pct,
            d.contacts,
            d.clients,
            d.clients_silent,
            d.lapses,
            d.introductions,
            d.introductions_on_time,
            *(
                value
                for cell in row.bands.cells
                for value in (cell.clients, cell.contacts, cell.per_client, cell.below_floor)
            ),
            row.bands.below_floor,
        ]

    rows = [line(r, str(r.agent), r.agent.team.name if r.agent.team_id else "") for r in stats.rows]
    return header, rows, line(stats.total, _("Total"), "")


@require_GET
def team_service_export(request):
    _teams, _chosen, agents = _scope(request)
    _form, _goals, period, stats = _stats(request, agents)
    header, rows, total = export_rows(stats)
    export_log_record(user=request.user, kind="team_service", rows=len(rows) + 1)
    out = tempfile.TemporaryFile()  # noqa: SIM115 - FileResponse closes it once sent
    write_xlsx(out, title=_("Team service"), header=header, rows=rows, footer=total)
    out.seek(0)
    name = f"team-service-{period.start:%Y%m%d}-{period.end:%Y%m%d}.xlsx"
    return FileResponse(out, as_attachment=True, filename=name, content_type=XLSX_CONTENT_TYPE)


def _masked(rows):
    for policy in rows:
        policy.holder_phone = mask_phone(policy.holder.mobile)
    return rows


@require_GET
def agent_service(request, agent_id: int):
    """One agent: their figures, the monthly trend, the same panels as their own page, and
    their lapse queue with the phones masked."""
    if not request.user.is_manager:
        raise PermissionDenied
    agent = access.get_team_agent_for_manager(user=request.user, pk=agent_id)
    form, goals, period, stats = _stats(request, [agent])
    today = timezone.localdate()
    queue = lapse.lapse_queue(owner_ids=[agent.pk], today=today)[:LAPSE_PAGE_SIZE]
    return render(
        request,
        "discipline/team_agent.html",
        {
            "agent": agent,
            "form": form,
            "goals": goals,
            "period": period,
            "presets": TEAM_PRESETS.labels,
            "stats": stats,
            "row": stats.total,
            "charts": stats.chart_data(),
            "panels": service_panels(agent=agent, start=period.start, end=period.end),
            "stages": lapse.STAGES,
            "queue": _masked(lapse.lapse_decorate(list(queue), today=today)),
            "period_keep": _query(request, drop=("page", "preset", "start", "end")),
            "overview_query": _keep(request, keys=PERIOD_KEYS),
        },
    )


@require_GET
def team_lapse(request):
    _teams, chosen, agents = _scope(request)
    today = timezone.localdate()
    stage = request.GET.get("stage", "")
    if stage not in lapse.STAGES:
        stage = ""
    ids = [a.id for a in agents]
    # The totals are one grouped statement; the pager's count is one of them, not a second
    # COUNT(*) over the whole queue.
    counts = functools.cache(lambda: lapse.lapse_counts(owner_ids=ids, today=today)[""])
    context = {
        "stage": stage,
        "stages": lapse.STAGES,
        "today": today,
        "team": chosen,
        "counts": counts,
        "team_view": True,
    }
    return list_page(
        request,
        lapse.lapse_queue(owner_ids=ids, today=today, stage=stage),
        "discipline/lapse.html",
        context=context,
        page_size=LAPSE_PAGE_SIZE,
        decorate=lambda rows: _masked(lapse.lapse_decorate(rows, today=today)),
        count=lambda: counts().total(stage),
    )
