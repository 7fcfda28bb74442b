"""The household page, its PDF and long image, the annual review's snapshot, and the
greeting cards. Every object through a `get_..._for_user` helper: another agent's client,
touch or review, and a manager, get 404."""

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from servicing.selectors import get_review_for_user

from . import services
from .cards import card_png
from .forms import needs_from
from .render.image import review_png
from .render.pdf import review_pdf
from .selectors import get_household_for_user, household_of, review_data
from .selectors.cards import card_for, get_card_touch_for_user
from .selectors.household import household_policy_rows
from .selectors.review import COVER_LABELS, COVER_TYPES
from .selectors.snapshots import changes, previous_snapshot, snapshot_of


def _data(request, pk: int, *, policy_rows: bool = False):
    today = timezone.localdate()
    household = get_household_for_user(user=request.user, pk=pk, today=today)
    form, needs = needs_from(request.GET)
    rows = household_policy_rows(household=household, today=today) if policy_rows else None
    data = review_data(
        household=household, needs=needs, agent=request.user, today=today, policy_rows=rows
    )
    return household, form, data, rows


def _file_name(data, ext: str) -> str:
    return f"household-review-{data['client']['id']}-{data['prepared_on']}.{ext}"


def household(request, pk: int):
    household, form, data, rows = _data(request, pk, policy_rows=True)
    return render(
        request,
        "handouts/household.html",
        {
            "client": household.client,
            "household": household,
            "data": data,
            "form": form,
            "cover_types": [(k, COVER_LABELS[k]) for k in COVER_TYPES],
            "policies": rows,
            "query": request.GET.urlencode(),
        },
    )


def review_pdf_view(request, pk: int):
    data = _data(request, pk)[2]
    response = HttpResponse(review_pdf(data), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{_file_name(data, "pdf")}"'
    return response


def review_png_view(request, pk: int):
    data = _data(request, pk)[2]
    response = HttpResponse(review_png(data), content_type="image/png")
    response["Content-Disposition"] = f'inline; filename="{_file_name(data, "png")}"'
    return response


def review_snapshot(request, review_pk: int):
    """The review as kept at an annual review, and what changed since the one before."""
    review = get_review_for_user(user=request.user, pk=review_pk)
    snapshot = snapshot_of(review=review)
    previous = previous_snapshot(review=review)
    return render(
        request,
        "handouts/snapshot.html",
        {
            "review": review,
            "snapshot": snapshot,
            "previous": previous,
            "changes": changes(previous.data, snapshot.data) if snapshot and previous else None,
        },
    )


@require_POST
def review_snapshot_save(request, review_pk: int):
    review = get_review_for_user(user=request.user, pk=review_pk)
    household = household_of(client=review.household)
    _form, needs = needs_from(request.POST)
    data = review_data(household=household, needs=needs, agent=request.user)
    services.review_snapshot_save(review=review, data=data, by=request.user)
    messages.success(
        request, _("The household review shown today is kept with this annual review.")
    )
    return redirect("handouts:review_snapshot", review_pk=review.pk)


def card_page(request, pk: int):
    touch = get_card_touch_for_user(user=request.user, pk=pk)
    card = card_for(touch=touch, user=request.user)
    return render(request, "handouts/card.html", {"touch": touch, "card": card})


def card_image(request, pk: int):
    touch = get_card_touch_for_user(user=request.user, pk=pk)
    card = card_for(touch=touch, user=request.user)
    png = card_png(
        design=card.design, address_as="", greeting=card.greeting, agent_name=card.agent_name
    )
    response = HttpResponse(png, content_type="image/png")
    response["Content-Disposition"] = f'inline; filename="card-{touch.pk}.png"'
    response["Cache-Control"] = "private, no-store"
    return response
