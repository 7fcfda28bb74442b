from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from clients.selectors import get_client_for_user

from . import selectors, services
from .forms import (
    PICKER_LABELS,
    IntroduceForm,
    MatchForm,
    NeedForm,
    OfferForm,
    OutcomeForm,
    ProfileForm,
)

# How many offers and needs the page lists, the latest first.
LISTED = 50


def _page(request, *, status=200, **forms):
    """The page; the forms given (with their errors) replace the blank ones. `?picker=<id>&q=`
    is the pickers' search without JS: that picker lists the matches of `q`."""
    user = request.user
    search = {request.GET.get("picker", ""): request.GET.get("q", "")[:100]}
    blank = {
        "offer_form": OfferForm(user=user, search=search),
        "need_form": NeedForm(user=user, search=search),
        "introduce_form": IntroduceForm(user=user, search=search),
        "profile_form": ProfileForm(user=user, search=search),
        "match_form": MatchForm(user=user, search=search),
    }
    blank.update(forms)
    context = {
        **blank,
        "outcome_form": OutcomeForm(),
        "suggestions": selectors.suggested_matches(user=user),
        # The latest ones (each client's page lists all of theirs, with the consent).
        "offers": list(selectors.offers_for_user(user=user).select_related("client")[: LISTED + 1]),
        "needs": list(selectors.needs_for_user(user=user).select_related("client")[: LISTED + 1]),
        "listed": LISTED,
        "profiles": selectors.match_candidates(user=user),
        "introductions": selectors.recent_introductions(user=user),
        "finders": [pid for name, form in blank.items() for pid in form.picker_ids],
        "searched": request.GET.get("picker", ""),
        "q": request.GET.get("q", "")[:100],
    }
    return render(request, "introductions/index.html", context, status=status)


@require_GET
def people_options(request):
    """The <option>s of one picker of the page (htmx): `field` is its kind (a client, a client
    who agreed to be introduced, an offer, a family member, a matchmaking profile), `q` what
    was typed and `name` the select's name, whose value (the choice so far) stays chosen if it
    is in scope."""
    kind = request.GET.get("field") or "client"
    if kind not in selectors.PICKER_KINDS:
        return HttpResponseBadRequest(_("Unknown picker."))
    rows = list(selectors.picker_matches(user=request.user, kind=kind, q=request.GET.get("q", "")))
    chosen = request.GET.get(request.GET.get("name", ""), "")
    if chosen.isdigit() and all(row.pk != int(chosen) for row in rows):
        # Keep the current choice at the top while the search narrows the rest.
        scope = selectors.picker_scope(user=request.user, kind=kind)
        rows = list(scope.filter(pk=int(chosen))) + rows
    label = PICKER_LABELS[kind]
    context = {"options": [(row.pk, label(row)) for row in rows], "chosen": chosen}
    return render(request, "introductions/_picker_options.html", context)


def _error_message(error: ValidationError) -> str:
    return "；".join(error.messages)


@require_GET
def introduction_index(request):
    return _page(request)


@require_POST
def offer_new(request):
    form = OfferForm(request.POST, user=request.user)
    if not form.is_valid():
        return _page(request, status=400, offer_form=form)
    data = form.cleaned_data
    services.offer_create(
        client=data["client"],
        title=data["title"],
        discount=data["discount"],
        serves=data["serves"],
        keywords=data["keywords"],
        segment=data["segment"],
        consent_on=timezone.localdate() if data["consent"] else None,
    )
    messages.success(request, _("Offer saved."))
    return redirect("introductions:index")


@require_POST
def need_new(request):
    form = NeedForm(request.POST, user=request.user)
    if not form.is_valid():
        return _page(request, status=400, need_form=form)
    data = form.cleaned_data
    services.need_create(
        client=data["client"],
        kind=data["kind"],
        description=data["description"],
        consent_on=timezone.localdate() if data["consent"] else None,
    )
    messages.success(request, _("Need saved."))
    return redirect("introductions:index")


def _consent(request, row):
    agreed = request.POST.get("consent") == "1"
    services.consent_set(row=row, consent_on=timezone.localdate() if agreed else None)
    if agreed:
        messages.success(request, _("Consent recorded with today's date."))
    else:
        messages.info(request, _("Consent withdrawn: no more suggestions for it."))
    return redirect("introductions:index")


@require_POST
def offer_consent(request, pk: int):
    return _consent(request, selectors.get_offer_for_user(user=request.user, pk=pk))


@require_POST
def need_consent(request, pk: int):
    return _consent(request, selectors.get_need_for_user(user=request.user, pk=pk))


@require_POST
def introduce(request):
    """Introduce a client to an offer: from a suggestion's button or the pickers. Another
    agent's offer or client is a 404; one of the agent's own outside the pickers' scope (no
    consent, do-not-contact) is refused with the reason, and nothing is written."""
    offer_id, client_id = request.POST.get("offer", ""), request.POST.get("client", "")
    if not (offer_id.isdigit() and client_id.isdigit()):
        messages.error(request, _("Choose the offer and the client to introduce."))
        return redirect("introductions:index")
    offer = selectors.get_offer_for_user(user=request.user, pk=int(offer_id))
    client = get_client_for_user(user=request.user, pk=int(client_id))
    form = IntroduceForm(request.POST, user=request.user)
    if not form.is_valid():
        messages.error(request, "；".join(e for errors in form.errors.values() for e in errors))
        return redirect("introductions:index")
    try:
        services.introduction_make(
            owner=request.user, offer=offer, client=client, note=form.cleaned_data["note"]
        )
    except ValidationError as error:
        messages.error(request, _error_message(error))
    else:
        messages.success(
            request,
            _("Introduced %(a)s and %(b)s: logged on both timelines; a follow-up in a week.")
            % {"a": offer.client.name, "b": client.name},
        )
    return redirect("introductions:index")


@require_POST
def profile_new(request):
    form = ProfileForm(request.POST, user=request.user)
    if not form.is_valid():
        return _page(request, status=400, profile_form=form)
    try:
        services.match_profile_create(
            client=form.cleaned_data["client"],
            member=form.cleaned_data["member"],
            opted_in_on=timezone.localdate(),
            notes=form.cleaned_data["notes"],
        )
    except ValidationError as error:
        form.add_error(None, error)
        return _page(request, status=400, profile_form=form)
    messages.success(request, _("Added to your matchmaking list."))
    return redirect("introductions:index")


@require_POST
def match(request):
    form = MatchForm(request.POST, user=request.user)
    if not form.is_valid():
        return _page(request, status=400, match_form=form)
    try:
        services.matchmaking_make(
            owner=request.user,
            first=form.cleaned_data["first"],
            second=form.cleaned_data["second"],
            note=form.cleaned_data["note"],
        )
    except ValidationError as error:
        form.add_error(None, error)
        return _page(request, status=400, match_form=form)
    messages.success(request, _("Introduced: logged on both timelines; a follow-up in a week."))
    return redirect("introductions:index")


@require_POST
def outcome(request, pk: int):
    introduction = selectors.get_introduction_for_user(user=request.user, pk=pk)
    form = OutcomeForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose how it went."))
        return redirect("introductions:index")
    services.introduction_outcome_set(
        introduction=introduction,
        outcome=form.cleaned_data["outcome"],
        note=form.cleaned_data["note"],
    )
    messages.success(request, _("Saved; the follow-up touches are closed."))
    return redirect("introductions:index")
