"""The agent's dashboard (today's touches), the full touch list, the one-click actions on a
touch and the settings page (with the morning email's own form).

Every touch is fetched through `selectors.get_touch_for_user`: another agent's touch is a
404 for every URL, GET or POST. The actions answer htmx with the touch's re-rendered row and
an out-of-band update of the group counts; without htmx they redirect back.
"""

import re
from datetime import timedelta

from django.contrib import messages
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import get_template
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from agentcrm.core.lists import list_page

from . import digest, selectors, services, views_team
from .festivals import FESTIVALS_BY_KEY
from .forms import (
    CadenceForm,
    CardDoneForm,
    DigestForm,
    DoneForm,
    FestivalDoneForm,
    FestivalPreferenceFormSet,
    GreetingTemplateFormSet,
    KindPreferenceFormSet,
    SkipForm,
    SnoozeForm,
    digest_initial,
    festival_initial,
    greeting_initial,
    kind_initial,
)
from .greetings import reader_placeholders
from .rows import decorate, form_actions, row_labels


def _row_context(request, today, *, action: str = "") -> dict:
    """What every touch row reads besides its touch. The built-in forms' buttons are the
    same on every row (`action` is the one a refused post left open): rendered once here,
    where the row's loop over them was a quarter of a dashboard row's rendering."""
    tomorrow = today + timedelta(days=1)
    buttons = get_template("touches/_row.html#buttons")
    return {
        "form_buttons": buttons.render({"actions": form_actions(), "action": action}),
        "t": row_labels(),
        "today": today,
        "tomorrow": tomorrow,
        "tomorrow_iso": tomorrow.isoformat(),
        "channels": [(c.value, c.label) for c in services.DONE_CHANNELS],
        "next_url": request.get_full_path(),
    }


def _count_list(counts: dict[str, int]) -> list[dict]:
    return [{"key": g.key, "title": g.title, "count": counts[g.key]} for g in selectors.GROUPS]


def _counts_context(counts: dict[str, int]) -> dict:
    """The counts and whether today's work is done, for the page or out of band."""
    return {
        "count_list": _count_list(counts),
        "day_done": not (counts["today"] or counts["overdue"]),
        "plan_empty": not any(counts.values()),
    }


def dashboard(request):
    if request.user.is_manager:
        return views_team.team_overview(request)
    today = timezone.localdate()
    board = selectors.dashboard(user=request.user, today=today)
    context = _row_context(request, today)
    context.update(
        board=board,
        build_missed_since=selectors.touch_build_missed_since(),
        **_counts_context(board.counts),
    )
    return render(request, "touches/dashboard.html", context)


def touch_list(request):
    today = timezone.localdate()
    filters = selectors.TouchFilter(request.GET, today=today)
    values = filters.values
    context = _row_context(request, today)
    festival = FESTIVALS_BY_KEY.get(values.get("festival") or "")
    context.update(
        form=filters.form,
        group=values["group"],
        # The group counts above the list: the full page only, not the rows htmx asks for.
        count_list=lambda: _count_list(selectors.group_counts(user=request.user, today=today)),
        # One festival card's audience: tick the exceptions, then mark the rest done.
        festival_bulk=(
            {"festival": festival, "occasion": values["occasion"]}
            if festival and values.get("occasion") and values["group"] in selectors.GROUPS_BY_KEY
            else None
        ),
    )
    return list_page(
        request,
        selectors.touch_list(user=request.user, today=today, filters=request.GET),
        "touches/touch_list.html",
        context=context,
        decorate=lambda rows: decorate(rows, user=request.user, today=today),
    )


def _next_url(request) -> str | None:
    url = request.POST.get("next", "")
    # A path on this site only: redirect() would take a bare word ("0") for a URL name.
    if url.startswith("/") and url_has_allowed_host_and_scheme(
        url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return url
    return None


def _errors(exc_or_form) -> dict[str, list[str]]:
    if isinstance(exc_or_form, ValidationError):
        if hasattr(exc_or_form, "error_dict"):
            return exc_or_form.message_dict
        return {NON_FIELD_ERRORS: exc_or_form.messages}
    return {key: list(errors) for key, errors in exc_or_form.errors.items()}


def _row_response(request, pk: int, *, action: str = "", errors=None, status: int = 200):
    """The touch's row (and the counts, out of band) for htmx; a small page otherwise. A
    row that is a card of its own says so (`solo`, sent by the row with every action)."""
    today = timezone.localdate()
    context = _row_context(request, today, action=action)
    context["next_url"] = _next_url(request) or ""
    touch = selectors.touch_row(user=request.user, pk=pk, today=today)
    context.update(
        touch=touch,
        solo=request.POST.get("solo") == "1" or not request.htmx,
        action_url=touch.urls.get(action, ""),
        action=action,
        errors=[e for messages_ in (errors or {}).values() for e in messages_],
        posted=request.POST,
        **_counts_context(selectors.group_counts(user=request.user, today=today)),
    )
    template = "touches/_row_response.html" if request.htmx else "touches/touch_action.html"
    return render(request, template, context, status=status)


def _act(request, pk: int, *, action: str, form_class, run, done_message: str):
    touch = selectors.get_touch_for_user(user=request.user, pk=pk)
    form = form_class(request.POST) if form_class else None
    errors = None
    if form is not None and not form.is_valid():
        errors = _errors(form)
    else:
        try:
            run(touch, form.cleaned_data if form is not None else {})
        except ValidationError as exc:
            errors = _errors(exc)
    if errors:
        return _row_response(request, pk, action=action, errors=errors, status=400)
    if request.htmx:
        return _row_response(request, pk)
    messages.success(request, done_message)
    return redirect(_next_url(request) or "dashboard")


@require_POST
def touch_done(request, pk: int):
    return _act(
        request,
        pk,
        action="done",
        form_class=DoneForm,
        run=lambda touch, data: services.touch_done(
            touch=touch, by=request.user, note=data["note"], channel=data["channel"]
        ),
        done_message=_("Done: the contact is on the client's timeline."),
    )


@require_POST
def touch_snooze(request, pk: int):
    return _act(
        request,
        pk,
        action="snooze",
        form_class=SnoozeForm,
        run=lambda touch, data: services.touch_snooze(touch=touch, until=data["until"]),
        done_message=_("Snoozed."),
    )


@require_POST
def touch_skip(request, pk: int):
    return _act(
        request,
        pk,
        action="skip",
        form_class=SkipForm,
        run=lambda touch, data: services.touch_skip(touch=touch, reason=data["reason"]),
        done_message=_("Skipped."),
    )


@require_POST
def touch_reopen(request, pk: int):
    return _act(
        request,
        pk,
        action="reopen",
        form_class=None,
        run=lambda touch, data: services.touch_reopen(touch=touch),
        done_message=_("Open again."),
    )


def _refused(form) -> HttpResponse:
    """A bulk action whose input was not ours (a tampered or stale form): nothing written,
    and the page's failure notice shows (app.js shows it for any status but 400)."""
    text = " ".join(e for errors in _errors(form).values() for e in errors)
    return HttpResponse(text, status=422, content_type="text/plain; charset=utf-8")


@require_POST
def card_done(request):
    """ "All done" on a dashboard card: every open touch of it done, each logged."""
    form = CardDoneForm(request.POST)
    if not form.is_valid():
        return _refused(form)
    ids = form.cleaned_data["ids"]
    done = services.touches_done_for_card(owner=request.user, ids=ids, by=request.user)
    today = timezone.localdate()
    card = selectors.card_of_touches(user=request.user, ids=ids, today=today)
    if card is None:
        raise Http404
    if not request.htmx:
        messages.success(request, _("Done: the contact is on the client's timeline."))
        return redirect(_next_url(request) or "dashboard")
    context = _row_context(request, today)
    context["next_url"] = _next_url(request) or ""
    context.update(
        card=card,
        done_now=done,
        **_counts_context(selectors.group_counts(user=request.user, today=today)),
    )
    return render(request, "touches/_card_response.html", context)


@require_POST
def festival_done(request):
    """ "Mark done for all" on a festival card: one UPDATE over the agent's own open
    greetings for the festival on the plan, but the exceptions ticked on the list."""
    form = FestivalDoneForm(request.POST)
    if not form.is_valid():
        return _refused(form)
    data = form.cleaned_data
    today = timezone.localdate()
    done = services.festival_done_for_all(
        owner=request.user,
        festival=data["festival"],
        occasion=data["occasion"],
        today=today,
        exclude=data["exclude"],
    )
    festival = FESTIVALS_BY_KEY[data["festival"]]
    message = ngettext(
        "%(festival)s: marked done for %(count)d client.",
        "%(festival)s: marked done for %(count)d clients.",
        done,
    ) % {"festival": festival.label, "count": done}
    if not request.htmx:
        messages.success(request, message)
        return redirect(_next_url(request) or "dashboard")
    context = {
        "message": message,
        "festival": festival,
        "card_id": card_id
        if re.fullmatch(r"card-\d+", card_id := request.POST.get("card", ""))
        else "",
        **_counts_context(selectors.group_counts(user=request.user, today=today)),
    }
    return render(request, "touches/_festival_done.html", context)


def touch_settings(request):
    current = selectors.touch_settings_for_user(user=request.user)
    data = request.POST if request.method == "POST" else None
    kinds = KindPreferenceFormSet(data, initial=kind_initial(current.kinds), prefix="kinds")
    festivals = FestivalPreferenceFormSet(
        data, initial=festival_initial(current.festivals), prefix="festivals"
    )
    greetings = GreetingTemplateFormSet(
        data, initial=greeting_initial(current.greetings), prefix="greetings"
    )
    cadences = CadenceForm(data, current=current.cadences, prefix="cadence")
    save_errors: list[str] = []
    if request.method == "POST":
        # Validate all four so every error shows at once. A page posted without the
        # cadence fields (an older tab) leaves the cadences as they are.
        cadence_posted = any(key.startswith("cadence-") for key in request.POST)
        valid = [formset.is_valid() for formset in (kinds, festivals, greetings)]
        valid.append(cadences.is_valid() if cadence_posted else True)
        if all(valid):
            try:
                services.touch_settings_save(
                    owner=request.user,
                    kinds=[f.cleaned_data for f in kinds.forms],
                    festivals=[f.cleaned_data for f in festivals.forms],
                    greetings=[f.cleaned_data for f in greetings.forms],
                    cadences=dict(cadences.cleaned_data) if cadence_posted else None,
                )
            except ValidationError as exc:
                save_errors = exc.messages
            else:
                messages.success(request, _("Settings saved."))
                return redirect("touches:settings")
        messages.error(request, _("Nothing was saved: please correct the errors below."))
    return render(
        request,
        "touches/settings.html",
        {
            "kinds": kinds,
            "festivals": festivals,
            "greetings": greetings,
            "cadences": cadences,
            "cadence_days": selectors.CADENCE_DAYS,
            "festival_greeting_errors": any(
                f.errors for f in greetings.forms if f["festival"].value()
            ),
            "save_errors": save_errors,
            "placeholders": reader_placeholders(),
            "lead_days": selectors.LEAD_DAYS,
            "neglect_days": selectors.NEGLECT_DAYS,
            "digest_form": _digest_form(request),
        },
        status=400 if request.method == "POST" else 200,
    )


def _digest_form(request, data=None) -> DigestForm:
    account_email = request.user.email
    if data is not None:
        return DigestForm(data, account_email=account_email)
    preference = digest.digest_preference_for(owner=request.user)
    return DigestForm(
        initial=digest_initial(preference, account_email=account_email),
        account_email=account_email,
    )


def digest_settings(request):
    """The morning email's setting: a card of the settings page that posts here (htmx swaps
    the card; without htmx, back to the settings page), or a page of its own."""
    form = _digest_form(request, request.POST if request.method == "POST" else None)
    saved = False
    if request.method == "POST" and form.is_valid():
        try:
            services.digest_preference_save(owner=request.user, **form.cleaned_data)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            if not request.htmx:
                messages.success(request, _("Email settings saved."))
                return redirect("touches:settings")
            saved = True
            form = _digest_form(request)
    status = 400 if request.method == "POST" and not saved else 200
    template = "touches/_digest_card.html" if request.htmx else "touches/digest_settings.html"
    return render(request, template, {"digest_form": form, "digest_saved": saved}, status=status)
