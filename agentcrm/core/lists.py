"""One way to build a list page: filters, a page of rows, and htmx.

A list's selector filters with a `ListFilterSet` (below) on top of its `*_for_user`
queryset; the view hands the queryset to `list_page`, which picks the page asked for and
renders the page template or, for htmx (the filter form and the pager), only the template's
`rows` partial. The rows partial includes templates/includes/rows_frame.html, which lays out
the count line, the card, the pager and the empty state around the page's own `count`,
`table` and `empty` partials.
"""

from collections.abc import Callable, Mapping
from typing import Any

import django_filters
from django import forms
from django.conf import settings
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.utils.functional import cached_property

# The pager shows the first and last page and two pages either side of the current one.
PAGER_ON_EACH_SIDE = 2
PAGER_ON_ENDS = 1


class ListFilterSet(django_filters.FilterSet):
    """The filters of a list page; its form is the page's filter form.

    Garbage in the query string is never an error page: a form that does not validate is
    ignored as a whole (the page says that some filters were not understood), and the list
    is filtered as if nothing had been asked, which for a field with an `empty_value` (a
    default sort, the open requests) means that value. Built without a queryset (for its
    form alone) it filters nothing: `qs` is empty, never every row of the model.
    """

    def __init__(self, data=None, queryset=None, **kwargs):
        if queryset is None:
            queryset = self._meta.model._default_manager.none()
        # No parameter at all is an unbound form, as the filter forms were (request.GET or None).
        super().__init__(data or None, queryset, **kwargs)

    @cached_property
    def values(self) -> dict[str, Any]:
        """What the list is filtered by: the cleaned input when the form is valid, else
        every field's cleaned empty input (its `empty_value`, False, "" or None)."""
        if self.is_valid():
            return self.form.cleaned_data
        empty = self.get_form_class()({}, prefix=self.form_prefix)
        empty.is_valid()
        return empty.cleaned_data

    def filter_queryset(self, queryset):
        for name, value in self.values.items():
            queryset = self.filters[name].filter(queryset, value)
        return queryset

    @property
    def qs(self):
        # Unlike FilterSet.qs, an unbound filter set still applies the defaults.
        if not hasattr(self, "_qs"):
            self._qs = self.filter_queryset(self.queryset.all())
        return self._qs


class CheckboxFilter(django_filters.Filter):
    """A checkbox: forms.BooleanField ("on" is True, absent is False), where
    django-filter's BooleanFilter is a yes/no/unknown select. Give it a `method`, which is
    called with False too (a method filter skips only "", None and empty collections)."""

    field_class = forms.BooleanField


class OptionFilter(django_filters.TypedChoiceFilter):
    """A choice the selector applies itself, such as a sort order that uses annotations the
    selector adds after filtering: the filter set only validates it; read it from
    `filterset.values`.

    Choices here and elsewhere use TypedChoiceFilter (Django's TypedChoiceField): the
    choices given, blank option included, and nothing added, where django-filter's
    ChoiceFilter adds its own "---------"; `empty_value` is what no choice means."""

    def filter(self, qs, value):
        return qs


# A pk no row has, reversed once in place of the row's (see pk_url).
_PK_MARK = 9_876_543_210


def pk_url(name: str) -> Callable[[int], str]:
    """`reverse(name, args=[pk])` as a function of pk, reversed once: for list rows and the
    referral chain, where a `{% url %}` or reverse() per row and per link is a good part of
    a page's time."""
    head, tail = reverse(name, args=[_PK_MARK]).split(str(_PK_MARK))
    return lambda pk: f"{head}{int(pk)}{tail}"


def page_context(
    request: HttpRequest, rows, *, page_size: int | None = None, count: int | None = None
) -> dict:
    """The page of `rows` that `?page=` asks for (the last one when past the end, the first
    for garbage), the numbers its pager shows, and the query string without `page`, which
    the pager's links and the empty state's "clear the filters" use. `count`, when the
    caller already knows how many rows there are, spares the paginator its COUNT(*)."""
    paginator = Paginator(rows, page_size or settings.LIST_PAGE_SIZE)
    if count is not None:
        # Paginator.count is a cached_property: the instance attribute stands in for it.
        paginator.count = count
    page = paginator.get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return {
        "page": page,
        "page_range": list(
            paginator.get_elided_page_range(
                page.number, on_each_side=PAGER_ON_EACH_SIDE, on_ends=PAGER_ON_ENDS
            )
        ),
        "query": query.urlencode(),
    }


def list_page(
    request: HttpRequest,
    queryset,
    template_name: str,
    *,
    context: Mapping[str, Any] | None = None,
    page_size: int | None = None,
    partial: str = "rows",
    decorate: Callable[[list], list] | None = None,
    count: Callable[[], int] | None = None,
) -> HttpResponse:
    """Render a page of `queryset` with `template_name`; for htmx, its `partial` alone.

    The template gets `page`, `page_range` (the pager's numbers, `paginator.ELLIPSIS` for
    a gap), `query` (the query string without `page`) and `context`. A value of `context`
    that is callable is what only the full page shows (counts, charts): it is called for
    the full page and left out of the rows. `decorate` gets the page's rows as a list and
    returns the rows to show (per-row values computed in Python, for this page only).
    `count` gives the number of rows from what the full page computes anyway (its totals,
    called after the context's callables, so it can reuse them) instead of a COUNT(*) over
    the whole list; the rows alone (htmx) count with the queryset.
    """
    if request.htmx:
        template_name = f"{template_name}#{partial}"
        extra = {k: v for k, v in (context or {}).items() if not callable(v)}
        total = None
    else:
        extra = {k: v() if callable(v) else v for k, v in (context or {}).items()}
        total = count() if count is not None else None
    data = page_context(request, queryset, page_size=page_size, count=total)
    if decorate is not None:
        data["page"].object_list = decorate(list(data["page"].object_list))
    data.update(extra)
    response = render(request, template_name, data)
    # The same URL returns the rows alone to htmx: keep browsers from caching one for the other.
    patch_vary_headers(response, ("HX-Request",))
    return response
