from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from touches.greetings import fill_placeholders, sms_href, text_for_editor

from . import selectors, services
from .forms import CampaignForm

PAGE_SIZE = 50


def _audience_data(request):
    source = request.POST if request.method == "POST" else request.GET
    return {k: source.get(k) for k in selectors.AUDIENCE_FIELDS if source.get(k) not in (None, "")}


def campaign_list(request):
    """The agent's campaigns, and (GET) the form for a new one; POST creates it."""
    user = request.user
    audience_data = _audience_data(request)
    form = CampaignForm(request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                campaign = services.campaign_create(
                    owner=user, audience=audience_data, **form.cleaned_data
                )
            except ValidationError as error:
                if hasattr(error, "error_dict"):
                    for field, errors in error.error_dict.items():
                        form.add_error(field if field in form.fields else None, errors)
                else:
                    form.add_error(None, error)
            else:
                messages.success(
                    request,
                    _("Campaign made: %(made)s touches, %(dnc)s do-not-contact clients left out.")
                    % {"made": campaign.touches_made, "dnc": campaign.do_not_contact_excluded},
                )
                return redirect("campaigns:detail", pk=campaign.pk)
        status = 400
    filters = selectors.audience_filter(user=user, data=audience_data)
    return render(
        request,
        "campaigns/campaign_list.html",
        {
            "form": form,
            "filter_form": filters.form,
            "audience": selectors.audience_for(user=user, data=audience_data),
            "campaigns": selectors.campaign_list(user=user),
        },
        status=status,
    )


@require_GET
def audience_preview(request):
    """htmx: the size of the audience the filters select, as the agent changes them."""
    audience = selectors.audience_for(user=request.user, data=_audience_data(request))
    return render(request, "campaigns/_audience_size.html", {"audience": audience})


@require_GET
def campaign_detail(request, pk: int):
    campaign = selectors.get_campaign_for_user(user=request.user, pk=pk)
    page = Paginator(selectors.campaign_touches(campaign=campaign), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    for touch in page.object_list:
        touch.message = fill_placeholders(campaign.message, {"name": touch.client.address_as})
        touch.sms = sms_href(touch.client.mobile, touch.message)
    return render(
        request,
        "campaigns/campaign_detail.html",
        {
            "campaign": campaign,
            "message_shown": text_for_editor(campaign.message),
            "counts": selectors.campaign_counts(campaign=campaign),
            "page": page,
            "today": timezone.localdate(),
        },
    )
