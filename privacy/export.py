"""Everything held about one client, for the client's request for a copy of their data: a zip
of JSON files, one per kind of record (client.json, family.json, policies.json, …,
history.json), each a list of objects keyed by field name.

ID numbers and policy numbers are masked, as in every file that leaves the system; the rest
is given as stored (the client is entitled to it). The queries are one or two per kind of
record, whatever their number.
"""

import io
import json
import zipfile
from collections.abc import Iterable

from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import Model, Q
from django.utils import timezone
from phonenumber_field.phonenumber import PhoneNumber

from agentcrm.core.masking import mask_id
from clients.models import Client
from events.models import Invitee, InviteeStatusChange
from gifts.models import Gift
from introductions.models import Introduction, MatchProfile, Need, Offer
from policies.models import Beneficiary, Payout, Policy, PolicyStatusChange, PremiumPayment, Rider
from referrals.models import Referral, ReferralRequest, ReferralStageChange
from servicing.models import AnnualReview, Delivery, ServiceRequest, ServiceRequestStatusChange
from touches.models import Touch

# Never written to the file; the ID and policy numbers are masked instead.
SKIPPED = {"id_number_digest", "birth_md", "wedding_md"}
MASKED = {"id_number", "number"}


def _value(obj: Model, field) -> object:
    value = getattr(obj, field.attname)
    if field.name in MASKED:
        return mask_id(value)
    if isinstance(value, PhoneNumber):
        return value.as_e164 if value.is_valid() else str(value)
    return value


def _rows(objects: Iterable[Model]) -> list[dict]:
    rows = []
    for obj in objects:
        fields = [f for f in obj._meta.concrete_fields if f.name not in SKIPPED]
        rows.append({f.attname: _value(obj, f) for f in fields})
    return rows


def client_data_sections(*, client: Client) -> dict[str, list[dict]]:
    """The records, by file name (without .json)."""
    pk = client.pk
    policies = Policy.objects.filter(Q(holder_id=pk) | Q(insured_client_id=pk)).order_by("id")
    policy_ids = list(policies.values_list("id", flat=True))
    requests = ServiceRequest.objects.filter(policy_id__in=policy_ids).order_by("id")
    referrals = Referral.objects.filter(Q(referrer_id=pk) | Q(referred_id=pk)).order_by("id")
    referral_ids = list(referrals.values_list("id", flat=True))
    asks = ReferralRequest.objects.filter(client_id=pk).order_by("id")
    family = client.family.order_by("id")
    history_sources = [
        ("client", Client.history.filter(id=pk)),
        ("family_member", family.model.history.filter(client_id=pk)),
        ("policy", Policy.history.filter(id__in=policy_ids)),
        ("rider", Rider.history.filter(policy_id__in=policy_ids)),
        ("beneficiary", Beneficiary.history.filter(policy_id__in=policy_ids)),
        ("service_request", ServiceRequest.history.filter(policy_id__in=policy_ids)),
        ("referral", Referral.history.filter(id__in=referral_ids)),
        ("referral_request", ReferralRequest.history.filter(client_id=pk)),
    ]
    history = []
    for subject, records in history_sources:
        for row in _rows(records.order_by("history_date", "history_id")):
            history.append({"record": subject, **row})
    return {
        "client": [
            {
                **_rows([client])[0],
                "tags": [t.name for t in client.tags.all()],
                "segments": [s.code for s in client.segments.all()],
            }
        ],
        "family": _rows(family),
        "custom_dates": _rows(client.custom_dates.order_by("id")),
        "interactions": _rows(client.interactions.order_by("date", "id")),
        "life_events": _rows(client.life_events.order_by("date", "id")),
        "promises": _rows(client.commitments.order_by("due_date", "id")),
        "policies": _rows(policies),
        "riders": _rows(Rider.objects.filter(policy_id__in=policy_ids).order_by("id")),
        "beneficiaries": _rows(Beneficiary.objects.filter(policy_id__in=policy_ids).order_by("id")),
        "premium_payments": _rows(
            PremiumPayment.objects.filter(policy_id__in=policy_ids).order_by("id")
        ),
        "payouts": _rows(Payout.objects.filter(policy_id__in=policy_ids).order_by("id")),
        "policy_status_changes": _rows(
            PolicyStatusChange.objects.filter(policy_id__in=policy_ids).order_by("id")
        ),
        "deliveries": _rows(Delivery.objects.filter(policy_id__in=policy_ids).order_by("id")),
        "service_requests": _rows(requests),
        "service_request_steps": _rows(
            ServiceRequestStatusChange.objects.filter(request__policy_id__in=policy_ids).order_by(
                "id"
            )
        ),
        "annual_reviews": _rows(AnnualReview.objects.filter(household_id=pk).order_by("id")),
        "referrals": _rows(referrals),
        "referral_steps": _rows(
            ReferralStageChange.objects.filter(referral_id__in=referral_ids).order_by("id")
        ),
        "referral_requests": _rows(asks),
        "touches": _rows(Touch.objects.filter(client_id=pk).order_by("due_date", "id")),
        "introduction_offers": _rows(Offer.objects.filter(client_id=pk).order_by("id")),
        "introduction_needs": _rows(Need.objects.filter(client_id=pk).order_by("id")),
        "matchmaking": _rows(MatchProfile.objects.filter(client_id=pk).order_by("id")),
        "introductions": _rows(
            Introduction.objects.filter(Q(client_a_id=pk) | Q(client_b_id=pk)).order_by("id")
        ),
        "gifts": _rows(Gift.objects.filter(client_id=pk).order_by("given_on", "id")),
        "event_invitations": _rows(Invitee.objects.filter(client_id=pk).order_by("id")),
        "event_invitation_steps": _rows(
            InviteeStatusChange.objects.filter(invitee__client_id=pk).order_by("at", "id")
        ),
        "history": history,
    }


def client_data_archive(*, client: Client) -> tuple[bytes, int]:
    """The zip file and how many records it holds (for the export log)."""
    sections = client_data_sections(client=client)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, rows in sections.items():
            text = json.dumps(rows, cls=DjangoJSONEncoder, ensure_ascii=False, indent=2)
            archive.writestr(f"{name}.json", text)
        archive.writestr(
            "README.txt",
            f"AgentCRM · client {client.pk} · {timezone.localtime():%Y-%m-%d %H:%M}\n"
            "ID and policy numbers are masked.\n",
        )
    return buffer.getvalue(), sum(len(rows) for rows in sections.values())
