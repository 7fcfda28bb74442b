"""The agent's referral pages: the list, recording one referral, recording an ask (the deck's
six steps, with the names it gave), the asks list and one referral's page (stage changes,
reporting back to and thanking the referrer).

Every object is fetched through a `*_for_user` selector (`selectors.access` and the other
apps' own): another agent's referral, stage change, client or policy is a 404; what the pages
list comes from `selectors.pages`. Writes go through `referrals.services`, all or nothing; a
refusal (a cycle, a person already referred, no names and no reason, a won without its
policy) comes back as a form error with everything the agent typed kept.
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_GET, require_POST

from agentcrm.core.forms import add_service_errors
from agentcrm.core.history import HistorySource, history_entries
from agentcrm.core.http import id_param
from agentcrm.core.lists import list_page
from agentcrm.core.views import status_move_retry
from clients.models import Client
from clients.selectors import clients_for_user, get_client_for_user, possible_duplicates
from policies.selectors import get_policy_for_user, policies_for_user

from .. import services
from ..forms import (
    FeedbackForm,
    PeopleFormSet,
    ReferralForm,
    ReferralRequestForm,
    StageForm,
    ThankForm,
)
from ..models import STAGE_ORDER, Context, Referral, ReferralStageChange, Stage
from ..retention import retention_months
from ..selectors import access, pages


def _days_since(moment, today) -> int:
    return max(0, (today - timezone.localdate(moment)).days)


def _int_param(request, name: str) -> int | None:
    return id_param(request.GET.get(name))


# --- Phone matching ("no second copy of a person") ------------------------------------------


def _phone_matches(request, form) -> list[Client]:
    """The agent's records that may be the person typed in `form` (a bound, valid person
    form), by the one duplicate rule (`clients.selectors.possible_duplicates`: a referral's
    name comes with a mobile, so the same mobile; a name alone never matches)."""
    data = form.cleaned_data
    return [
        row["client"]
        for row in possible_duplicates(
            user=request.user, name=data.get("name") or "", mobile=data.get("mobile")
        )
    ]


def _match_rows(matches: list[Client]) -> list[dict]:
    rows = []
    for client in matches:
        try:
            referral = client.referral
        except Referral.DoesNotExist:
            referral = None
        rows.append({"client": client, "referral": referral})
    return rows


def _resolve_person(request, form) -> tuple[services.Person | None, list[Client]]:
    """The person a form describes, or (None, matches) when its mobile is already on a
    record of the agent and the agent has not chosen to link that record."""
    data = form.person_data()
    matches = _phone_matches(request, form)
    if not matches:
        return services.Person(**data), []
    chosen = form.cleaned_data.get("link_existing")
    existing = next((c for c in matches if c.pk == chosen), None)
    if existing is None:
        return None, matches
    return services.Person(**data, existing=existing), matches


# --- The list -------------------------------------------------------------------------------


def referral_list(request):
    today = timezone.localdate()

    def days_in_stage(referrals):
        for referral in referrals:
            referral.days_in_stage = _days_since(referral.stage_changed_at, today)
        return referrals

    filters = pages.ReferralFilter(request.GET, user=request.user, today=today)
    return list_page(
        request,
        pages.referral_list(user=request.user, filters=request.GET, today=today),
        "referrals/referral_list.html",
        context={"form": filters.form, "today": today, "retention_months": retention_months()},
        decorate=days_in_stage,
    )


# --- One referral ---------------------------------------------------------------------------


def referral_new(request):
    clients = clients_for_user(user=request.user, include_archived=False)
    initial = {}
    referrer_id = _int_param(request, "referrer")
    if referrer_id:
        initial["referrer"] = get_client_for_user(user=request.user, pk=referrer_id).pk
    # Bound on every POST, an empty one too (`request.POST or None` left it unbound: a 500).
    posted = request.POST if request.method == "POST" else None
    form = ReferralForm(posted, initial=initial, clients=clients)
    matches: list[Client] = []
    if request.method == "POST":
        valid = form.is_valid()
        if not valid and form.cleaned_data.get("mobile"):
            # Ask about a known mobile now, with the other errors, not in a second round.
            matches = _phone_matches(request, form)
        if valid:
            person, matches = _resolve_person(request, form)
            if person is not None:
                try:
                    referral = services.referral_create(
                        owner=request.user,
                        referrer=form.cleaned_data["referrer"],
                        person=person,
                        given_on=form.cleaned_data["given_on"],
                        context=form.cleaned_data["context"],
                        by=request.user,
                    )
                except ValidationError as exc:
                    add_service_errors(form, exc)
                else:
                    messages.success(
                        request,
                        _("%(name)s was recorded as referred by %(referrer)s.")
                        % {"name": referral.referred.name, "referrer": referral.referrer.name},
                    )
                    return redirect("referrals:detail", pk=referral.pk)
        if matches and not form.errors:
            messages.warning(request, _("Nothing was saved yet: this mobile is already known."))
        else:
            messages.error(request, _("Nothing was saved: please correct the errors below."))
    return render(
        request,
        "referrals/referral_form.html",
        {"form": form, "matches": _match_rows(matches)},
        status=400 if request.method == "POST" else 200,
    )


def _next_stage(stage: str) -> str:
    """The step after `stage` in the usual order (the stage select's default)."""
    order = STAGE_ORDER
    if stage in order and stage != order[-1]:
        return order[order.index(stage) + 1]
    return Stage.CONTACTED


def _detail_context(request, referral: Referral, **forms) -> dict:
    """What the referral page shows: a fixed number of queries."""
    today = timezone.localdate()
    history = pages.referral_stage_history(referral=referral)
    policies = pages.referred_policies(user=request.user, referral=referral)
    allowed = referral.allowed_next_stages()
    owed = [c for c in history if c.feedback_due and c.reported_at is None]
    for change in owed:
        change.message = feedback_message(referral, change.to_stage)
    context = {
        "referral": referral,
        "chain": pages.referral_chain_above(referral=referral),
        "history": history,
        "owed": owed,
        "today": today,
        "stage_form": StageForm(
            initial={"seen_stage": referral.stage, "to_stage": _next_stage(referral.stage)},
            allowed=allowed,
            policies=policies,
            auto_id="stage_%s",  # each form of the page its own ids
        )
        if allowed
        else None,
        "feedback_form": FeedbackForm(auto_id="feedback_%s"),
        "thank_form": ThankForm(auto_id="thank_%s"),
        "days_in_stage": _days_since(referral.stage_changed_at, today),
        "retention_months": retention_months(),
    }
    # The audit trail (who changed what); the stage steps are in the timeline above it.
    context["audit_history"] = history_entries(
        sources=[HistorySource(records=referral.history.all())]
    )
    context.update(forms)
    return context


def referral_detail(request, pk: int):
    referral = access.get_referral_for_user(user=request.user, pk=pk)
    return render(request, "referrals/referral_detail.html", _detail_context(request, referral))


def feedback_message(referral: Referral, stage: str) -> str:
    """A message the agent can send the referrer about this stage, in the page's language."""
    texts = {
        Stage.CONTACTED: _(
            "%(referrer)s, just to let you know: I have got in touch with %(name)s, whom you "
            "introduced. Thank you for your trust!"
        ),
        Stage.MET: _(
            "%(referrer)s, just to let you know: I met %(name)s, whom you introduced, and we "
            "had a good talk. Thank you for your trust!"
        ),
        Stage.WON: _(
            "%(referrer)s, good news: %(name)s, whom you introduced, has taken out a policy "
            "with me. Thank you so much for your trust and help!"
        ),
        Stage.LOST: _(
            "%(referrer)s, just to let you know: I talked with %(name)s, whom you introduced; "
            "they don't need anything for now and I respect that. Thank you again for the "
            "introduction!"
        ),
    }
    text = texts.get(stage, texts[Stage.CONTACTED])
    return text % {"referrer": referral.referrer.name, "name": referral.referred.name}


@require_POST
def referral_stage(request, pk: int):
    referral = access.get_referral_for_user(user=request.user, pk=pk)
    policies = pages.referred_policies(user=request.user, referral=referral)
    # Any stage parses: the service decides what is allowed and says why.
    form = StageForm(request.POST, policies=policies)
    if form.is_valid():
        # The step is taken from the stage the agent saw, so a change made meanwhile (another
        # tab, another device) is refused instead of silently overwritten.
        referral.stage = form.cleaned_data["seen_stage"]
        try:
            services.referral_stage_change(
                referral=referral,
                to_stage=form.cleaned_data["to_stage"],
                by=request.user,
                note=form.cleaned_data["note"],
                policy=form.cleaned_data["policy"],
                lost_reason=form.cleaned_data["lost_reason"],
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(
                request, _("Stage is now %(stage)s.") % {"stage": referral.get_stage_display()}
            )
            return redirect("referrals:detail", pk=referral.pk)
    referral = access.get_referral_for_user(user=request.user, pk=pk)
    return status_move_retry(
        request,
        "referrals/referral_detail.html",
        _detail_context(request, referral),
        form=form,
        field="stage",
        message=_("The stage was not changed: please correct the errors below."),
        stage_errors=form.non_field_errors(),
    )


@require_POST
def feedback_report(request, pk: int):
    change: ReferralStageChange = access.get_stage_change_for_user(user=request.user, pk=pk)
    form = FeedbackForm(request.POST)
    if not form.is_valid():
        messages.error(
            request, _("Nothing was recorded: %(errors)s") % {"errors": form.errors.as_text()}
        )
    elif services.referral_feedback_report(
        change=change,
        by=request.user,
        channel=form.cleaned_data["channel"],
        note=form.cleaned_data["note"],
    ):
        messages.success(
            request,
            _("Recorded: %(referrer)s heard how it went.")
            % {"referrer": change.referral.referrer.name},
        )
    else:
        messages.info(request, _("This was already reported back."))
    return redirect("referrals:detail", pk=change.referral_id)


@require_POST
def referral_thank(request, pk: int):
    referral = access.get_referral_for_user(user=request.user, pk=pk)
    form = ThankForm(request.POST)
    if not form.is_valid():
        messages.error(
            request, _("Nothing was recorded: %(errors)s") % {"errors": form.errors.as_text()}
        )
    elif services.referral_thank(
        referral=referral,
        by=request.user,
        channel=form.cleaned_data["channel"],
        note=form.cleaned_data["note"],
        gift_value=form.cleaned_data["gift_value"],
    ):
        messages.success(
            request,
            _("Thanks to %(referrer)s recorded on their timeline.")
            % {"referrer": referral.referrer.name},
        )
    else:
        messages.info(request, _("The referrer was already thanked."))
    return redirect("referrals:detail", pk=referral.pk)


# --- The ask (the deck's six steps) ---------------------------------------------------------


def request_new(request):
    user = request.user
    clients = clients_for_user(user=user, include_archived=False)
    initial: dict = {}
    policy = None
    back = ReferralRequestForm.BACK_REQUESTS
    client_id = _int_param(request, "client")
    if client_id:
        initial["client"] = get_client_for_user(user=user, pk=client_id).pk
        back = ReferralRequestForm.BACK_CLIENT
    policy_id = _int_param(request, "policy")
    if policy_id:
        # Another agent's policy is a 404, as everywhere else.
        policy = get_policy_for_user(user=user, pk=policy_id)
        initial["policy"] = policy.pk
        initial["context"] = Context.DELIVERY
        initial.setdefault("client", policy.holder_id)
    context_param = request.GET.get("context", "")
    if context_param in Context.values:
        initial["context"] = context_param
    initial["back"] = back
    # Bound on every POST, an empty one too (`request.POST or None` left it unbound: a 500).
    posted = request.POST if request.method == "POST" else None
    form = ReferralRequestForm(
        posted,
        initial=initial,
        clients=clients,
        policies=policies_for_user(user=user),
    )
    people = PeopleFormSet(posted, prefix="people")
    start_step = 1
    if request.method == "POST":
        saved = _request_save(request, form, people)
        if saved is not None:
            return saved
        policy = form.cleaned_data.get("policy")
        start_step = _ask_step_to_show(form, people)
    chosen = form.data.get("client") if form.is_bound else initial.get("client")
    return render(
        request,
        "referrals/request_form.html",
        {
            "recent_ask": pages.recent_ask_of(user=user, client_id=_to_int(chosen)),
            "reask_days": pages.REASK_WARN_DAYS,
            "form": form,
            "people": people,
            "policy": policy,
            "start_step": start_step,
            "step_titles": ASK_STEP_TITLES,
            "first_names": ASK_FIRST_NAMES,
            "feedback_days": services.FEEDBACK_DAYS,
        },
        status=400 if request.method == "POST" else 200,
    )


def _to_int(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


@require_GET
def request_reask_check(request):
    """htmx, as the agent picks the client to ask: a warning when that client was asked for
    referrals in the last 30 days (the deck: never over-use a referrer). The agent may go on."""
    user = request.user
    client_id = _to_int(request.GET.get("client"))
    if client_id:
        get_client_for_user(user=user, pk=client_id)  # another agent's client: 404
    return render(
        request,
        "referrals/_reask_warning.html",
        {
            "recent_ask": pages.recent_ask_of(user=user, client_id=client_id),
            "reask_days": pages.REASK_WARN_DAYS,
        },
    )


# The deck's six steps, as the ask's page names them in its row of step buttons.
ASK_STEP_TITLES = (
    gettext_lazy("Positive response"),
    gettext_lazy("Thank"),
    gettext_lazy("Names"),
    gettext_lazy("Anyone else?"),
    gettext_lazy("Thank again"),
    gettext_lazy("Promise feedback"),
)
# Step 3 holds the first three names (the three friends of the script); step 4, "anyone
# else?", the others and the button that adds one.
ASK_FIRST_NAMES = 3
# Which step shows each field of the ask's form.
_ASK_FIELD_STEP = {"client": 1, "asked_on": 1, "context": 1, "policy": 1, "back": 1}
_ASK_FIELD_STEP.update(refusal_reason=5, notes=5)


def _ask_step_to_show(form, people) -> int:
    """The first step with something to correct (an error, a phone to confirm): the page
    opens there after a refused submit, so the agent lands on the words they typed."""
    # A refusal of the service without a field of its own shows above step 1.
    steps = [_ASK_FIELD_STEP.get(name, 1) for name in form.errors]
    if people.non_form_errors():
        steps.append(3)
    for index, row in enumerate(people.forms):
        if row.errors or getattr(row, "matches", None):
            steps.append(3 if index < ASK_FIRST_NAMES else 4)
    return min(steps, default=1)


def _request_save(request, form, people):
    """Validate the ask and its names and record them, all or nothing. The response on
    success; None when the page must be shown again (errors, or a phone to confirm). The
    rules (names or a refusal reason, the policy in the agent's book) are the service's: its
    refusal lands beside the input it concerns."""
    valid = form.is_valid() & people.is_valid()
    filled = people.filled()
    persons: list[services.Person] = []
    waiting = False
    # Every row that parses has its phone checked now, so one round shows every question.
    for row in filled:
        if row.errors:
            continue
        person, matches = _resolve_person(request, row)
        row.matches = _match_rows(matches)
        if person is None:
            waiting = True
        else:
            persons.append(person)
    if not valid:
        messages.error(request, _("Nothing was saved: please correct the errors below."))
        return None
    if waiting:
        messages.warning(
            request,
            _(
                "Nothing was saved yet: a mobile below is already known. Link that record or "
                "change the number."
            ),
        )
        return None
    data = form.cleaned_data
    try:
        ask = services.referral_request_record(
            owner=request.user,
            client=data["client"],
            asked_on=data["asked_on"],
            context=data["context"],
            people=persons,
            refusal_reason=data.get("refusal_reason") or "",
            notes=data.get("notes") or "",
            policy=data.get("policy"),
            by=request.user,
        )
    except ValidationError as exc:
        add_service_errors(form, exc)
        messages.error(request, _("Nothing was saved: please correct the errors below."))
        return None
    earlier = pages.recent_ask_of(
        user=request.user, client_id=ask.client_id, on=ask.asked_on, exclude_pk=ask.pk
    )
    if earlier is not None:
        messages.warning(
            request,
            _(
                "%(client)s was already asked for referrals on %(day)s, less than %(days)s days "
                "ago: take care not to over-use a referrer."
            )
            % {
                "client": ask.client.name,
                "day": date_format(earlier.asked_on, "MONTH_DAY_FORMAT"),
                "days": pages.REASK_WARN_DAYS,
            },
        )
    if ask.names_given:
        messages.success(
            request,
            ngettext(
                "Ask recorded: %(count)d name from %(client)s.",
                "Ask recorded: %(count)d names from %(client)s.",
                ask.names_given,
            )
            % {"count": ask.names_given, "client": ask.client.name},
        )
    else:
        messages.success(
            request,
            _("Ask recorded: %(client)s gave no names (%(reason)s).")
            % {"client": ask.client.name, "reason": ask.get_refusal_reason_display()},
        )
    if data.get("back") == ReferralRequestForm.BACK_CLIENT:
        return redirect("clients:detail", pk=ask.client_id)
    return redirect("referrals:requests")


def request_list(request):
    user = request.user
    return list_page(
        request,
        pages.referral_request_list(user=user, filters=request.GET),
        "referrals/request_list.html",
        context={"form": pages.ReferralRequestFilter(request.GET, user=user).form},
    )
