"""The access matrix: every URL pattern of the project, walked from the resolver, against the
fixed personas. A URL added later without an entry in MATRIX fails `test_every_url_has_an_entry`.

Rules (the brief's privacy promise):
- anonymous → the login page (public URLs excepted);
- an agent's object asked for by anyone else (teammate, outsider, their manager) → 404;
- an agent on a manager page → 403; a manager on another team's agent → 404;
- views that change data refuse GET (405).
"""

import datetime
from dataclasses import dataclass, field

import pytest
from django.test import Client as HttpClient
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from agentcrm.accounts.models import User
from campaigns.models import Campaign
from clients.models import ClientMerge
from handover.models import Handover
from introductions.models import Introduction, Need, Offer
from touches.models import CalendarFeed

from .event_factories import EventFactory, GiftFactory, InviteeFactory
from .factories import (
    ClientFactory,
    CommitmentFactory,
    TeamFactory,
    UserFactory,
    force_login_verified,
)
from .policy_factories import PayoutFactory, PolicyFactory
from .policy_records_factories import AnnualReviewFactory
from .referral_factories import ReferralFactory, ReferralStageChangeFactory
from .service_request_factories import ServiceRequestDocumentFactory, ServiceRequestFactory
from .touch_factories import TouchFactory

PUBLIC, SIGNED_IN, OWNED, MANAGER, TEAM_AGENT = (
    "public",
    "signed-in",
    "owned",
    "manager",
    "team-agent",
)


@dataclass(frozen=True)
class Entry:
    kind: str
    # Names of objects in the `world` fixture, mapped to the URL's keyword arguments.
    args: dict[str, str] = field(default_factory=dict)
    post_only: bool = False
    # What the owner (or manager) gets for a GET when it is not plain 200: a redirect to a
    # page, a file download or a POST-only 405 are all fine, a 404 or 500 is not.
    owner_get: tuple[int, ...] = (200,)


MATRIX: dict[str, Entry] = {
    # Public by design.
    "healthz": Entry(PUBLIC),
    "login": Entry(PUBLIC),
    # Django's set_language: a GET changes nothing and redirects back.
    "set_language": Entry(PUBLIC, owner_get=(302,)),
    "calendar_feed:feed": Entry(PUBLIC, {"token": "feed_token"}),
    # Any signed-in user, no object.
    "dashboard": Entry(SIGNED_IN),
    "logout": Entry(SIGNED_IN, post_only=True),
    "password_change": Entry(SIGNED_IN),
    "password_change_done": Entry(SIGNED_IN),
    # Two-step sign-in: the code page sends a user who owes no code on (302); enrolment is
    # for managers and admins (an agent gets 403, see test_security_otp).
    "otp_verify": Entry(SIGNED_IN, owner_get=(302,)),
    "otp_setup": Entry(MANAGER),
    "otp_disable": Entry(SIGNED_IN, post_only=True),
    "otp_backup_codes": Entry(SIGNED_IN, post_only=True),
    "clients:list": Entry(SIGNED_IN),
    "clients:create": Entry(SIGNED_IN),
    "clients:commitments": Entry(SIGNED_IN),
    "policies:list": Entry(SIGNED_IN),
    "policies:create": Entry(SIGNED_IN),
    # The policy form's pickers: no object in the URL; a holder given in the query is loaded
    # through get_client_for_user (another agent's: 404, test_policy_pickers).
    "policies:people": Entry(SIGNED_IN),
    "imports:index": Entry(SIGNED_IN),
    "imports:template": Entry(SIGNED_IN),
    "imports:export_clients": Entry(SIGNED_IN),
    "imports:export_policies": Entry(SIGNED_IN),
    "touches:list": Entry(SIGNED_IN),
    "touches:settings": Entry(SIGNED_IN),
    # Bulk actions on the dashboard's cards: scoped to the user's own touches by the query.
    "touches:card_done": Entry(SIGNED_IN, post_only=True),
    "touches:festival_done": Entry(SIGNED_IN, post_only=True),
    "touches:digest_settings": Entry(SIGNED_IN),
    "service_requests:list": Entry(SIGNED_IN),
    "service_requests:create": Entry(SIGNED_IN),
    "calendar_feed:settings": Entry(SIGNED_IN),
    "calendar_feed:regenerate": Entry(SIGNED_IN, post_only=True),
    "referrals:list": Entry(SIGNED_IN),
    "referrals:new": Entry(SIGNED_IN),
    "referrals:ask": Entry(SIGNED_IN),
    "referrals:requests": Entry(SIGNED_IN),
    "referrals:influence": Entry(SIGNED_IN),
    "referrals:sources": Entry(SIGNED_IN),
    "events:list": Entry(SIGNED_IN),
    "events:create": Entry(SIGNED_IN),
    "gifts:ideas": Entry(SIGNED_IN),
    "gifts:settings": Entry(SIGNED_IN),
    # The agent's own service figures and lapse guard (their own book only).
    "discipline:service": Entry(SIGNED_IN),
    "discipline:lapse": Entry(SIGNED_IN),
    "discipline:rates": Entry(SIGNED_IN),
    # One agent's objects.
    "clients:detail": Entry(OWNED, {"pk": "client"}),
    "clients:edit": Entry(OWNED, {"pk": "client"}),
    "clients:archive": Entry(OWNED, {"pk": "client"}, post_only=True),
    "clients:unarchive": Entry(OWNED, {"pk": "client"}, post_only=True),
    "clients:delete": Entry(OWNED, {"pk": "client"}, post_only=True),
    "clients:merge": Entry(OWNED, {"pk": "client", "other_id": "client2"}),
    "clients:merge_undo": Entry(OWNED, {"merge_id": "merge"}, post_only=True),
    "clients:interaction_add": Entry(OWNED, {"pk": "client"}, post_only=True),
    "clients:life_event_add": Entry(OWNED, {"pk": "client"}, post_only=True),
    "clients:commitment_add": Entry(OWNED, {"pk": "client"}, post_only=True),
    "clients:commitment_done": Entry(
        OWNED, {"pk": "client", "commitment_id": "commitment"}, post_only=True
    ),
    "clients:commitment_reopen": Entry(
        OWNED, {"pk": "client", "commitment_id": "commitment"}, post_only=True
    ),
    "client_referrals:chain": Entry(OWNED, {"pk": "client"}),
    # PIPL: the client's data as a zip download; the erasure's confirmation page (POST erases).
    "client_privacy:export": Entry(OWNED, {"pk": "client"}),
    "client_privacy:erase": Entry(OWNED, {"pk": "client"}),
    "policies:detail": Entry(OWNED, {"pk": "policy"}),
    "policies:edit": Entry(OWNED, {"pk": "policy"}),
    "policies:status_change": Entry(OWNED, {"pk": "policy"}, post_only=True),
    "policies:premium_pay": Entry(OWNED, {"pk": "policy"}, post_only=True),
    "policies:payout_generate": Entry(OWNED, {"pk": "policy"}, post_only=True),
    "policies:payout_add": Entry(OWNED, {"pk": "policy"}, post_only=True),
    "policies:payout_edit": Entry(OWNED, {"pk": "policy", "payout_pk": "payout"}),
    "policies:payout_delete": Entry(OWNED, {"pk": "policy", "payout_pk": "payout"}, post_only=True),
    "policies:payout_claim": Entry(OWNED, {"pk": "policy", "payout_pk": "payout"}, post_only=True),
    "policies:delivery": Entry(OWNED, {"pk": "policy"}),
    "policies:delivery_tick": Entry(OWNED, {"pk": "policy"}, post_only=True),
    "policies:review_create": Entry(OWNED, {"pk": "policy"}),
    "policies:review_detail": Entry(OWNED, {"review_pk": "review"}),
    "policies:review_edit": Entry(OWNED, {"review_pk": "review"}),
    "imports:detail": Entry(OWNED, {"pk": "import_job"}),
    "imports:progress": Entry(OWNED, {"pk": "import_job"}),
    "imports:confirm": Entry(OWNED, {"pk": "import_job"}, post_only=True),
    "touches:done": Entry(OWNED, {"pk": "touch"}, post_only=True),
    "touches:snooze": Entry(OWNED, {"pk": "touch"}, post_only=True),
    "touches:skip": Entry(OWNED, {"pk": "touch"}, post_only=True),
    "touches:reopen": Entry(OWNED, {"pk": "touch"}, post_only=True),
    "service_requests:detail": Entry(OWNED, {"pk": "service_request"}),
    "service_requests:edit": Entry(OWNED, {"pk": "service_request"}),
    "service_requests:status": Entry(OWNED, {"pk": "service_request"}, post_only=True),
    "service_requests:document_add": Entry(OWNED, {"pk": "service_request"}, post_only=True),
    "service_requests:document_toggle": Entry(
        OWNED, {"pk": "service_request", "document_id": "document"}, post_only=True
    ),
    "service_requests:document_remove": Entry(
        OWNED, {"pk": "service_request", "document_id": "document"}, post_only=True
    ),
    # The household review (handouts): the page, the PDF and the long image of a client's
    # household, the annual review's kept snapshot; the greeting card of a touch.
    "handouts:household": Entry(OWNED, {"pk": "client"}),
    "handouts:review_pdf": Entry(OWNED, {"pk": "client"}),
    "handouts:review_png": Entry(OWNED, {"pk": "client"}),
    "handouts:review_snapshot": Entry(OWNED, {"review_pk": "review"}),
    "handouts:review_snapshot_save": Entry(OWNED, {"review_pk": "review"}, post_only=True),
    "touch_cards:page": Entry(OWNED, {"pk": "touch"}),
    "touch_cards:image": Entry(OWNED, {"pk": "touch"}),
    "referrals:detail": Entry(OWNED, {"pk": "referral"}),
    "referrals:stage": Entry(OWNED, {"pk": "referral"}, post_only=True),
    "referrals:thank": Entry(OWNED, {"pk": "referral"}, post_only=True),
    "referrals:feedback": Entry(OWNED, {"pk": "stage_change"}, post_only=True),
    "events:detail": Entry(OWNED, {"pk": "event"}),
    "events:edit": Entry(OWNED, {"pk": "event"}),
    "events:invite": Entry(OWNED, {"pk": "event"}, post_only=True),
    "events:uninvite": Entry(OWNED, {"pk": "event", "invitee_id": "invitee"}, post_only=True),
    "events:status": Entry(OWNED, {"pk": "event", "invitee_id": "invitee"}, post_only=True),
    "events:guest": Entry(OWNED, {"pk": "event", "invitee_id": "invitee"}, post_only=True),
    "client_gifts:log": Entry(OWNED, {"pk": "client"}),
    "client_gifts:delete": Entry(OWNED, {"pk": "client", "gift_id": "gift"}, post_only=True),
    "discipline:lapse_contact": Entry(OWNED, {"pk": "policy"}, post_only=True),
    "discipline:lapse_promise": Entry(OWNED, {"pk": "policy"}, post_only=True),
    # The manager's pages.
    "team_gifts:overview": Entry(MANAGER),
    "team_referrals:overview": Entry(MANAGER),
    "team_referrals:export": Entry(MANAGER, {"fmt": "csv_format"}),
    "team_referrals:agent": Entry(TEAM_AGENT, {"pk": "owner"}),
    "campaigns:list": Entry(SIGNED_IN),
    "campaigns:audience": Entry(SIGNED_IN),
    "campaigns:detail": Entry(OWNED, {"pk": "campaign"}),
    "introductions:index": Entry(SIGNED_IN),
    "introductions:offer_new": Entry(SIGNED_IN, post_only=True),
    "introductions:need_new": Entry(SIGNED_IN, post_only=True),
    "introductions:introduce": Entry(SIGNED_IN, post_only=True),
    "introductions:people": Entry(SIGNED_IN),
    "introductions:profile_new": Entry(SIGNED_IN, post_only=True),
    "introductions:match": Entry(SIGNED_IN, post_only=True),
    "introductions:offer_consent": Entry(OWNED, {"pk": "offer"}, post_only=True),
    "introductions:need_consent": Entry(OWNED, {"pk": "need"}, post_only=True),
    "introductions:outcome": Entry(OWNED, {"pk": "introduction"}, post_only=True),
    "referrals:ask_check": Entry(SIGNED_IN),
    "handover:start": Entry(MANAGER),
    "handover:detail": Entry(TEAM_AGENT, {"pk": "handover"}),
    "team_service:overview": Entry(MANAGER),
    "team_service:export": Entry(MANAGER),
    "team_service:lapse": Entry(MANAGER),
    "team_service:agent": Entry(TEAM_AGENT, {"agent_id": "owner"}),
}


def walk(patterns, namespace=""):
    for p in patterns:
        if isinstance(p, URLResolver):
            inner = p.namespace or ""
            ns = f"{namespace}:{inner}" if namespace and inner else (inner or namespace)
            yield from walk(p.url_patterns, ns)
        elif isinstance(p, URLPattern):
            yield f"{namespace}:{p.name}" if namespace else (p.name or str(p.pattern))


def project_url_names() -> set[str]:
    # The admin has its own permission system and its own tests of it (Django's).
    return {name for name in walk(get_resolver().url_patterns) if not name.startswith("admin:")}


def test_every_url_has_an_entry():
    names = project_url_names()
    missing = sorted(names - set(MATRIX))
    assert not missing, f"URL patterns without an access-matrix entry: {missing}"
    stale = sorted(set(MATRIX) - names)
    assert not stale, f"Matrix entries for URLs that no longer exist: {stale}"


@pytest.fixture
def world(owner, teammate, outsider, manager):
    """One of each object, all belonging to `owner`."""
    client = ClientFactory(owner=owner, name="王芳")
    policy = PolicyFactory(holder=client, number="P-MATRIX-1")
    referral = ReferralFactory(referrer=client)
    service_request = ServiceRequestFactory(policy=policy, description="住院理赔")
    other = ClientFactory(owner=owner, name="李强")
    offer = Offer.objects.create(
        client=client, title="洗车店", consent_on=datetime.date(2026, 11, 1)
    )
    from spreadsheets.models import ImportJob

    event = EventFactory(owner=owner)
    return {
        "owner": owner,
        "client": client,
        "event": event,
        "invitee": InviteeFactory(event=event, client=client),
        "gift": GiftFactory(client=client),
        "commitment": CommitmentFactory(client=client),
        "policy": policy,
        "payout": PayoutFactory(policy=policy),
        "review": AnnualReviewFactory(household=client, policies=[policy]),
        "touch": TouchFactory(client=client),
        "service_request": service_request,
        "document": ServiceRequestDocumentFactory(request=service_request, name="出院小结"),
        "import_job": ImportJob.objects.create(
            owner=owner, original_name="客户.xlsx", kind="xlsx", file="imports/x.xlsx"
        ),
        "referral": referral,
        "stage_change": ReferralStageChangeFactory(referral=referral),
        "feed_token": CalendarFeed.objects.create(owner=owner).token,
        "csv_format": "csv",
        "handover": Handover.objects.create(from_agent=owner, by=manager),
        "client2": ClientFactory(owner=owner, name="王芳"),
        "campaign": Campaign.objects.create(
            owner=owner,
            reason="information",
            title="社保新政",
            message="{name}，您好",
            due_date=datetime.date(2026, 12, 1),
        ),
        "offer": offer,
        "need": Need.objects.create(client=client, kind="owns_car"),
        "introduction": Introduction.objects.create(
            owner=owner,
            client_a=client,
            client_b=other,
            offer=offer,
            introduced_on=datetime.date(2026, 11, 1),
        ),
        "merge": ClientMerge.objects.create(
            owner=owner, kept=client, other=ClientFactory(owner=owner, name="王小芳")
        ),
    }


def url_of(name: str, world: dict) -> str:
    entry = MATRIX[name]
    kwargs = {}
    for arg, key in entry.args.items():
        value = world[key]
        kwargs[arg] = getattr(value, "pk", value)
    return reverse(name, kwargs=kwargs)


def signed_in(user) -> HttpClient:
    http = HttpClient()
    force_login_verified(http, user)
    return http


def names_of(*kinds: str) -> list[str]:
    return sorted(n for n, e in MATRIX.items() if e.kind in kinds)


@pytest.mark.django_db
@pytest.mark.parametrize("name", names_of(SIGNED_IN, OWNED, MANAGER, TEAM_AGENT))
def test_anonymous_is_sent_to_login(world, name):
    url = url_of(name, world)
    for method in ("get", "post"):
        response = getattr(HttpClient(), method)(url)
        assert response.status_code == 302, (method, url)
        assert response["Location"].startswith(reverse("login")), (method, url)


@pytest.mark.django_db
@pytest.mark.parametrize("name", names_of(OWNED))
def test_owner_may_open_their_object(world, owner, name):
    response = signed_in(owner).get(url_of(name, world))
    expected = (405,) if MATRIX[name].post_only else MATRIX[name].owner_get
    assert response.status_code in expected, name


@pytest.mark.django_db
@pytest.mark.parametrize("name", names_of(OWNED))
@pytest.mark.parametrize("persona", ["teammate", "outsider", "manager", "admin_user"])
def test_another_users_object_is_404(world, request, name, persona):
    other = signed_in(request.getfixturevalue(persona))
    url = url_of(name, world)
    method = "post" if MATRIX[name].post_only else "get"
    assert getattr(other, method)(url).status_code == 404, (persona, name)


@pytest.mark.django_db
@pytest.mark.parametrize("name", names_of(SIGNED_IN))
def test_signed_in_pages_open(world, owner, name):
    response = signed_in(owner).get(url_of(name, world))
    expected = (405,) if MATRIX[name].post_only else MATRIX[name].owner_get
    assert response.status_code in expected, name


@pytest.mark.django_db
@pytest.mark.parametrize("name", names_of(MANAGER, TEAM_AGENT))
def test_agent_on_manager_pages_is_403(world, owner, name):
    assert signed_in(owner).get(url_of(name, world)).status_code == 403, name


@pytest.mark.django_db
@pytest.mark.parametrize("name", names_of(MANAGER, TEAM_AGENT))
def test_manager_opens_team_pages(world, manager, name):
    assert signed_in(manager).get(url_of(name, world)).status_code == 200, name


@pytest.mark.django_db
@pytest.mark.parametrize("name", names_of(TEAM_AGENT))
def test_manager_of_another_team_gets_404(world, name):
    other_manager = UserFactory(username="other-manager", role=User.Role.MANAGER)
    TeamFactory(name="广州三部", manager=other_manager)
    assert signed_in(other_manager).get(url_of(name, world)).status_code == 404, name


@pytest.mark.django_db
@pytest.mark.parametrize("name", sorted(n for n, e in MATRIX.items() if e.post_only))
def test_post_only_views_refuse_get(world, owner, name):
    assert signed_in(owner).get(url_of(name, world)).status_code == 405, name


@pytest.mark.django_db
@pytest.mark.parametrize("name", names_of(PUBLIC))
def test_public_urls_need_no_login(world, name):
    response = HttpClient().get(url_of(name, world))
    assert response.status_code in (200, 302), name
    if response.status_code == 302:
        assert not response["Location"].startswith(reverse("login")), name
