"""The manager's team referral page (/team/referrals/), its export and the drill-down to one
agent's referrals: every figure against a hand-computed fixture, the scoping (agent 403,
another team 404 and never in the page or the export), masked phones and query counts.

The fixture (period 2026-03-01 → 2026-05-31, today 2026-05-30):

team 上海一部 (manager) ── owner (A), teammate (B)
  └─ sub-team 上海一部二组 ── sub (C)
team 北京二部 (manager_b) ── outsider: data that must never show for `manager`.

A: requests 3 in the period (3 names, 0 names [bother_friends], 2 names) + 1 before it;
   referrals a1 won, a2 contacted, a3 new (referrer 张伟 ×3), a4 lost after contact (depth 2),
   a5 met (depth 3), + a0 before the period (depth 4, won);
   feedback: on time, late, owed (unreported, past due), not yet due, + one before the period.
B: requests 0 names [finances_private], 0 names [bother_friends], 4 names;
   referrals b1 won, b2 proposal (referrer 李娜 ×2); feedback: on time, late by local date.
C: request 1 name; referral c1 new (referrer 王强).
"""

import csv
import datetime
import io

import openpyxl
import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.translation import gettext

from agentcrm.accounts.models import User
from referrals.models import RefusalReason, Stage
from referrals.selectors import team as team_stats

from .factories import ClientFactory, TeamFactory, UserFactory
from .referral_factories import (
    ReferralFactory,
    ReferralRequestFactory,
    ReferralStageChangeFactory,
)

SH = datetime.timezone(datetime.timedelta(hours=8))
NOW = datetime.datetime(2026, 5, 30, 10, 0, tzinfo=SH)
TODAY = NOW.date()
PERIOD = {"start": "2026-03-01", "end": "2026-05-31"}
OVERVIEW = reverse("team_referrals:overview")
SECRET_MOBILE = "+8613912345678"


def d(text: str) -> datetime.date:
    return datetime.date.fromisoformat(text)


def at(text: str) -> datetime.datetime:
    """A local (Shanghai) time."""
    return datetime.datetime.fromisoformat(text).replace(tzinfo=SH)


def referral(owner, referrer, given_on, stage=Stage.NEW, *, depth=1, contacted=False, **kw):
    closed = stage in (Stage.WON, Stage.LOST)
    return ReferralFactory(
        owner=owner,
        referrer=referrer,
        given_on=d(given_on),
        stage=stage,
        depth=depth,
        contacted_at=at(given_on + "T12:00") if contacted else None,
        closed_at=at(given_on + "T18:00") if closed else None,
        stage_changed_at=at(given_on + "T18:00"),
        **kw,
    )


def request(owner, asked_on, names, reason=""):
    return ReferralRequestFactory(
        owner=owner,
        client=ClientFactory(owner=owner),
        asked_on=d(asked_on),
        names_given=names,
        refusal_reason=reason,
    )


def feedback(ref, due, reported=None):
    return ReferralStageChangeFactory(
        referral=ref,
        to_stage=Stage.CONTACTED,
        changed_at=at(due + "T09:00") - datetime.timedelta(days=3),
        feedback_due=d(due),
        reported_at=at(reported) if reported else None,
    )


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def sub_team(team):
    return TeamFactory(name="上海一部二组", parent=team)


@pytest.fixture
def sub(sub_team):
    return UserFactory(username="sub", team=sub_team, display_name="孙丽")


@pytest.fixture
def manager_b(outsider):
    user = UserFactory(username="manager_b", role=User.Role.MANAGER)
    outsider.team.manager = user
    outsider.team.save()
    return user


@pytest.fixture
def data(owner, teammate, sub, outsider):
    owner.display_name, teammate.display_name = "周强", "吴敏"
    owner.save()
    teammate.save()
    # A
    request(owner, "2026-03-05", 3)
    request(owner, "2026-04-10", 0, RefusalReason.BOTHER_FRIENDS)
    request(owner, "2026-05-20", 2)
    request(owner, "2026-02-20", 5)  # before the period
    zhang = ClientFactory(owner=owner, name="张伟")
    a0 = referral(owner, zhang, "2026-02-20", Stage.WON, depth=4, contacted=True)
    a1 = referral(owner, zhang, "2026-03-05", Stage.WON, contacted=True)
    a2 = referral(owner, zhang, "2026-03-05", Stage.CONTACTED, contacted=True)
    referral(owner, zhang, "2026-03-05")
    a4 = referral(owner, a1.referred, "2026-05-20", Stage.LOST, depth=2, contacted=True)
    referral(
        owner,
        a4.referred,
        "2026-05-21",
        Stage.MET,
        depth=3,
        contacted=True,
        referred=ClientFactory(owner=owner, name="钱多多", mobile=SECRET_MOBILE),
    )
    feedback(a1, "2026-03-08", "2026-03-07T20:00")  # on time
    feedback(a2, "2026-04-10", "2026-04-12T09:00")  # late
    feedback(a4, "2026-05-10")  # owed: past due, never reported
    feedback(a4, "2026-05-31")  # not yet due: not counted
    feedback(a0, "2026-02-25", "2026-02-24T09:00")  # deadline before the period
    # B
    request(teammate, "2026-04-01", 0, RefusalReason.FINANCES_PRIVATE)
    request(teammate, "2026-04-02", 0, RefusalReason.BOTHER_FRIENDS)
    request(teammate, "2026-05-01", 4)
    li = ClientFactory(owner=teammate, name="李娜")
    b1 = referral(teammate, li, "2026-04-01", Stage.WON, contacted=True)
    b2 = referral(teammate, li, "2026-04-05", Stage.PROPOSAL, contacted=True)
    feedback(b1, "2026-04-04", "2026-04-04T10:00")  # on time
    # 07:00 in Shanghai is the day before in UTC: late by the local date.
    feedback(b2, "2026-04-08", "2026-04-09T07:00")
    # C
    request(sub, "2026-03-15", 1)
    referral(sub, ClientFactory(owner=sub, name="王强"), "2026-03-15")
    # Another team's agent: never in `manager`'s figures.
    request(outsider, "2026-04-01", 0, RefusalReason.GOSSIP)
    request(outsider, "2026-04-02", 0, RefusalReason.GOSSIP)
    outsider_referrer = ClientFactory(owner=outsider, name="外人甲")
    for day in range(1, 11):
        ref = referral(
            outsider, outsider_referrer, f"2026-04-{day:02d}", Stage.WON, depth=7, contacted=True
        )
        feedback(ref, "2026-04-15", "2026-04-14T09:00")
    return {"zhang": zhang, "li": li, "a1": a1, "a4": a4}


# --- the figures -----------------------------------------------------------------------------


def rows_by_agent(stats):
    return {row.agent.username: row for row in stats.rows}


def figures(row):
    return {
        "requests": row.requests,
        "names": row.names,
        "names_per_request": row.names_per_request,
        "refusals": row.refusals,
        "received": row.received,
        "contacted": row.contacted,
        "won": row.won,
        "conversion_pct": row.conversion_pct,
        "on_time": row.feedback_on_time,
        "owed": row.feedback_owed,
        "compliance_pct": row.compliance_pct,
        "deepest": row.deepest,
        "top_referrer": (row.top_referrer.name, row.top_referrer.count)
        if row.top_referrer
        else None,
    }


EXPECTED = {
    "owner": {
        "requests": 3,
        "names": 5,
        "names_per_request": 1.67,
        "refusals": 1,
        "received": 5,
        "contacted": 4,
        "won": 1,
        "conversion_pct": 20.0,
        "on_time": 1,
        "owed": 3,
        "compliance_pct": 33.3,
        "deepest": 3,
        "top_referrer": ("张伟", 3),
    },
    "teammate": {
        "requests": 3,
        "names": 4,
        "names_per_request": 1.33,
        "refusals": 2,
        "received": 2,
        "contacted": 2,
        "won": 1,
        "conversion_pct": 50.0,
        "on_time": 1,
        "owed": 2,
        "compliance_pct": 50.0,
        "deepest": 1,
        "top_referrer": ("李娜", 2),
    },
    "sub": {
        "requests": 1,
        "names": 1,
        "names_per_request": 1.0,
        "refusals": 0,
        "received": 1,
        "contacted": 0,
        "won": 0,
        "conversion_pct": 0.0,
        "on_time": 0,
        "owed": 0,
        "compliance_pct": None,
        "deepest": 1,
        "top_referrer": ("王强", 1),
    },
}
EXPECTED_TOTAL = {
    "requests": 7,
    "names": 10,
    "names_per_request": 1.43,
    "refusals": 3,
    "received": 8,
    "contacted": 6,
    "won": 2,
    "conversion_pct": 25.0,
    "on_time": 2,
    "owed": 5,
    "compliance_pct": 40.0,
    "deepest": 3,
    "top_referrer": ("张伟", 3),
}


@pytest.mark.django_db
def test_every_figure_of_the_page(as_user, manager, data):
    response = as_user(manager).get(OVERVIEW, PERIOD)
    assert response.status_code == 200
    stats = response.context["stats"]
    assert stats.period == team_stats.Period(d("2026-03-01"), d("2026-05-31"))
    rows = rows_by_agent(stats)
    # Ordered by team, then username.
    assert list(rows) == ["owner", "teammate", "sub"]
    assert {name: figures(row) for name, row in rows.items()} == EXPECTED
    assert figures(stats.total) == EXPECTED_TOTAL
    top = [(t.name, t.agent.username, t.count) for t in stats.top_referrers]
    assert top[:2] == [("张伟", "owner", 3), ("李娜", "teammate", 2)]
    # Then three who referred one person each (a1's and a4's referred referred in turn).
    assert sorted(top[2:]) == sorted(
        [
            (data["a1"].referred.name, "owner", 1),
            (data["a4"].referred.name, "owner", 1),
            ("王强", "sub", 1),
        ]
    )
    assert [(f"{m.month:%Y-%m}", m.requests, m.referrals, m.won) for m in stats.trend] == [
        ("2026-03", 2, 4, 1),
        ("2026-04", 3, 2, 1),
        ("2026-05", 2, 2, 0),
    ]
    refusals = {code: n for code, _label, n in stats.refusals}
    assert refusals == {
        code: {"bother_friends": 2, "finances_private": 1}.get(code, 0)
        for code in RefusalReason.values
    }
    # The page shows them.
    html = response.content.decode()
    assert 'data-total="requests">7<' in html
    assert 'data-total="conversion">25.0%<' in html
    assert 'data-total="compliance">40.0%<' in html
    assert "张伟" in html and "李娜" in html and "王强" in html


@pytest.mark.django_db
def test_charts_have_their_canvases_and_data(as_user, manager, data):
    response = as_user(manager).get(OVERVIEW, PERIOD)
    html = response.content.decode()
    for chart in ("trend", "refusals", "agents"):
        assert f'data-chart="{chart}"' in html
    assert 'id="team-chart-data"' in html
    assert "vendor/chartjs-4.6.1/chart.umd.min.js" in html
    assert "js/team_referrals.js" in html
    assert "cdn" not in html.lower()
    charts = response.context["charts"]
    assert charts["trend"]["labels"] == ["2026-03", "2026-04", "2026-05"]
    assert [s["data"] for s in charts["trend"]["series"]] == [[2, 3, 2], [4, 2, 2], [1, 1, 0]]
    assert sum(charts["refusals"]["series"][0]["data"]) == 3
    conversion, compliance = charts["agents"]["series"]
    by_agent = dict(zip(charts["agents"]["labels"], conversion["data"], strict=True))
    assert by_agent == {"周强": 20.0, "吴敏": 50.0, "孙丽": 0.0}
    assert sorted(compliance["data"], key=str) == sorted([33.3, 50.0, None], key=str)


@pytest.mark.django_db
def test_the_team_filter_takes_a_team_and_its_sub_teams(as_user, manager, data, team, sub_team):
    http = as_user(manager)
    only_sub = http.get(OVERVIEW, {**PERIOD, "team": sub_team.pk}).context["stats"]
    assert list(rows_by_agent(only_sub)) == ["sub"]
    assert figures(only_sub.total) == {**EXPECTED["sub"]}
    whole = http.get(OVERVIEW, {**PERIOD, "team": team.pk}).context["stats"]
    assert set(rows_by_agent(whole)) == {"owner", "teammate", "sub"}


@pytest.mark.django_db
def test_presets_and_the_default_period(as_user, manager, data):
    http = as_user(manager)
    default = http.get(OVERVIEW).context["stats"]
    assert default.period == team_stats.Period(d("2025-06-01"), TODAY, "last_12_months")
    assert len(default.trend) == 12
    # The default period holds everything of the fixture, a0's request and referral too.
    assert default.total.requests == 8 and default.total.received == 9
    assert default.total.deepest == 4
    expected = {
        "this_month": d("2026-05-01"),
        "last_3_months": d("2026-03-01"),
        "this_year": d("2026-01-01"),
    }
    for preset, start in expected.items():
        period = http.get(OVERVIEW, {"preset": preset}).context["stats"].period
        assert (period.start, period.end) == (start, TODAY)
    this_month = http.get(OVERVIEW, {"preset": "this_month"}).context["stats"].total
    assert (this_month.requests, this_month.received) == (2, 2)


@pytest.mark.django_db
def test_a_nonsense_period_falls_back_with_a_message(as_user, manager, data):
    response = as_user(manager).get(OVERVIEW, {"start": "2026-05-01", "end": "2026-03-01"})
    assert response.status_code == 200
    assert response.context["stats"].period.preset == "last_12_months"
    assert response.context["form"].errors
    assert 'role="alert"' in response.content.decode()
    too_long = as_user(manager).get(OVERVIEW, {"start": "1990-01-01"})
    assert too_long.context["stats"].period.preset == "last_12_months"
    assert too_long.context["form"].errors


@pytest.mark.django_db
def test_one_date_is_filled_in(as_user, manager, data):
    http = as_user(manager)
    period = http.get(OVERVIEW, {"start": "2026-04-01"}).context["stats"].period
    assert (period.start, period.end) == (d("2026-04-01"), TODAY)
    period = http.get(OVERVIEW, {"end": "2026-03-31"}).context["stats"].period
    assert (period.start, period.end) == (d("2025-04-01"), d("2026-03-31"))


# --- scoping ---------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    "url",
    [
        OVERVIEW,
        reverse("team_referrals:export", args=["csv"]),
        reverse("team_referrals:export", args=["xlsx"]),
    ],
)
def test_an_agent_gets_403(as_user, owner, url):
    assert as_user(owner).get(url).status_code == 403


@pytest.mark.django_db
def test_an_agent_gets_403_on_the_drill_down(as_user, owner, teammate):
    assert (
        as_user(owner).get(reverse("team_referrals:agent", args=[teammate.pk])).status_code == 403
    )


@pytest.mark.django_db
def test_another_team_is_404_and_never_shown(as_user, manager, manager_b, outsider, owner, data):
    http = as_user(manager)
    assert http.get(OVERVIEW, {"team": outsider.team_id}).status_code == 404
    assert http.get(OVERVIEW, {"team": "x"}).status_code == 404
    assert http.get(reverse("team_referrals:agent", args=[outsider.pk])).status_code == 404
    html = http.get(OVERVIEW, PERIOD).content.decode()
    assert "外人甲" not in html and "outsider" not in html
    for fmt in ("csv", "xlsx"):
        export = http.get(reverse("team_referrals:export", args=[fmt]), PERIOD)
        assert export.status_code == 200
        text = _export_text(export, fmt)
        assert "张伟" in text
        assert "外人甲" not in text and "outsider" not in text
    # And the other manager sees their own team only.
    other = as_user(manager_b)
    assert other.get(reverse("team_referrals:agent", args=[owner.pk])).status_code == 404
    stats = other.get(OVERVIEW, PERIOD).context["stats"]
    assert list(rows_by_agent(stats)) == ["outsider"]
    assert (stats.total.received, stats.total.refusals, stats.total.deepest) == (10, 2, 7)
    assert "张伟" not in other.get(OVERVIEW, PERIOD).content.decode()


@pytest.mark.django_db
def test_an_admin_without_teams_sees_an_empty_page(as_user, admin_user, data):
    response = as_user(admin_user).get(OVERVIEW, PERIOD)
    assert response.status_code == 200
    assert response.context["stats"].rows == []
    assert response.context["stats"].total.received == 0


# --- the drill-down --------------------------------------------------------------------------


@pytest.mark.django_db
def test_drill_down_shows_names_and_stages_with_masked_phones(as_user, manager, owner, data):
    response = as_user(manager).get(reverse("team_referrals:agent", args=[owner.pk]), PERIOD)
    assert response.status_code == 200
    html = response.content.decode()
    page = response.context["page"]
    assert page.paginator.count == 5  # a0 was given before the period
    assert "钱多多" in html and "张伟" in html
    assert "139****5678" in html
    assert "13912345678" not in html and SECRET_MOBILE not in html
    for r in page.object_list:
        assert r.referred.name in html
        assert str(r.referred.mobile.national_number) not in html
        assert str(r.referrer.mobile.national_number) not in html
    assert str(Stage.MET.label) in html and str(Stage.LOST.label) in html
    won = as_user(manager).get(
        reverse("team_referrals:agent", args=[owner.pk]), {**PERIOD, "stage": "won"}
    )
    assert won.context["page"].paginator.count == 1


@pytest.mark.django_db
def test_drill_down_reaches_the_sub_team(as_user, manager, sub, data):
    response = as_user(manager).get(reverse("team_referrals:agent", args=[sub.pk]), PERIOD)
    assert response.status_code == 200
    assert "王强" in response.content.decode()


# --- export ----------------------------------------------------------------------------------


def _export_text(response, fmt) -> str:
    body = b"".join(response.streaming_content) if response.streaming else response.content
    if fmt == "csv":
        return body.decode("utf-8-sig")
    sheet = openpyxl.load_workbook(io.BytesIO(body), read_only=True).active
    return "\n".join(
        ",".join("" if v is None else str(v) for v in row)
        for row in sheet.iter_rows(values_only=True)
    )


def _export_rows(response, fmt) -> list[list]:
    body = b"".join(response.streaming_content) if response.streaming else response.content
    if fmt == "csv":
        assert body.startswith(b"\xef\xbb\xbf")
        return list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    sheet = openpyxl.load_workbook(io.BytesIO(body), read_only=True).active
    return [list(row) for row in sheet.iter_rows(values_only=True)]


@pytest.mark.django_db
@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_export_has_one_row_per_agent_and_the_total(as_user, manager, data, fmt):
    response = as_user(manager).get(reverse("team_referrals:export", args=[fmt]), PERIOD)
    assert response.status_code == 200
    assert f"team-referrals-20260301-20260531.{fmt}" in response["Content-Disposition"]
    rows = _export_rows(response, fmt)
    header, body = rows[0], rows[1:]
    assert len(header) == 12
    assert len(body) == 4
    by_name = {row[0]: row for row in body}
    total = gettext("Total")
    assert set(by_name) == {"周强", "吴敏", "孙丽", total}

    def norm(row):
        # CSV cells are text, xlsx cells keep their type.
        return [None if v in ("", None) else (str(v) if fmt == "csv" else v) for v in row]

    def want(*values):
        return [None if v is None else (str(v) if fmt == "csv" else v) for v in values]

    assert norm(by_name["周强"]) == want(
        "周强", "上海一部", 3, 1.67, 5, 4, 1, 20.0, 33.3, 3, "张伟", 3
    )
    assert norm(by_name["吴敏"]) == want(
        "吴敏", "上海一部", 3, 1.33, 2, 2, 1, 50.0, 50.0, 1, "李娜", 2
    )
    assert norm(by_name["孙丽"]) == want(
        "孙丽", "上海一部二组", 1, 1.0, 1, 0, 0, 0.0, None, 1, "王强", 1
    )
    assert norm(by_name[total]) == want(total, None, 7, 1.43, 8, 6, 2, 25.0, 40.0, 3, "张伟", 3)
    assert body[-1][0] == total


@pytest.mark.django_db
def test_export_other_formats_404(as_user, manager):
    assert as_user(manager).get(reverse("team_referrals:export", args=["pdf"])).status_code == 404


@pytest.mark.django_db
def test_export_follows_the_team_filter(as_user, manager, data, sub_team):
    response = as_user(manager).get(
        reverse("team_referrals:export", args=["csv"]), {**PERIOD, "team": sub_team.pk}
    )
    names = [row[0] for row in _export_rows(response, "csv")[1:]]
    assert names == ["孙丽", gettext("Total")]


# --- query counts ----------------------------------------------------------------------------


def _team_of(n: int, team) -> None:
    for _ in range(n):
        agent = UserFactory(team=team)
        request(agent, "2026-04-01", 0, RefusalReason.NO_ONE)
        ref = referral(agent, ClientFactory(owner=agent), "2026-04-02", Stage.WON, contacted=True)
        feedback(ref, "2026-04-05", "2026-04-05T09:00")


def _queries(http, url, params) -> int:
    http.get(url, params)  # the first request of a session also writes the session
    with CaptureQueriesContext(connection) as queries:
        assert http.get(url, params).status_code == 200
    return len(queries)


@pytest.mark.django_db
def test_query_count_does_not_grow_with_agents(as_user, manager, team, sub_team):
    http = as_user(manager)
    _team_of(2, team)
    pages = {
        "overview": _queries(http, OVERVIEW, PERIOD),
        "csv": _queries(http, reverse("team_referrals:export", args=["csv"]), PERIOD),
    }
    _team_of(8, sub_team)
    assert _queries(http, OVERVIEW, PERIOD) == pages["overview"]
    assert _queries(http, reverse("team_referrals:export", args=["csv"]), PERIOD) == pages["csv"]
    assert len(http.get(OVERVIEW, PERIOD).context["stats"].rows) == 10
    # Session, user, OTP; the team tree (twice, a query per level); the agents; 8 figures.
    assert pages["overview"] <= 20


@pytest.mark.django_db
def test_drill_down_query_count_is_fixed(as_user, manager, owner):
    http = as_user(manager)
    url = reverse("team_referrals:agent", args=[owner.pk])
    referrer = ClientFactory(owner=owner)
    for _ in range(2):
        referral(owner, referrer, "2026-04-02")
    few = _queries(http, url, PERIOD)
    for _ in range(20):
        referral(owner, ClientFactory(owner=owner), "2026-04-03")
    assert _queries(http, url, PERIOD) == few
