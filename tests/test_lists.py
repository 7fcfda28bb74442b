"""agentcrm.core.lists: list_page (the page or, for htmx, its rows partial; Vary; the pager's
numbers; the query string without `page`), the pager it feeds, and ListFilterSet (garbage in
the query string ignored as a whole)."""

import pytest
from django.test import RequestFactory, override_settings
from django.urls import reverse
from django_htmx.middleware import HtmxDetails

from agentcrm.core.lists import list_page, page_context
from clients import selectors as client_selectors

from .factories import ClientFactory

PAGE = (
    '{% load partials %}<html><h1>Full page {{ title }}</h1><div id="rows">'
    "{% partialdef rows inline %}"
    "<ul>{% for n in page.object_list %}<li>{{ n }}</li>{% endfor %}</ul>\n"
    'query=[{{ query }}] range=[{{ page_range|join:"," }}] counts=[{{ counts }}]'
    "{% endpartialdef %}</div></html>"
)

LOCMEM_TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "OPTIONS": {
            "loaders": [
                (
                    "template_partials.loader.Loader",
                    [("django.template.loaders.locmem.Loader", {"list.html": PAGE})],
                )
            ]
        },
    }
]


def get(path: str, *, htmx: bool = False):
    request = RequestFactory().get(path, **({"HTTP_HX_REQUEST": "true"} if htmx else {}))
    request.htmx = HtmxDetails(request)
    return request


@pytest.fixture
def templates():
    with override_settings(TEMPLATES=LOCMEM_TEMPLATES):
        yield


def test_the_full_page_for_a_plain_request(templates):
    response = list_page(get("/things/"), list(range(1, 61)), "list.html", page_size=25)
    body = response.content.decode()
    assert response.status_code == 200
    assert "<html>" in body and "Full page" in body
    assert "<li>1</li>" in body and "<li>25</li>" in body and "<li>26</li>" not in body
    assert "HX-Request" in response["Vary"]


def test_htmx_gets_only_the_rows_partial(templates):
    response = list_page(get("/things/?page=2", htmx=True), list(range(1, 61)), "list.html")
    body = response.content.decode()
    assert "<html>" not in body and "Full page" not in body and 'id="rows"' not in body
    assert body.startswith("<ul><li>26</li>") and "<li>50</li>" in body
    assert "HX-Request" in response["Vary"]


@override_settings(LIST_PAGE_SIZE=3)
def test_page_size_defaults_to_the_setting(templates):
    body = list_page(get("/things/"), list(range(1, 10)), "list.html").content.decode()
    assert "<li>3</li>" in body and "<li>4</li>" not in body


def test_page_is_stripped_from_the_query_string(templates):
    body = list_page(
        get("/things/?q=%E7%8E%8B&page=2&stage=client", htmx=True), list(range(60)), "list.html"
    ).content.decode()
    assert "query=[q=%E7%8E%8B&amp;stage=client]" in body


@pytest.mark.parametrize(
    ("number", "shown"),
    [
        (1, "1,2,3,…,20"),
        (5, "1,2,3,4,5,6,7,…,20"),
        (10, "1,…,8,9,10,11,12,…,20"),
        (20, "1,…,18,19,20"),
        ("999", "1,…,18,19,20"),  # past the end: the last page
        ("abc", "1,2,3,…,20"),  # garbage: the first page
    ],
)
def test_the_pager_gets_the_elided_page_range(templates, number, shown):
    request = get(f"/things/?page={number}", htmx=True)
    body = list_page(request, list(range(100)), "list.html", page_size=5).content.decode()
    assert f"range=[{shown}]" in body


def test_few_pages_are_all_shown():
    context = page_context(get("/things/?page=2"), list(range(30)), page_size=5)
    assert context["page_range"] == [1, 2, 3, 4, 5, 6]
    assert context["page"].number == 2 and context["query"] == ""


def test_callable_context_is_for_the_full_page_only(templates):
    calls = []

    def counts():
        calls.append(1)
        return "7 open"

    context = {"title": "Things", "counts": counts}
    rows = list_page(get("/things/", htmx=True), [1], "list.html", context=context)
    assert "counts=[]" in rows.content.decode() and calls == []
    page = list_page(get("/things/"), [1], "list.html", context=context)
    assert (
        "counts=[7 open]" in page.content.decode() and "Full page Things" in page.content.decode()
    )
    assert calls == [1]


def test_decorate_gets_the_page_rows_only(templates):
    seen = []

    def decorate(rows):
        seen.append(list(rows))
        return [n * 100 for n in rows]

    response = list_page(
        get("/things/?page=2"), list(range(1, 8)), "list.html", page_size=3, decorate=decorate
    )
    assert seen == [[4, 5, 6]]
    assert "<li>400</li><li>500</li><li>600</li>" in response.content.decode()


# --- The pager and the frame on a real list -----------------------------------------------


@pytest.mark.django_db
@override_settings(LIST_PAGE_SIZE=2)
def test_pager_links_keep_the_filters_and_hide_the_middle_on_phones(as_user, owner):
    for i in range(20):
        ClientFactory(owner=owner, name=f"客户{i:02d}")
    http = as_user(owner)
    response = http.get(reverse("clients:list"), {"q": "客户", "page": 10}, HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert response.context["page_range"] == [1, "…", 8, 9, 10]
    query = "?q=%E5%AE%A2%E6%88%B7&"
    current = '<li class="page-item active" aria-current="page"><span class="page-link">10</span>'
    assert current in body
    # The other numbers and the gaps only from the small breakpoint up.
    link = f'<li class="page-item d-none d-sm-block"><a class="page-link" href="{query}page=8">'
    assert link in body
    gap = '<li class="page-item disabled d-none d-sm-block"><span class="page-link">…</span></li>'
    assert gap in body
    assert 'hx-boost="true" hx-target="#client-rows"' in body
    assert f'href="{query}page=9">上一页</a>' in body  # Previous
    assert '<span class="page-link">下一页</span>' in body  # Next, disabled on the last page
    assert "第 10 页，共 10 页" in body and "20 位客户" in body


@pytest.mark.django_db
def test_an_empty_list_shows_its_own_empty_state_in_the_frame(as_user, owner):
    http = as_user(owner)
    empty = http.get(reverse("clients:list"), HTTP_HX_REQUEST="true").content.decode()
    assert "card card-body text-center" in empty and reverse("clients:create") in empty
    filtered = http.get(reverse("clients:list"), {"q": "无此人"}, HTTP_HX_REQUEST="true")
    assert reverse("clients:list") in filtered.content.decode()  # "clear the filters"


# --- ListFilterSet --------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_filter_form_that_does_not_validate_is_ignored_as_a_whole(owner):
    ClientFactory(owner=owner, name="王芳", stage="client")
    ClientFactory(owner=owner, name="李强", stage="prospect")

    def names(filters):
        return sorted(c.name for c in client_selectors.client_list(user=owner, filters=filters))

    assert names({"q": "王"}) == ["王芳"]
    assert names({"q": "王", "stage": "bogus"}) == ["李强", "王芳"]
    assert names({"sort": "bogus", "birthday_month": "13"}) == ["李强", "王芳"]
    filters = client_selectors.ClientFilter({"q": "王", "stage": "bogus"})
    assert filters.form.errors and filters.values["sort"] == "name"


@pytest.mark.django_db
def test_no_parameters_still_apply_the_defaults(owner):
    ClientFactory(owner=owner, name="在册")
    ClientFactory(owner=owner, name="归档", archived_at="2026-01-01T00:00:00Z")
    assert [c.name for c in client_selectors.client_list(user=owner, filters={})] == ["在册"]
    assert not client_selectors.ClientFilter({}).is_bound


@pytest.mark.django_db
def test_a_filter_set_built_for_its_form_alone_lists_nothing(owner):
    ClientFactory(owner=owner)
    assert not client_selectors.ClientFilter({"q": ""}).qs.exists()
