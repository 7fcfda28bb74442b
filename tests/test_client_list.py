import datetime

import pytest
import time_machine
from django.urls import reverse

from clients import selectors
from clients.models import Client, Segment, Tag

from .factories import ClientFactory, CommitmentFactory, InteractionFactory

NOW = datetime.datetime(2026, 11, 24, 9, 0, tzinfo=datetime.UTC)


def names(qs) -> list[str]:
    return sorted(c.name for c in qs)


@pytest.mark.django_db
def test_search_by_name_phone_and_tag(owner, teammate):
    fang = ClientFactory(owner=owner, name="王芳", mobile="+8613912345678")
    ClientFactory(owner=owner, name="李强", mobile="+8613700000001")
    golf = Tag.objects.create(owner=owner, name="高尔夫")
    fang.tags.add(golf)
    ClientFactory(owner=teammate, name="王芳芳", mobile="+8613912345679")

    assert names(selectors.client_list(user=owner, filters={"q": "王"})) == ["王芳"]
    assert names(selectors.client_list(user=owner, filters={"q": "139 1234 5678"})) == ["王芳"]
    assert names(selectors.client_list(user=owner, filters={"q": "5678"})) == ["王芳"]
    assert names(selectors.client_list(user=owner, filters={"q": "高尔夫"})) == ["王芳"]
    assert names(selectors.client_list(user=owner, filters={"q": "13912345679"})) == []


@pytest.mark.django_db
def test_filters(owner):
    teacher = Segment.objects.get(code="teacher")
    a = ClientFactory(
        owner=owner,
        name="甲",
        source="event",
        vip_tier="gold",
        stage="prospect",
        birth_date=datetime.date(1980, 3, 9),
    )
    a.segments.add(teacher)
    ClientFactory(owner=owner, name="乙", source="cold_call", birth_date=datetime.date(1980, 7, 1))
    lunar = ClientFactory(
        owner=owner,
        name="丙",
        birth_date=datetime.date(1980, 7, 20),
        birthday_calendar="lunar",
        lunar_birth_year=1980,
        lunar_birth_month=6,
        lunar_birth_day=9,
    )
    assert names(selectors.client_list(user=owner, filters={"segment": "teacher"})) == ["甲"]
    assert names(selectors.client_list(user=owner, filters={"source": "event"})) == ["甲"]
    assert names(selectors.client_list(user=owner, filters={"tier": "gold"})) == ["甲"]
    assert names(selectors.client_list(user=owner, filters={"stage": "prospect"})) == ["甲"]
    assert names(selectors.client_list(user=owner, filters={"birthday_month": 3})) == ["甲"]
    # A lunar-celebrating client counts in their lunar month, not the solar one.
    assert names(selectors.client_list(user=owner, filters={"birthday_month": 7})) == ["乙"]
    assert names(selectors.client_list(user=owner, filters={"birthday_month": 6})) == [lunar.name]


@pytest.mark.django_db
def test_archived_clients_are_listed_separately(owner):
    ClientFactory(owner=owner, name="在册")
    gone = ClientFactory(owner=owner, name="归档")
    gone.archived_at = NOW
    gone.save()
    assert names(selectors.client_list(user=owner)) == ["在册"]
    assert names(selectors.client_list(user=owner, filters={"archived": True})) == ["归档"]


@time_machine.travel(NOW)
@pytest.mark.django_db
def test_annotations_and_sort(owner):
    old = ClientFactory(owner=owner, name="甲")
    recent = ClientFactory(owner=owner, name="乙")
    InteractionFactory(client=old, date=datetime.date(2025, 1, 1))
    InteractionFactory(client=recent, date=datetime.date(2026, 11, 1))
    CommitmentFactory(client=recent, due_date=datetime.date(2026, 11, 1))
    rows = list(selectors.client_list(user=owner, filters={"sort": "last_contact"}))
    assert [c.name for c in rows] == ["甲", "乙"]
    assert rows[1].last_contact == datetime.date(2026, 11, 1)
    assert rows[1].has_overdue and not rows[0].has_overdue


@time_machine.travel(NOW)
@pytest.mark.django_db
def test_list_page_query_count_does_not_grow(as_user, owner, django_assert_max_num_queries):
    http = as_user(owner)
    teacher = Segment.objects.get(code="teacher")
    tag = Tag.objects.create(owner=owner, name="车主")

    def add(n):
        for _ in range(n):
            c = ClientFactory(owner=owner)
            c.segments.add(teacher)
            c.tags.add(tag)
            InteractionFactory(client=c)

    add(3)
    with django_assert_max_num_queries(9) as small:
        assert http.get(reverse("clients:list")).status_code == 200
    add(22)
    with django_assert_max_num_queries(9) as large:
        response = http.get(reverse("clients:list"))
    assert response.status_code == 200
    assert len(large.captured_queries) == len(small.captured_queries)
    assert response.context["page"].paginator.count == 25


@pytest.mark.django_db
def test_pagination_and_htmx_partial(as_user, owner):
    for i in range(30):
        ClientFactory(owner=owner, name=f"客户{i:02d}")
    http = as_user(owner)
    first = http.get(reverse("clients:list"))
    assert len(first.context["page"].object_list) == 25
    second = http.get(reverse("clients:list"), {"page": 2})
    assert len(second.context["page"].object_list) == 5
    partial = http.get(reverse("clients:list"), {"q": "客户0"}, HTTP_HX_REQUEST="true")
    assert partial.status_code == 200
    assert "<html" not in partial.content.decode()
    assert partial.context["page"].paginator.count == 10


@pytest.mark.django_db
def test_bad_filter_values_fall_back_to_everything(as_user, owner):
    ClientFactory(owner=owner, name="甲")
    response = as_user(owner).get(reverse("clients:list"), {"birthday_month": "13", "sort": "x"})
    assert response.status_code == 200
    assert Client.objects.count() == response.context["page"].paginator.count


def test_the_phone_texts_are_what_the_phone_number_field_gives():
    from phonenumber_field.phonenumber import to_python

    from agentcrm.core.phones import phone_texts

    for stored in ("+8613912345678", "+861012345678", "+85291234567", "12345", ""):
        number = to_python(stored, region="CN")
        expected = (number.as_national, str(number), number.as_e164) if stored else ("", "", "")
        assert tuple(phone_texts(stored)) == expected


@pytest.mark.django_db
def test_a_row_links_the_client_and_shows_the_mobile_and_labels(as_user, owner):
    person = ClientFactory(owner=owner, name="王芳", mobile="+8613912345678", vip_tier="gold")
    page = as_user(owner).get("/clients/").content.decode()
    assert f'href="/clients/{person.pk}/"' in page
    assert 'href="tel:+8613912345678">139 1234 5678</a>' in page
    assert '<span class="badge tier-gold">金卡</span>' in page


@pytest.mark.django_db
def test_segments_show_their_labels_in_the_language_of_the_page(as_user, owner):
    """A segment prints its label (a dict lookup, not get_code_display per row): the same
    text in Chinese and in English, and an unknown code as it is stored."""
    from django.utils import translation

    client = ClientFactory(owner=owner, name="甲")
    client.segments.add(Segment.objects.get(code="teacher"))
    with translation.override("en"):
        assert str(Segment(code="teacher")) == "Teacher"
    with translation.override("zh-hans"):
        assert str(Segment(code="teacher")) == str(Segment(code="teacher").get_code_display())
        assert str(Segment(code="teacher")) != "Teacher"
    assert str(Segment(code="no_such_code")) == "no_such_code"
    page = as_user(owner).get(reverse("clients:list")).content.decode()
    with translation.override("zh-hans"):
        assert f'border">{Segment(code="teacher").get_code_display()}</span>' in page


@pytest.mark.django_db
def test_row_lists_are_each_clients_segments_and_tags_in_their_models_order(owner):
    """The row's segments and tags (one query of plain SQL) are what the related managers
    give, in Segment's and Tag's own order, each client only its own."""
    first = ClientFactory(owner=owner)
    second = ClientFactory(owner=owner)
    bare = ClientFactory(owner=owner)
    segments = list(Segment.objects.order_by("-id")[:3])
    first.segments.add(*segments)
    second.segments.add(segments[1])
    tags = [Tag.objects.create(owner=owner, name=n) for n in ("车主", "高尔夫", "Golf", "老乡")]
    first.tags.add(*tags)
    second.tags.add(tags[2])
    lists = selectors.client_row_lists(client_ids=[first.pk, second.pk, bare.pk])
    for client in (first, second, bare):
        expected = (
            [str(s) for s in client.segments.all()],
            [t.name for t in client.tags.all()],
        )
        assert lists[client.pk] == expected
    assert len(lists[first.pk][0]) == 3 and len(lists[first.pk][1]) == 4
    assert lists[bare.pk] == ([], [])
