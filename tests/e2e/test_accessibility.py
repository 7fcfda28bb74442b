"""Accessibility: axe-core (vendored for the tests, tests/e2e/vendor) finds no serious or
critical WCAG 2 A/AA violation (colour contrast, duplicate ids that point labels at the
wrong field, …) on the agent's and the manager's main pages, desktop and phone."""

import json
from datetime import timedelta
from pathlib import Path

import pytest
from django.urls import reverse
from django.utils import timezone

from agentcrm.accounts.models import User

from ..factories import ClientFactory, FamilyMemberFactory, TeamFactory, UserFactory
from ..policy_factories import BeneficiaryFactory, PolicyFactory, RiderFactory
from ..referral_factories import ReferralFactory
from ..service_request_factories import ServiceRequestFactory
from ..touch_factories import TouchFactory
from .conftest import ARTIFACTS

pytestmark = pytest.mark.django_db(transaction=True)

AXE = (Path(__file__).parent / "vendor" / "axe-core-4.14.1" / "axe.min.js").read_text()
RUN = """async () => {
  const result = await axe.run(document, {
    runOnly: {type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]},
    resultTypes: ["violations"],
  });
  return result.violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => ({
      id: v.id,
      impact: v.impact,
      nodes: v.nodes.slice(0, 4).map(
        (n) => n.target.join(" ") + " :: " + (n.failureSummary || "").slice(0, 160)
      ),
      count: v.nodes.length,
    }));
}"""


# axe-core 4.14 no longer reports duplicate ids (WCAG 4.1.1 was retired), but a label's
# `for` or an aria reference meeting two elements of one id points at the wrong field.
DUPLICATE_IDS = """() => {
  const seen = {};
  document.querySelectorAll("[id]").forEach((el) => { seen[el.id] = (seen[el.id] || 0) + 1; });
  return Object.keys(seen).filter((id) => seen[id] > 1);
}"""


def violations(page, url: str) -> list[dict]:
    page.goto(url)
    page.evaluate(AXE)
    found = page.evaluate(RUN)
    duplicates = page.evaluate(DUPLICATE_IDS)
    if duplicates:
        found.append({"id": "duplicate-id", "impact": "serious", "nodes": duplicates[:8]})
    return found


def book():
    team = TeamFactory(name="上海一部")
    manager = UserFactory(username="manager.a11y", role=User.Role.MANAGER, team=team)
    team.manager = manager
    team.save()
    agent = UserFactory(username="agent.a11y", team=team)
    holder = ClientFactory(owner=agent, name="王芳")
    FamilyMemberFactory(client=holder, name="王小明")
    policy = PolicyFactory(holder=holder)
    RiderFactory(policy=policy)
    BeneficiaryFactory(policy=policy, share=100)
    referral = ReferralFactory(referrer=holder)
    request = ServiceRequestFactory(policy=policy)
    # Overdue and today's touches: the dashboard's amber "overdue" button (1.54:1 before).
    today = timezone.localdate()
    TouchFactory(client=holder, due_date=today - timedelta(days=3), kind="birthday")
    TouchFactory(client=holder, due_date=today, kind="policy_anniversary")
    agent_pages = [
        "/",
        reverse("clients:list"),
        reverse("clients:detail", args=[holder.pk]),
        reverse("clients:edit", args=[holder.pk]),
        reverse("policies:list"),
        reverse("policies:detail", args=[policy.pk]),
        reverse("policies:edit", args=[policy.pk]),
        reverse("referrals:list"),
        reverse("referrals:detail", args=[referral.pk]),
        reverse("service_requests:detail", args=[request.pk]),
        reverse("touches:settings"),
    ]
    manager_pages = ["/", reverse("team_referrals:overview")]
    return agent, manager, agent_pages, manager_pages


@pytest.mark.parametrize(
    "viewport", [{"width": 1280, "height": 900}, {"width": 390, "height": 844}]
)
def test_no_serious_accessibility_violation(new_page, viewport):
    agent, manager, agent_pages, manager_pages = book()
    found = {}
    for user, urls in ((agent, agent_pages), (manager, manager_pages)):
        page = new_page(user=user, viewport=viewport)
        for url in urls:
            problems = violations(page, url)
            if user is agent and url == "/":  # the amber button was checked
                assert page.locator(".touch-counts .btn-outline-warning").count() == 1
            if problems:
                found[f"{user.username} {url}"] = problems
    if found:  # the whole list, for whoever fixes it
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        (ARTIFACTS / f"axe-{viewport['width']}.json").write_text(
            json.dumps(found, ensure_ascii=False, indent=1)
        )
    assert found == {}
