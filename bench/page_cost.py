"""What a page costs in CPU, against a bare Django ListView of the same rows in the same
process behind the same middleware (the machine is shared: ratios, not milliseconds).

- dashboard / listview: the dashboard of an agent with 2,000 clients and 300 open touches,
  against a ListView of the touches the dashboard shows (with their clients);
- clientlist / listview: the client list's first page, against a ListView of the same
  clients (the same page size).

The bare ListViews extend base.html (the chrome every page has) and render each row's
name, a link by `{% url %}`, the kind or stage label and a date: what the Django tutorial
would write. CPU is this process's (`time.process_time`), median per request after a
warm-up; the database's own CPU is not in it. Run: `.venv/bin/python bench/run.py
bench.page_cost`; `PAGE_COST_PROFILE=dashboard` (or `clientlist`) prints a cProfile of
that page instead of the figures' last line being the only output.

Last line: `page cost ratio dashboard/listview: <x> clientlist/listview: <y>`.
"""

import os
import statistics
import time

from django.conf import settings
from django.http import HttpResponse
from django.template import engines
from django.test import Client as HttpClient
from django.test.utils import override_settings
from django.urls import path
from django.utils import timezone
from django.views.generic import ListView

from agentcrm.urls import urlpatterns as project_urlpatterns
from clients.models import Client
from touches.models import Touch

REPEAT = 25

BARE_CLIENTS = """{% extends "base.html" %}{% block content %}
<table class="table"><tbody>
{% for client in page_obj %}<tr>
<td><a href="{% url 'clients:detail' client.pk %}">{{ client.name }}</a></td>
<td>{{ client.get_stage_display }}</td><td>{{ client.mobile }}</td>
<td>{{ client.created_at|date:"SHORT_DATE_FORMAT" }}</td></tr>
{% endfor %}</tbody></table>{% endblock %}"""

BARE_TOUCHES = """{% extends "base.html" %}{% block content %}
<table class="table"><tbody>
{% for touch in object_list %}<tr>
<td><a href="{% url 'clients:detail' touch.client_id %}">{{ touch.client.name }}</a></td>
<td>{{ touch.get_kind_display }}</td><td>{{ touch.client.mobile }}</td>
<td>{{ touch.due_date|date:"SHORT_DATE_FORMAT" }}</td></tr>
{% endfor %}</tbody></table>{% endblock %}"""


class _BareList(ListView):
    source = ""

    def render_to_response(self, context, **response_kwargs):
        template = engines["django"].from_string(self.source)
        return HttpResponse(template.render(context, self.request))


class BareClients(_BareList):
    source = BARE_CLIENTS
    paginate_by = settings.LIST_PAGE_SIZE

    def get_queryset(self):
        return Client.objects.filter(owner=self.request.user).order_by("name", "id")


class BareTouches(_BareList):
    source = BARE_TOUCHES
    # The touches the dashboard shows (set by `run`).
    ids: list[int] = []

    def get_queryset(self):
        return (
            Touch.objects.filter(owner=self.request.user, pk__in=self.ids)
            .select_related("client")
            .order_by("due_date", "id")
        )


urlpatterns = [
    path("bench/bare/clients", BareClients.as_view()),
    path("bench/bare/touches", BareTouches.as_view()),
    *project_urlpatterns,
]


def cpu_ms(http, url: str, *, repeat: int = REPEAT) -> float:
    """Median CPU milliseconds of this process per GET of `url`, after a warm-up."""
    assert http.get(url).status_code == 200
    samples = []
    for _ in range(repeat):
        start = time.process_time()
        response = http.get(url)
        samples.append((time.process_time() - start) * 1000)
        assert response.status_code == 200
    return statistics.median(samples)


def _profile(http, url: str) -> None:
    import cProfile
    import pstats

    http.get(url)
    profiler = cProfile.Profile(time.process_time)  # this process's CPU, not waits
    profiler.enable()
    for _ in range(10):
        http.get(url)
    profiler.disable()
    if os.environ.get("PAGE_COST_PSTATS"):  # a file to read with pstats afterwards
        profiler.dump_stats(os.environ["PAGE_COST_PSTATS"])
    pstats.Stats(profiler).sort_stats("cumulative").print_stats(45)
    pstats.Stats(profiler).sort_stats("tottime").print_stats(30)


def run(*, report, timed) -> None:
    from bench.dashboard import _seed

    agent = _seed(username="bench-page-cost")
    from touches.selectors import dashboard

    board = dashboard(user=agent, today=timezone.localdate())
    BareTouches.ids = [t.pk for g in board.groups for t in g.rows]
    http = HttpClient()
    http.force_login(agent)
    pages = {
        "dashboard": "/",
        "listview_touches": "/bench/bare/touches",
        "clientlist": "/clients/",
        "listview_clients": "/bench/bare/clients",
    }
    with override_settings(ROOT_URLCONF=__name__):
        profile = os.environ.get("PAGE_COST_PROFILE")
        if profile:
            _profile(http, pages[profile])
        # Interleaved rounds, so a neighbour's burst on the shared machine hits all four.
        samples: dict[str, list[float]] = {name: [] for name in pages}
        for _ in range(3):
            for name, url in pages.items():
                samples[name].append(cpu_ms(http, url, repeat=REPEAT // 3 + 1))
        cpu = {name: round(statistics.median(s), 2) for name, s in samples.items()}
    rows = len(BareTouches.ids)
    report(f"page cpu, dashboard ({rows} rows)", cpu_ms=cpu["dashboard"])
    report("page cpu, bare ListView of those touches", cpu_ms=cpu["listview_touches"])
    report(f"page cpu, client list ({settings.LIST_PAGE_SIZE} rows)", cpu_ms=cpu["clientlist"])
    report("page cpu, bare ListView of those clients", cpu_ms=cpu["listview_clients"])
    dash = cpu["dashboard"] / cpu["listview_touches"]
    clients = cpu["clientlist"] / cpu["listview_clients"]
    print(f"page cost ratio dashboard/listview: {dash:.2f} clientlist/listview: {clients:.2f}")
