"""The ask's page as the deck's six steps (in Chinese, as agents see it): each step's words,
the 北京 script, "还有其他朋友吗？" with the names beyond three, the privacy reassurance, the
feedback promise; a refused submit opens on the step to correct and saves nothing."""

import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from clients.models import Client
from referrals.models import Referral, ReferralRequest

pytestmark = pytest.mark.django_db
NOW = datetime.datetime(2026, 11, 24, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
URL = "/referrals/ask/"


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def http(as_user, owner):
    return as_user(owner)


def ask(referrer, **extra) -> dict:
    data = {
        "client": referrer.pk,
        "asked_on": "2026-11-24",
        "context": "other",
        "back": "client",
        "people-TOTAL_FORMS": "5",
        "people-INITIAL_FORMS": "0",
        "people-MIN_NUM_FORMS": "0",
        "people-MAX_NUM_FORMS": "5",
    }
    for i in range(5):
        data[f"people-{i}-relationship"] = "friend"
    data.update(extra)
    return data


def test_the_url_is_the_ask():
    assert reverse("referrals:ask") == URL


def test_the_six_steps_with_the_decks_words(http, client_obj):
    page = http.get(URL + f"?client={client_obj.pk}").content.decode()
    expected = [
        "第 1 步（共 6 步）",
        "引导对方对保险概念给予正面回应",
        "你觉得我刚才跟你讲解的这份计划怎么样？",
        "感谢对方肯定自己所提供的服务价值",
        "对你有帮助才是我想看到的，很高兴看到你的认可。",
        "要求转介绍，并记录相关资料",
        "如果你下个月要去北京旅行，要你约三个朋友和你一起去，你会约哪三位呢？",
        "我非常理解你是为朋友着想",
        "一定保密",
        "还有其他朋友吗？",
        "感谢对方的帮助",
        "第 6 步（共 6 步）",
        "答应接触转介绍的朋友后及时反馈",
        "都会第一时间告诉你情况",
    ]
    positions = [page.find(text) for text in expected]
    assert -1 not in positions, [t for t, p in zip(expected, positions, strict=True) if p < 0]
    assert positions == sorted(positions)  # in the deck's order
    for step in range(1, 7):
        assert f'data-step="{step}"' in page
    assert 'data-start-step="1"' in page


def test_names_three_at_step_three_the_others_at_step_four(http, client_obj):
    data = ask(client_obj, **{"people-3-name": "周全", "people-3-mobile": "12345"})
    response = http.post(URL, data)
    assert response.status_code == 400
    page = response.content.decode()
    step3, step4 = page.index('id="ask-step-3"'), page.index('id="ask-step-4"')
    step5 = page.index('id="ask-step-5"')
    assert step3 < page.index('name="people-0-name"') < step4
    assert step4 < page.index('value="周全"') < step5
    assert 'data-start-step="4"' in page  # the bad number is on step 4
    assert "未保存：请改正下面标出的错误。" in page
    assert not ReferralRequest.objects.exists() and not Referral.objects.exists()


@pytest.mark.parametrize(
    ("extra", "step"),
    [
        ({"client": "999999", "people-0-name": "张琴"}, 1),
        ({"people-0-name": "张琴", "people-0-mobile": "12345"}, 3),
        ({"notes": "下次再问"}, 5),  # no names and no reason
    ],
)
def test_a_refused_ask_opens_on_the_step_to_correct(http, client_obj, extra, step):
    before = Client.objects.count()
    response = http.post(URL, ask(client_obj, **extra))
    assert response.status_code == 400
    page = response.content.decode()
    assert f'data-start-step="{step}"' in page
    for typed in extra.values():
        if typed != "999999":
            assert typed in page
    assert not ReferralRequest.objects.exists() and Client.objects.count() == before


def test_the_last_step_saves_everything_at_once(http, client_obj):
    data = ask(
        client_obj,
        **{
            "people-0-name": "张琴",
            "people-0-occupation": "医生",
            "people-1-name": "王力",
            "people-2-name": "周全",
            "people-3-name": "李梅",
        },
    )
    response = http.post(URL, data)
    assert response.status_code == 302
    request = ReferralRequest.objects.get()
    assert request.names_given == 4
    assert Referral.objects.filter(request=request).count() == 4
