"""Issue 14's invitation touch gives a greeting card (issue 13's): its design drawn by the
code, the card page and image for the agent's own touch, 404 for anyone else's, and a link
from the event's invite list where the invitation touch exists."""

import io

import pytest
from django.urls import reverse
from PIL import Image

from events.occasions import INVITE_KIND
from handouts.cards import CARD_KINDS, MOTIFS, design_for

from .event_factories import EventFactory, InviteeFactory
from .factories import ClientFactory, UserFactory, force_login_verified
from .touch_factories import TouchFactory


@pytest.fixture
def invitation(owner):
    event = EventFactory(owner=owner, title="秋季茶话会")
    invitee = InviteeFactory(event=event, client=ClientFactory(owner=owner, name="王芳"))
    touch = TouchFactory(
        client=invitee.client, kind=INVITE_KIND, source=f"invitee:{invitee.pk}", label=event.title
    )
    return event, invitee, touch


def test_the_invitation_has_a_design_of_its_own():
    assert INVITE_KIND in CARD_KINDS
    design = design_for(INVITE_KIND)
    assert design.motif == "invitation" and design.motif in MOTIFS
    assert design != design_for("custom_date")


@pytest.mark.django_db
def test_invitation_card_page_and_image(invitation, owner, client):
    event, invitee, touch = invitation
    force_login_verified(client, owner)
    image = client.get(reverse("touch_cards:image", args=[touch.pk]))
    assert image.status_code == 200 and image["Content-Type"] == "image/png"
    assert Image.open(io.BytesIO(image.content)).size == (750, 1000)
    page = client.get(reverse("touch_cards:page", args=[touch.pk])).content.decode()
    assert "秋季茶话会" in page  # the greeting names the event
    assert "诚挚邀请" in page and "card-share.js" in page


@pytest.mark.django_db
def test_event_invite_list_links_the_card_where_the_touch_exists(invitation, owner, client):
    event, invitee, touch = invitation
    other = InviteeFactory(event=event, client=ClientFactory(owner=owner, name="李雷"))
    force_login_verified(client, owner)
    body = client.get(reverse("events:detail", args=[event.pk])).content.decode()
    card_url = reverse("touch_cards:page", args=[touch.pk])
    assert body.count('class="invitation-card"') == 1 and card_url in body
    assert f'id="invitee-{other.pk}"' in body


@pytest.mark.django_db
def test_another_agents_invitation_touch_is_404(invitation, client):
    _event, _invitee, touch = invitation
    stranger = UserFactory(username="stranger")
    force_login_verified(client, stranger)
    assert client.get(reverse("touch_cards:page", args=[touch.pk])).status_code == 404
    assert client.get(reverse("touch_cards:image", args=[touch.pk])).status_code == 404


@pytest.mark.django_db
def test_an_invitation_touch_of_another_agent_is_not_linked(invitation, owner, client):
    """The link is looked up among the event's agent's own touches only."""
    event, invitee, touch = invitation
    touch.owner = UserFactory(username="someone-else")
    touch.save()
    force_login_verified(client, owner)
    body = client.get(reverse("events:detail", args=[event.pk])).content.decode()
    assert 'class="invitation-card"' not in body
