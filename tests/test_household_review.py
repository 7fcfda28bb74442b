"""The household policy review (handouts): the household, every figure against a hand-computed
fixture, the issue list, policies sold by others in the cover but out of every own figure,
the PDF's text, the long image and the greeting card."""

import datetime
import io
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation
from PIL import Image
from pypdf import PdfReader

from clients.models import Client
from handouts.cards import CARD_KINDS, card_png, design_for
from handouts.models import ReviewSnapshot
from handouts.render.fonts import missing_glyphs
from handouts.render.image import review_png
from handouts.render.pdf import review_pdf
from handouts.selectors import Needs, household_of, review_data
from handouts.selectors.snapshots import changes
from policies.models import Policy
from referrals.models import Stage
from referrals.selectors import analytics
from referrals.selectors.pages import referred_policies
from referrals.services import referral_stage_change

from .factories import ClientFactory, FamilyMemberFactory, force_login_verified
from .policy_factories import BeneficiaryFactory, PolicyFactory, RiderFactory
from .policy_records_factories import AnnualReviewFactory
from .referral_factories import ReferralFactory
from .touch_factories import TouchFactory

TODAY = datetime.date(2026, 6, 1)
T, S, F = Policy.Type, Policy.Status, Policy.Frequency


def policy(**kwargs):
    """Taken out on 1 March 2026, the first premium paid (to 1 March 2027): nothing overdue."""
    return PolicyFactory(
        **{
            "effective_date": datetime.date(2026, 3, 1),
            "premium_paid_to": datetime.date(2027, 3, 1),
            **kwargs,
        }
    )


@pytest.fixture(autouse=True)
def chinese():
    with translation.override("zh-hans"):
        yield


@pytest.fixture
def family(owner):
    """张伟 (income band 30–100万: ¥500,000), his wife 李娜 who is a client herself (10–30万:
    ¥200,000, linked, not copied), their son 张小宝 (11) and his father 张父 (71).

    张伟's policies: P1 life 200万 (beneficiary 100%); P2 critical illness 50万 sold by others,
    no beneficiary, with a non-renewable medical rider of 2万 expiring 2026-12-31; P3 medical
    200万; P6 life US$10万 (not added to the renminbi sums); P7 accident 30万 in grace; P8 life
    100万 lapsed. 李娜's P4: accident 100万 at ¥100 a month. 张小宝's P5: 少儿教育金年金 15万
    (an education fund), beneficiary shares adding up to 60%. 张父: nothing."""
    zw = ClientFactory(
        owner=owner, name="张伟", birth_date=datetime.date(1985, 6, 15), income_band="300k-1m"
    )
    ln = ClientFactory(
        owner=owner, name="李娜", birth_date=datetime.date(1987, 1, 1), income_band="100k-300k"
    )
    FamilyMemberFactory(client=zw, relation="spouse", name="李娜", as_client=ln)
    child = FamilyMemberFactory(
        client=zw, relation="child", name="张小宝", birth_date=datetime.date(2015, 3, 1)
    )
    father = FamilyMemberFactory(
        client=zw, relation="parent", name="张父", birth_date=datetime.date(1955, 5, 5)
    )
    p1 = policy(holder=zw, number="P1-000000001", sum_assured=2_000_000, premium=10_000)
    BeneficiaryFactory(policy=p1, name="李娜", share=100)
    p2 = policy(
        holder=zw,
        number="P2-000000002",
        policy_type=T.CRITICAL_ILLNESS,
        product_name="安心重疾",
        sum_assured=500_000,
        premium=8_000,
        sold_by_others=True,
        sold_through="某某保险 王经理",
    )
    RiderFactory(
        policy=p2,
        name="附加住院医疗",
        policy_type=T.MEDICAL,
        sum_assured=20_000,
        premium=600,
        start_date=datetime.date(2024, 3, 15),
        expiry_date=datetime.date(2026, 12, 31),
        yearly_renewable=False,
    )
    policy(
        holder=zw,
        number="P3-000000003",
        policy_type=T.MEDICAL,
        product_name="百万医疗",
        sum_assured=2_000_000,
        premium=500,
        coverage_kind=Policy.Coverage.YEARS,
        coverage_value=1,
    )
    policy(
        holder=ln,
        number="P4-000000004",
        policy_type=T.ACCIDENT,
        product_name="综合意外",
        sum_assured=1_000_000,
        premium=100,
        payment_frequency=F.MONTHLY,
    )
    p5 = policy(
        holder=zw,
        insured_client=None,
        insured_member=child,
        number="P5-000000005",
        policy_type=T.ANNUITY,
        product_name="少儿教育金年金",
        sum_assured=150_000,
        premium=10_000,
    )
    BeneficiaryFactory(policy=p5, name="张伟", share=60)
    p6 = policy(
        holder=zw, number="P6-000000006", currency="USD", sum_assured=100_000, premium=1_000
    )
    BeneficiaryFactory(policy=p6, name="李娜", share=100)
    policy(
        holder=zw,
        number="P7-000000007",
        policy_type=T.ACCIDENT,
        product_name="意外险",
        sum_assured=300_000,
        premium=200,
        status=S.GRACE,
    )
    policy(holder=zw, number="P8-000000008", sum_assured=1_000_000, status=S.LAPSED)
    # Another agent's client of the same name: never in the household.
    policy(holder=ClientFactory(name="张伟"), number="X-1")
    return {"zw": zw, "ln": ln, "child": child, "father": father, "p2": p2}


def data_of(family, needs=None):
    return review_data(
        household=household_of(client=family["zw"], today=TODAY), needs=needs, today=TODAY
    )


def person(data, key):
    return next(p for p in data["people"] if p["key"] == key)


@pytest.mark.django_db
def test_household_is_the_client_the_family_and_the_linked_client(family):
    household = household_of(client=family["zw"], today=TODAY)
    keys = [p.key for p in household.people]
    assert keys[0] == f"c{family['zw'].pk}"
    assert set(keys) == {
        f"c{family['zw'].pk}",
        f"c{family['ln'].pk}",  # the spouse is her own client record, not a copy
        f"m{family['child'].pk}",
        f"m{family['father'].pk}",
    }
    assert household.income == 700_000


@pytest.mark.django_db
def test_review_figures_match_the_hand_computed_fixture(family):
    data = data_of(family)
    zw = person(data, f"c{family['zw'].pk}")
    cover = {k: (v["sum"], v["need"], v["state"], v["count"]) for k, v in zw["cover"].items()}
    assert cover == {
        # P1 only: P6 is in dollars (counted, not added), P8 lapsed.
        "life": ("2000000.00", 5_000_000, "below", 2),
        # P2, sold by others, is the family's cover all the same.
        "critical_illness": ("500000.00", 2_500_000, "below", 1),
        # P3 and P2's medical rider.
        "medical": ("2020000.00", 1_000_000, "ok", 2),
        "accident": ("300000.00", 2_500_000, "below", 1),
        "annuity": ("0.00", 0, "na", 0),
        "education": ("0.00", 0, "na", 0),
    }
    # Yearly premiums still paid, in renminbi: P1 10,000 + P2 8,000 + P3 500 + P7 200 + the
    # rider 600.
    assert zw["premium"] == "19300.00"
    assert zw["foreign"] == 1
    ln = person(data, f"c{family['ln'].pk}")
    assert ln["cover"]["accident"] == {
        "sum": "1000000.00",
        "count": 1,
        "need": 1_000_000,
        "state": "ok",
    }
    assert ln["cover"]["life"]["need"] == 2_000_000 and ln["cover"]["life"]["state"] == "none"
    assert ln["premium"] == "1200.00"  # ¥100 a month
    child = person(data, f"m{family['child'].pk}")
    assert child["group"] == "child"
    assert child["cover"]["education"] == {
        "sum": "150000.00",
        "count": 1,
        "need": 200_000,
        "state": "below",
    }
    assert child["cover"]["annuity"]["count"] == 0  # an 教育金 annuity is education cover
    assert child["cover"]["life"]["need"] == 0
    assert child["cover"]["critical_illness"]["need"] == 300_000
    father = person(data, f"m{family['father'].pk}")
    assert father["group"] == "elder"
    assert father["cover"]["critical_illness"]["need"] == 0
    assert data["totals"]["premium"] == "30500.00"
    assert data["totals"]["income"] == 700_000
    assert data["totals"]["premium_share"] == "4.4"  # 30,500 / 700,000
    assert data["totals"]["sums"]["life"] == "2000000.00"


@pytest.mark.django_db
def test_issue_list(family):
    data = data_of(family)
    codes = {}
    for issue in data["issues"]:
        codes[issue["code"]] = codes.get(issue["code"], 0) + 1
    assert codes == {
        # 李娜 life, CI, medical; 张小宝 CI, medical, accident; 张父 medical, accident
        "no_cover": 8,
        "below_need": 4,  # 张伟 life, CI, accident; 张小宝 education
        "duplicate": 1,  # 张伟's two medical covers
        "uncovered": 1,  # 张父, an elder with nothing
        "lapse": 2,  # P7 in grace, P8 lapsed
        "rider_expiry": 1,  # P2's rider, 2026-12-31
        "beneficiary": 2,  # P2 none named, P5 60%
    }
    texts = "\n".join(i["text"] for i in data["issues"])
    assert "张父（长辈）还没有任何保障。" in texts
    assert "60%" in texts
    assert "000000002" not in texts  # policy numbers masked
    # The premium burden shows once the limit is below the household's 4.4%.
    burdened = data_of(family, Needs(premium_share=4))
    assert [i for i in burdened["issues"] if i["code"] == "premium_burden"]


@pytest.mark.django_db
def test_review_queries_do_not_grow_with_the_policies(family):
    def count():
        with CaptureQueriesContext(connection) as ctx:
            data_of(family)
        return len(ctx.captured_queries)

    before = count()
    for n in range(6):
        PolicyFactory(holder=family["zw"], number=f"EXTRA-{n}", policy_type=T.ACCIDENT)
        RiderFactory(policy=family["p2"], name=f"附加意外{n}", policy_type=T.ACCIDENT)
    assert count() == before


@pytest.mark.django_db
def test_policies_sold_by_others_keep_their_dates(family):
    p2 = family["p2"]
    p2.refresh_from_db()
    assert p2.premium_next_due is not None  # premium due touches read this
    data = data_of(family)
    row = next(p for p in data["policies"] if p["id"] == p2.pk)
    assert row["sold_by_others"] and row["sold_through"] == "某某保险 王经理"
    assert row["next_rider_expiry"] == "2026-12-31"
    assert row["number"] != p2.number and row["number"].endswith("0002")


@pytest.mark.django_db
def test_sold_by_others_is_never_premium_won_nor_a_win(owner):
    referrer = ClientFactory(owner=owner)
    referral = ReferralFactory(referrer=referrer, owner=owner)
    mine = PolicyFactory(holder=referral.referred, premium=1_000)
    theirs = PolicyFactory(holder=referral.referred, premium=50_000, sold_by_others=True)
    chain = analytics.client_chain(user=owner, client=referrer)
    node = next(n for n in chain.nodes if n.client_id == referral.referred_id)
    assert node.premium == Decimal("1000.00") and node.policies == 1
    rows = analytics.influence_centres(user=owner)
    assert next(r for r in rows if r.client_id == referrer.pk).premium == Decimal("1000.00")
    assert list(referred_policies(user=owner, referral=referral)) == [mine]
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        referral_stage_change(referral=referral, to_stage=Stage.WON, by=owner, policy=theirs)


@pytest.mark.django_db
def test_sold_by_others_alone_does_not_convert_a_client(owner):
    prospect = ClientFactory(owner=owner, source=Client.Source.REFERRAL)
    PolicyFactory(holder=prospect, sold_by_others=True)
    figures = analytics.source_analytics(user=owner, start=None, end=TODAY)
    assert figures.row(Client.Source.REFERRAL).converted == 0


@pytest.mark.django_db
def test_pdf_has_the_name_and_the_issue_list(family):
    data = data_of(family)
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(review_pdf(data))).pages)
    text = text.replace("\n", "")
    assert "张伟" in text and "家庭保单检视" in text and "问题清单" in text
    for issue in data["issues"][:5]:
        assert issue["text"].replace(" ", "")[:12] in text.replace(" ", "")
    assert "P1-000000001" not in text and "0001" in text


@pytest.mark.django_db
def test_long_image_is_phone_width_with_real_text(family):
    data = data_of(family)
    image = Image.open(io.BytesIO(review_png(data)))
    assert 750 <= image.width <= 1080 and image.height > 1500
    # Drawn, not blank: many dark pixels in the header's white text and the body.
    grey = image.convert("L")
    dark = sum(grey.histogram()[:100])
    assert dark > 5_000
    # Every character of what the image says is in the font (no tofu).
    used = "".join(
        [
            "家庭保单检视保障一览问题清单保单明细年缴保费您的保险顾问制作日期",
            *(p["name"] + p["relation_label"] for p in data["people"]),
            *(i["text"] for i in data["issues"]),
            *(p["product"] + p["insurer"] + p["status_label"] for p in data["policies"]),
        ]
    )
    assert missing_glyphs(used) == set()


@pytest.mark.django_db
def test_pages_pdf_and_image_over_http(family, owner, client):
    force_login_verified(client, owner)
    pk = family["zw"].pk
    page = client.get(reverse("handouts:household", args=[pk]))
    assert page.status_code == 200
    body = page.content.decode()
    assert "李娜" in body and "张父" in body and "他人所售" in body
    pdf = client.get(reverse("handouts:review_pdf", args=[pk]))
    assert pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
    png = client.get(reverse("handouts:review_png", args=[pk]) + "?life_years=3")
    assert png["Content-Type"] == "image/png"
    bad = client.get(reverse("handouts:household", args=[pk]) + "?life_years=-1")
    assert bad.status_code == 200 and "不能小于" in bad.content.decode()


@pytest.mark.django_db
def test_annual_review_keeps_a_snapshot_and_shows_what_changed(family, owner, client):
    force_login_verified(client, owner)
    zw = family["zw"]
    last = AnnualReviewFactory(household=zw, anniversary=datetime.date(2025, 3, 15))
    ReviewSnapshot.objects.create(review=last, data={"people": [], "issues": [{"text": "旧问题"}]})
    this = AnnualReviewFactory(household=zw, anniversary=datetime.date(2026, 3, 15))
    url = reverse("handouts:review_snapshot_save", args=[this.pk])
    assert client.post(url).status_code == 302
    snapshot = ReviewSnapshot.objects.get(review=this)
    assert snapshot.data["client"]["name"] == "张伟"
    page = client.get(reverse("handouts:review_snapshot", args=[this.pk])).content.decode()
    assert "旧问题" in page  # resolved since
    diff = changes({"people": [], "issues": []}, snapshot.data)
    assert "张伟" in diff["joined"]


@pytest.mark.django_db
def test_greeting_card(owner, client):
    force_login_verified(client, owner)
    customer = ClientFactory(owner=owner, name="王芳", salutation="王姐")
    touch = TouchFactory(client=customer, kind="birthday")
    response = client.get(reverse("touch_cards:image", args=[touch.pk]))
    assert response["Content-Type"] == "image/png"
    image = Image.open(io.BytesIO(response.content))
    assert image.size == (750, 1000)
    page = client.get(reverse("touch_cards:page", args=[touch.pk])).content.decode()
    assert "王姐" in page and "card-share.js" in page
    # A premium due has no card.
    due = TouchFactory(client=customer, kind="premium_due")
    assert client.get(reverse("touch_cards:image", args=[due.pk])).status_code == 404
    assert "birthday" in CARD_KINDS


def test_every_card_design_draws_and_its_words_are_in_the_font():
    for kind in CARD_KINDS:
        design = design_for(kind, "mid_autumn" if kind == "festival" else "", "中秋节")
        png = card_png(design=design, address_as="", greeting="王姐，生日快乐！", agent_name="李明")
        assert Image.open(io.BytesIO(png)).size == (750, 1000)
        assert missing_glyphs(design.title + "王姐，生日快乐！—— 李明 敬上") == set()


@pytest.mark.django_db
def test_household_page_queries_do_not_grow(family, owner, client):
    force_login_verified(client, owner)
    url = reverse("handouts:household", args=[family["zw"].pk])

    def count():
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url).status_code == 200
        return len(ctx.captured_queries)

    before = count()
    for n in range(5):
        member = FamilyMemberFactory(client=family["zw"], name=f"家人{n}")
        policy(holder=family["zw"], insured_client=None, insured_member=member, number=f"M-{n}")
    assert count() == before


def pdf_text(data) -> str:
    pages = PdfReader(io.BytesIO(review_pdf(data))).pages
    return "".join(page.extract_text() for page in pages).replace("\n", "")


@pytest.mark.django_db
def test_pdf_masks_the_id_number_and_says_when_it_was_prepared(family):
    zw = family["zw"]
    zw.id_number = "110101198506151234"
    zw.save()
    text = pdf_text(data_of(family)).replace(" ", "")
    assert "110101198506151234" not in text and "证件号" in text and "1234" in text
    assert "制作日期：2026年6月1日" in text
    for n in range(1, 9):
        assert f"P{n}-00000000{n}" not in text  # every policy number masked


@pytest.mark.django_db
def test_pdf_and_image_follow_the_active_language(family):
    chinese = data_of(family)
    with translation.override("en"):
        english = data_of(family)
        text = pdf_text(english)
        assert "Household policy review" in text and "Issue list (" in text
        assert "Prepared on June 1, 2026" in text
        assert "Sold by others (custody)" in text
        assert "has no Critical illness cover" in " ".join(i["text"] for i in english["issues"])
        assert "家庭保单检视" not in text and "问题清单" not in text and "制作日期" not in text
        png_en = review_png(english)
    text = pdf_text(chinese)
    assert "家庭保单检视" in text and "二、问题清单" in text and "三、保单明细" in text
    assert "他人所售" in text and "Household policy review" not in text
    assert review_png(chinese) != png_en
    # No language chosen: the settings' zh-hans.
    translation.deactivate()
    assert str(design_for("birthday").title) == "生日快乐"


def test_card_words_are_translated_and_drawn_in_both_languages():
    with translation.override("zh-hans"):
        zh = design_for("festival", "mid_autumn", "中秋节")
        assert zh.title == "中秋节快乐"
        assert str(design_for("birthday").title) == "生日快乐"
        assert str(design_for("event_invite").title) == "诚挚邀请"
        png_zh = card_png(
            design=design_for("birthday"),
            address_as="王姐",
            greeting="生日快乐！",
            agent_name="李明",
        )
    with translation.override("en"):
        assert str(design_for("birthday").title) == "Happy birthday"
        assert str(design_for("event_invite").title) == "You are warmly invited"
        png_en = card_png(
            design=design_for("birthday"),
            address_as="王姐",
            greeting="生日快乐！",
            agent_name="李明",
        )
        assert missing_glyphs(str(design_for("wedding_anniversary").title)) == set()
    assert png_zh != png_en  # the title and the signature are drawn in the language


def test_wrap_keeps_words_and_closing_punctuation():
    from handouts.render.fonts import pil_font
    from handouts.render.image import wrap

    font = pil_font(34)
    lines = wrap(
        "王姐，为感谢您一直以来的支持，我举办了一场小型客户联谊会“秋季茶话会”，诚邀您参加。",
        font,
        590,
    )
    assert not any(line[0] in "，。”" for line in lines)
    sentence = "Mrs Wang, to thank you for your support I am holding a get-together"
    english = wrap(sentence, font, 590)
    words = set(sentence.split(" "))
    assert len(english) > 1 and all(w in words for line in english for w in line.split(" "))


@pytest.mark.django_db
def test_a_child_without_cover_is_an_issue(family):
    baby = FamilyMemberFactory(
        client=family["zw"], relation="child", name="张小贝", birth_date=datetime.date(2024, 2, 2)
    )
    uncovered = [i for i in data_of(family)["issues"] if i["code"] == "uncovered"]
    assert {i["person"] for i in uncovered} == {f"m{baby.pk}", f"m{family['father'].pk}"}
    assert "张小贝（孩子）还没有任何保障。" in [i["text"] for i in uncovered]
