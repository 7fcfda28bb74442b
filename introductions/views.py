from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from clients.selectors import clients_for_user, get_client_for_user

from . import selectors, services
from .forms import IntroduceForm, MatchForm, NeedForm, OfferForm, OutcomeForm, ProfileForm


def _live_clients(user):
    return clients_for_user(user=user, include_archived=False).filter(
        merged_into__isnull=True, erased_at__isnull=True
    )


def _page(request, *, status=200, **forms):
    user = request.user
    clients = _live_clients(user)
    profiles = (
        selectors.profiles_for_user(user=user)
        .filter(active=True)
        .select_related("client", "member")
    )
    context = {
        "offer_form": OfferForm(clients=clients),
        "need_form": NeedForm(clients=clients),
        "profile_form": ProfileForm(clients=clients),
        "match_form": MatchForm(profiles=profiles),
        "outcome_form": OutcomeForm(),
        "suggestions": selectors.suggested_matches(user=user),
        "offers": selectors.offers_for_user(user=user).select_related("client"),
        "needs": selectors.needs_for_user(user=user).select_related("client"),
        "profiles": selectors.match_candidates(user=user),
        "introductions": selectors.recent_introductions(user=user),
    }
    context.update(forms)
    return render(request, "introductions/index.html", context, status=status)


def _error_message(error: ValidationError) -> str:
    return "；".join(error.messages)


@require_GET
def introduction_index(request):
    return _page(request)


@require_POST
def offer_new(request):
    form = OfferForm(request.POST, clients=_live_clients(request.user))
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
    form = NeedForm(request.POST, clients=_live_clients(request.user))
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
    form = IntroduceForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("That introduction was not understood."))
        return redirect("introductions:index")
    offer = selectors.get_offer_for_user(user=request.user, pk=form.cleaned_data["offer"])
    client = get_client_for_user(user=request.user, pk=form.cleaned_data["client"])
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
    form = ProfileForm(request.POST, clients=_live_clients(request.user))
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
    profiles = selectors.profiles_for_user(user=request.user).select_related("client", "member")
    form = MatchForm(request.POST, profiles=profiles)
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
