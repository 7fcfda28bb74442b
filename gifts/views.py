"""The gift pages: a client's gift log (log a gift, with the cap warnings to confirm), the
agent's gift ideas and caps, and the manager's list of gifts above the cap.

The client is loaded through `get_client_for_user` (another agent's client: 404); the
manager's page answers 403 to an agent and lists only the agents of the manager's teams."""

from datetime import date

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from agentcrm.accounts.selectors import team_members_for_manager
from agentcrm.core.forms import add_service_errors
from agentcrm.core.http import id_param
from agentcrm.core.lists import list_page
from clients.selectors import get_client_for_user

from . import selectors, services
from .forms import CapsForm, GiftForm, IdeasForm
from .ideas import gift_ideas_for_user, ideas_for, touch_topics
from .models import OCCASION_KEYS

TOUCH_OCCASIONS = {"birthday": "birthday", "wedding_anniversary": "anniversary"}


def _topics(client, occasion: str) -> list[str]:
    return touch_topics(occasion, list(client.segments.values_list("code", flat=True)))


def _log_context(request, client, form, *, warnings=None) -> dict:
    today = timezone.localdate()
    occasion = form["occasion"].value() or ""
    return {
        "client": client,
        "form": form,
        "warnings": warnings or [],
        "gifts": list(selectors.client_gifts(client=client)),
        "years": selectors.client_gift_years(client=client),
        "year_total": selectors.client_year_total(client=client, year=today.year),
        "caps": selectors.caps_for_client(client=client),
        "ideas": ideas_for(user=request.user, topics=_topics(client, occasion)),
        "today": today,
    }


def gift_log(request, pk: int):
    client = get_client_for_user(user=request.user, pk=pk)
    if request.method != "POST":
        occasion = request.GET.get("occasion", "")
        form = GiftForm(
            initial={
                "occasion": occasion if occasion in OCCASION_KEYS else "other",
                "given_on": timezone.localdate(),
            }
        )
        return render(request, "gifts/gift_log.html", _log_context(request, client, form))
    form = GiftForm(request.POST)
    warnings = []
    if form.is_valid():
        data = services.GiftInput(
            what=form.cleaned_data["what"],
            occasion=form.cleaned_data["occasion"],
            cost=form.cleaned_data["cost"],
            given_on=form.cleaned_data["given_on"],
            notes=form.cleaned_data["notes"],
        )
        try:
            services.gift_log(
                owner=request.user,
                client=client,
                data=data,
                confirmed=form.cleaned_data["confirmed"],
            )
        except services.GiftNeedsConfirmation as exc:
            warnings = exc.warnings
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Gift logged."))
            return redirect("client_gifts:log", pk=client.pk)
    status = 400 if form.errors else 200  # warnings to confirm are not an error
    return render(
        request,
        "gifts/gift_log.html",
        _log_context(request, client, form, warnings=warnings),
        status=status,
    )


@require_POST
def gift_delete(request, pk: int, gift_id: int):
    client = get_client_for_user(user=request.user, pk=pk)
    gift = selectors.get_gift_for_user(user=request.user, client=client, pk=gift_id)
    services.gift_delete(gift=gift)
    messages.success(request, _("Gift deleted."))
    return redirect("client_gifts:log", pk=client.pk)


def gift_settings(request):
    caps = selectors.caps_for_user(user=request.user)
    form = CapsForm(request.POST or None, caps=caps)
    if request.method == "POST" and form.is_valid():
        try:
            services.gift_caps_save(owner=request.user, caps=form.caps())
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Gift caps saved."))
            return redirect("gifts:settings")
    status = 400 if request.method == "POST" else 200
    return render(request, "gifts/settings.html", {"form": form}, status=status)


def gift_ideas(request):
    if request.method == "POST":
        form = IdeasForm(request.POST)
        if form.is_valid():
            try:
                services.gift_ideas_save(
                    owner=request.user,
                    topic=form.cleaned_data["topic"],
                    ideas=form.cleaned_data["ideas"],
                )
            except ValidationError as exc:
                messages.error(request, " ".join(exc.messages))
            else:
                messages.success(request, _("Gift ideas saved."))
        else:
            messages.error(request, _("Nothing was saved: the list is too long."))
        return redirect("gifts:ideas")
    sections = [("segment", _("Books and magazines by client")), ("festival", _("By festival"))]
    return render(
        request,
        "gifts/ideas.html",
        {"topics": gift_ideas_for_user(user=request.user), "sections": sections},
    )


def _masked_name(name: str) -> str:
    return f"{name[:1]}**" if name else ""


def _mask_clients(gifts: list) -> list:
    for gift in gifts:
        gift.client_masked = _masked_name(gift.client.name)
    return gifts


def team_gifts(request):
    """Gifts above the cap by the manager's agents this year (or the year asked), a page
    at a time, the client's name masked."""
    if not request.user.is_manager:
        raise PermissionDenied
    today = timezone.localdate()
    year = id_param(request.GET.get("year")) or today.year
    if not 2000 <= year <= today.year + 1:
        year = today.year
    gifts = selectors.team_gifts_above_cap(
        agent_ids=team_members_for_manager(user=request.user).values("pk"),
        start=date(year, 1, 1),
        end=date(year, 12, 31),
    )
    return list_page(
        request, gifts, "gifts/team_gifts.html", context={"year": year}, decorate=_mask_clients
    )
