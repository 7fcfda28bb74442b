"""The suggested introductions on both databases: the portable statement (what the embedded
SQLite stack of `make run` runs) answers exactly what PostgreSQL's own statement answers,
on the suite's PostgreSQL, for every way of matching and every exclusion; and it stays a
fixed number of queries, whatever the size of the book."""

import datetime

import pytest
from django.db import connection

from clients.models import Segment, Tag
from introductions import selectors
from introductions.models import Introduction, Need, Offer
from introductions.selectors import offer_keywords, portable_suggestion_rows

from .factories import ClientFactory

pytestmark = pytest.mark.django_db
AGREED = datetime.date(2026, 11, 1)


def _both(user, limit=50):
    portable = portable_suggestion_rows(user=user, limit=limit)
    if connection.vendor == "postgresql":
        assert portable == selectors._postgresql_rows(user=user, limit=limit)
    return portable


def _book(owner):
    shop = ClientFactory(owner=owner, name="洗车店老板")
    wash = Offer.objects.create(
        client=shop,
        title="洗车店",
        serves="owns_car",
        keywords=" 洗车，汽车/SUV;100%_纯 ",
        segment="manager",
        consent_on=AGREED,
    )
    plain = Offer.objects.create(  # no keywords at all: matched by need kind and segment
        client=ClientFactory(owner=owner, name="装修公司"),
        title="装修",
        serves="home",
        consent_on=AGREED,
    )
    people = {}

    def person(name, *, need=None, description="", consent=True, **fields):
        client = ClientFactory(owner=owner, name=name, **fields)
        if need:
            Need.objects.create(
                client=client,
                kind=need,
                description=description,
                consent_on=AGREED if consent else None,
            )
        people[name] = client
        return client

    person("有车", need="owns_car")
    person("描述", need="health", description="想找个靠谱的洗车地方")
    person("百分号", need="health", description="要100%_纯的")
    person("像百分号", need="health", description="要100x纯的")  # LIKE's % and _ are escaped
    tagged = person("标签", need="looking_for")
    tagged.tags.add(Tag.objects.create(owner=owner, name="SUV"))
    half = person("半个标签", need="looking_for")  # a tag must equal a keyword
    half.tags.add(Tag.objects.create(owner=owner, name="汽车美容"))
    person("兴趣", need="health", interests="自驾游、洗车")
    boss = person("经理", need="health")
    boss.segments.add(Segment.objects.get(code="manager"))
    person("装修", need="home")
    person("未同意", need="owns_car", consent=False)
    person("勿扰", need="owns_car", do_not_contact=True)
    introduced = person("已介绍", need="owns_car")
    Introduction.objects.create(
        owner=owner, client_a=shop, client_b=introduced, offer=wash, introduced_on=AGREED
    )
    other = ClientFactory(owner=ClientFactory().owner, name="别人的")
    Need.objects.create(client=other, kind="owns_car", consent_on=AGREED)
    return wash, plain, people


def test_keywords_split_as_postgresql_splits_them():
    assert offer_keywords(" 洗车，汽车/SUV;100%_纯 、 洗车 ") == ["洗车", "汽车", "suv", "100%_纯"]
    assert offer_keywords("") == []


def test_the_portable_statement_answers_what_postgresql_answers(owner):
    wash, plain, people = _book(owner)
    rows = _both(owner)
    names = {c.pk: c.name for c in people.values()}
    found = {(o, names.get(c)): flags for o, c, *flags in rows}
    by_wash = {name: flags for (o, name), flags in found.items() if o == wash.pk}
    # need, tag, interest, segment
    assert by_wash == {
        "有车": [True, False, False, False],
        "描述": [True, False, False, False],
        "百分号": [True, False, False, False],
        "标签": [False, True, False, False],
        "兴趣": [False, False, True, False],
        "经理": [False, False, False, True],
    }
    assert {name for (o, name) in found if o == plain.pk} == {"装修"}
    assert rows[0][0] == plain.pk  # the newest offer first, then the best matches


def test_the_limit_and_many_keywords(owner):
    _book(owner)
    assert len(_both(owner, limit=3)) == 3
    assert len(_both(owner)) == 7
    # More keyword rows than SQLite allows terms in a compound SELECT (500).
    grocer = ClientFactory(owner=owner)
    Offer.objects.bulk_create(
        Offer(
            client=grocer,
            title=f"杂货{n}",
            keywords=" ".join(f"词{n}-{i}" for i in range(12)),
            consent_on=AGREED,
        )
        for n in range(50)
    )
    assert len(_both(owner)) == 7


def test_without_any_offer_nothing_is_suggested_and_nothing_fails(owner, outsider):
    ClientFactory(owner=owner)
    assert _both(owner) == []
    _book(owner)
    assert _both(outsider) == []


def test_suggested_matches_takes_the_portable_path_off_postgresql(
    owner, monkeypatch, django_assert_max_num_queries
):
    wash, _plain, _people = _book(owner)
    expected = [(s.offer.pk, s.client.pk) for s in selectors.suggested_matches(user=owner)]
    monkeypatch.setattr(selectors, "is_postgresql", lambda: False)
    with django_assert_max_num_queries(4):
        found = selectors.suggested_matches(user=owner)
    assert [(s.offer.pk, s.client.pk) for s in found] == expected
    assert any(s.offer == wash and s.by_need for s in found)
