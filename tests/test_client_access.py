"""Scoping: every client URL, for every persona.

The matrix is checked against the URL resolver, so a new client URL without an entry
fails `test_every_client_url_is_in_the_matrix`.
"""

import pytest
from django.urls import get_resolver, reverse
from django.utils import timezone

from clients.models import Client, Commitment

from .factories import ClientFactory, CommitmentFactory
from .touch_factories import TouchFactory

# name -> (method, needs a client object, needs a commitment)
MATRIX = {
    "list": ("GET", False, False),
    "create": ("GET", False, False),
    "commitments": ("GET", False, False),
    "detail": ("GET", True, False),
    "edit": ("GET", True, False),
    "archive": ("POST", True, False),
    "unarchive": ("POST", True, False),
    "delete": ("POST", True, False),
    "interaction_add": ("POST", True, False),
    "life_event_add": ("POST", True, False),
    "commitment_add": ("POST", True, False),
    "commitment_done": ("POST", True, True),
    "commitment_reopen": ("POST", True, True),
}

# URLs with more than the client in them, checked for every persona in
# tests/test_access_matrix.py and tests/test_client_merge.py.
COVERED_ELSEWHERE = {"merge", "merge_undo"}

OBJECT_URLS = [name for name, (_, needs_obj, _) in MATRIX.items() if needs_obj]
POST_URLS = [name for name, (method, _, _) in MATRIX.items() if method == "POST"]


def client_url_names() -> set[str]:
    resolver = get_resolver()
    names = set()
    for key in resolver.reverse_dict:
        if isinstance(key, str) and key.startswith("clients:"):
            names.add(key.removeprefix("clients:"))
    namespaced = resolver.namespace_dict["clients"][1]
    names |= {k for k in namespaced.reverse_dict if isinstance(k, str)}
    return names


def url_for(name: str, client_obj: Client, commitment: Commitment | None) -> str:
    _, needs_obj, needs_commitment = MATRIX[name]
    kwargs = {}
    if needs_obj:
        kwargs["pk"] = client_obj.pk
    if needs_commitment:
        kwargs["commitment_id"] = commitment.pk
    return reverse(f"clients:{name}", kwargs=kwargs)


@pytest.fixture
def commitment(client_obj):
    return CommitmentFactory(client=client_obj)


def test_every_client_url_is_in_the_matrix():
    assert client_url_names() == set(MATRIX) | COVERED_ELSEWHERE


@pytest.mark.django_db
@pytest.mark.parametrize("name", sorted(MATRIX))
def test_anonymous_is_sent_to_login(client, name, client_obj, commitment):
    url = url_for(name, client_obj, commitment)
    response = getattr(client, MATRIX[name][0].lower())(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


@pytest.mark.django_db
@pytest.mark.parametrize("persona", ["teammate", "outsider", "manager", "admin_user"])
@pytest.mark.parametrize("name", OBJECT_URLS)
def test_someone_elses_client_is_404(request, as_user, persona, name, client_obj, commitment):
    user = request.getfixturevalue(persona)
    http = as_user(user)
    url = url_for(name, client_obj, commitment)
    response = getattr(http, MATRIX[name][0].lower())(url, {"kind": "call"})
    assert response.status_code == 404
    client_obj.refresh_from_db()
    assert client_obj.archived_at is None
    assert Client.objects.filter(pk=client_obj.pk).exists()
    assert not client_obj.interactions.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("name", sorted(MATRIX))
def test_owner_is_served(as_user, owner, name, client_obj, commitment):
    http = as_user(owner)
    url = url_for(name, client_obj, commitment)
    method = MATRIX[name][0]
    response = http.get(url) if method == "GET" else http.post(url, {})
    # GET pages render; POST actions redirect (or answer 400 for an empty form).
    assert response.status_code in ({200} if method == "GET" else {302, 400})


@pytest.mark.django_db
@pytest.mark.parametrize("name", POST_URLS)
def test_post_only_views_refuse_get(as_user, owner, name, client_obj, commitment):
    response = as_user(owner).get(url_for(name, client_obj, commitment))
    assert response.status_code == 405


@pytest.mark.django_db
def test_commitment_of_another_agents_client_is_404(as_user, owner, outsider, client_obj):
    foreign = CommitmentFactory(client=ClientFactory(owner=outsider))
    url = reverse(
        "clients:commitment_done", kwargs={"pk": client_obj.pk, "commitment_id": foreign.pk}
    )
    assert as_user(owner).post(url).status_code == 404
    foreign.refresh_from_db()
    assert foreign.done_date is None


@pytest.mark.django_db
def test_lists_show_only_own_clients(as_user, owner, teammate, client_obj):
    ClientFactory(owner=teammate, name="李雷")
    foreign = ClientFactory(owner=teammate, name="韩梅梅")
    CommitmentFactory(client=foreign)
    TouchFactory(client=foreign, due_date=timezone.localdate())  # due today, on their dashboard
    http = as_user(owner)
    body = http.get(reverse("clients:list")).content.decode()
    assert "王芳" in body and "李雷" not in body
    commitments = http.get(reverse("clients:commitments")).content.decode()
    assert "韩梅梅" not in commitments
    dashboard = http.get(reverse("dashboard")).content.decode()
    assert "韩梅梅" not in dashboard


@pytest.mark.django_db
def test_client_form_lists_no_other_clients(as_user, owner, teammate):
    """The form has no referrer choice any more (referrals are recorded on their own
    pages), so no client, least of all another agent's, is offered on it."""
    foreign = ClientFactory(owner=teammate, name="外人")
    ClientFactory(owner=owner, name="自己人")
    response = as_user(owner).get(reverse("clients:create"))
    assert response.status_code == 200
    body = response.content.decode()
    assert 'name="referred_by"' not in body
    assert f'<option value="{foreign.pk}"' not in body and "外人" not in body


@pytest.mark.django_db
@pytest.mark.parametrize("name", ["list", "detail", "edit"])
def test_client_pages_are_not_cached(as_user, owner, name, client_obj, commitment):
    response = as_user(owner).get(url_for(name, client_obj, commitment))
    assert "no-store" in response["Cache-Control"]
    assert "private" in response["Cache-Control"]
