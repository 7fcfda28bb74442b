"""A manager opens the team referral page and the charts are drawn (Chart.js, served from
static/, run in a real browser)."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from agentcrm.accounts.models import User
from referrals.models import RefusalReason, Stage

from ..factories import ClientFactory, TeamFactory, UserFactory
from ..referral_factories import ReferralFactory, ReferralRequestFactory
from .checks import assert_page_sound

pytestmark = pytest.mark.django_db(transaction=True)

# Per canvas: its size, whether Chart.js owns it, what it was given, and whether any pixel
# was painted.
CHARTS = """() => Array.from(document.querySelectorAll("canvas[data-chart]")).map((canvas) => {
  const chart = window.Chart && Chart.getChart(canvas);
  const box = canvas.getBoundingClientRect();
  const pixels = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
  let painted = false;
  for (let i = 3; i < pixels.length; i += 4) { if (pixels[i]) { painted = true; break; } }
  return {
    name: canvas.dataset.chart,
    drawn: canvas.dataset.drawn || null,
    width: box.width,
    height: box.height,
    chart: Boolean(chart),
    labels: chart ? chart.data.labels : null,
    data: chart ? chart.data.datasets.map((s) => s.data) : null,
    painted: painted,
  };
})"""


def test_manager_sees_team_referral_charts_drawn(new_page):
    today = timezone.localdate()
    team = TeamFactory(name="上海一部")
    manager = UserFactory(username="manager.zhou", role=User.Role.MANAGER, team=team)
    team.manager = manager
    team.save()
    agents = [UserFactory(username=f"agent.{n}", team=team) for n in ("li", "wu")]
    for n, agent in enumerate(agents):
        referrer = ClientFactory(owner=agent, name=f"转介绍人{n}")
        ReferralRequestFactory(owner=agent, client=referrer, asked_on=today, names_given=2)
        ReferralRequestFactory(
            owner=agent,
            client=ClientFactory(owner=agent),
            asked_on=today - timedelta(days=40),
            names_given=0,
            refusal_reason=RefusalReason.values[0],
        )
        ReferralFactory(owner=agent, referrer=referrer, given_on=today, stage=Stage.NEW)
        ReferralFactory(
            owner=agent,
            referrer=referrer,
            given_on=today - timedelta(days=40),
            stage=Stage.CONTACTED,
            contacted_at=timezone.now() - timedelta(days=39),
        )

    page = new_page(user=manager)
    page.goto("/team/referrals/")
    expect(page.locator("h1")).to_be_visible()
    assert_page_sound(page)  # the period filter's comment once showed as text
    assert page.evaluate("typeof window.Chart") == "function"
    assert page.evaluate("typeof window.htmx") == "object"
    canvases = page.locator("canvas[data-chart]")
    expect(canvases).to_have_count(3)
    for n in range(3):
        expect(canvases.nth(n)).to_have_attribute("data-drawn", "1")

    charts = {c["name"]: c for c in page.evaluate(CHARTS)}
    assert set(charts) == {"trend", "refusals", "agents"}
    for name, chart in charts.items():
        assert chart["chart"], f"no Chart.js chart on the {name} canvas"
        assert chart["width"] > 100 and chart["height"] > 100, chart
        assert chart["painted"], f"the {name} canvas is blank"
    # What was drawn is the page's own figures: the trend has one label per month row, and
    # the agents' chart one bar per agent.
    months = page.locator("#team-trend tbody tr")
    assert len(charts["trend"]["labels"]) == months.count() > 0
    assert sum(charts["trend"]["data"][1]) == 4  # referrals received in the period
    assert sorted(charts["agents"]["labels"]) == sorted(str(a) for a in agents)
    assert sum(charts["refusals"]["data"][0]) == 2
