import pytest
from django.core.exceptions import ValidationError

from agentcrm.accounts.models import User
from agentcrm.accounts.selectors import team_members_for_manager, teams_for_manager

from .factories import TeamFactory, UserFactory


@pytest.mark.django_db
def test_manager_sees_own_team_and_nested_subteams_only():
    director = UserFactory(username="director", role=User.Role.MANAGER)
    region = TeamFactory(name="华东区", manager=director)
    manager = UserFactory(username="mgr", role=User.Role.MANAGER)
    shanghai = TeamFactory(name="上海一部", manager=manager, parent=region)
    pudong = TeamFactory(name="浦东组", parent=shanghai)
    beijing = TeamFactory(name="北京", manager=UserFactory(username="bj", role="manager"))
    manager.team = region
    manager.save()
    a1 = UserFactory(username="a1", team=shanghai)
    a2 = UserFactory(username="a2", team=pudong)
    UserFactory(username="far", team=beijing)
    UserFactory(username="gone", team=shanghai, is_active=False)

    assert set(teams_for_manager(user=manager)) == {shanghai, pudong}
    assert set(teams_for_manager(user=director)) == {region, shanghai, pudong}
    assert set(team_members_for_manager(user=manager)) == {a1, a2}
    assert set(team_members_for_manager(user=director)) == {manager, a1, a2}
    assert not teams_for_manager(user=a1).exists()


@pytest.mark.django_db
def test_team_cannot_nest_inside_itself():
    outer = TeamFactory(name="outer")
    inner = TeamFactory(name="inner", parent=outer)
    outer.parent = inner
    with pytest.raises(ValidationError):
        outer.full_clean()


@pytest.mark.django_db
def test_login_logout_and_password_change(client, owner):
    from .factories import PASSWORD

    response = client.post("/accounts/login/", {"username": "owner", "password": PASSWORD})
    assert response.status_code == 302 and response["Location"] == "/"
    assert client.get("/clients/").status_code == 200
    response = client.post(
        "/accounts/password_change/",
        {
            "old_password": PASSWORD,
            "new_password1": "a-much-Longer-pass-2026",
            "new_password2": "a-much-Longer-pass-2026",
        },
    )
    assert response.status_code == 302
    owner.refresh_from_db()
    assert owner.check_password("a-much-Longer-pass-2026")
    client.post("/accounts/logout/")
    assert client.get("/clients/").status_code == 302


@pytest.mark.django_db
def test_wrong_password_is_refused(client, owner):
    response = client.post("/accounts/login/", {"username": "owner", "password": "nope"})
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_admin_is_for_admins(as_user, owner, admin_user):
    assert as_user(owner).get("/admin/").status_code == 302
    http = as_user(admin_user)
    for url in [
        "/admin/",
        "/admin/accounts/user/?q=owner",
        "/admin/accounts/team/",
        "/admin/clients/client/?q=王",
        "/admin/clients/commitment/",
        "/admin/django_celery_beat/periodictask/",
    ]:
        assert http.get(url).status_code == 200, url
