"""What a row of the client list shows, computed once per page in Python.

The selector loads the rows (the columns a row shows, the mobile as its stored string);
`decorate` attaches the segments and tags (as plain strings, two queries), the link, the
phone texts, the labels and the date, so the template only prints strings: no `{% url %}`,
phone parsing, choice lookup, model per tag or date formatting per row.
"""

from django.urls import reverse
from django.utils.formats import date_format

from agentcrm.core.phones import phone_texts

from .models import Client
from .selectors import client_row_lists

_PK = 2_147_483_647  # stands for the pk in a reversed URL


def decorate(clients: list[Client]) -> list[Client]:
    if not clients:
        return clients
    url = reverse("clients:detail", kwargs={"pk": _PK})
    stages = {value: str(label) for value, label in Client.Stage.choices}
    tiers = {value: str(label) for value, label in Client.Tier.choices}
    dates: dict = {}
    lists = client_row_lists(client_ids=[client.pk for client in clients])
    for client in clients:
        client.segment_list, client.tag_list = lists[client.pk]
        client.url = url.replace(str(_PK), str(client.pk))
        client.stage_label = stages.get(client.stage, client.stage)
        client.tier_label = tiers.get(client.vip_tier, client.vip_tier)
        client.phone = phone_texts(client.mobile_text or "")
        last = client.last_contact
        if last is not None and last not in dates:
            dates[last] = date_format(last, "SHORT_DATE_FORMAT")
        client.last_contact_text = dates.get(last, "")
    return clients
