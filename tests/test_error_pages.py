"""Error pages (400, 403, 404, 500) are in the app's layout and language, with a way back."""

import pytest
from django.core.exceptions import PermissionDenied, SuspiciousOperation
from django.db import DatabaseError
from django.test import Client, override_settings
from django.urls import path

from agentcrm.core import views as core_views
from agentcrm.urls import urlpatterns as real_urlpatterns


def _forbidden(request):
    raise PermissionDenied


def _bad(request):
    raise SuspiciousOperation("bad")


def _broken(request):
    raise RuntimeError("boom")


urlpatterns = [
    path("t/forbidden/", _forbidden),
    path("t/bad/", _bad),
    path("t/broken/", _broken),
    *real_urlpatterns,
]
handler400 = "agentcrm.core.views.bad_request"
handler403 = "agentcrm.core.views.permission_denied"
handler404 = "agentcrm.core.views.page_not_found"
handler500 = "agentcrm.core.views.server_error"

pytestmark = [pytest.mark.django_db, pytest.mark.urls(__name__)]


def _page(response):
    return response.content.decode()


def test_404_is_in_the_layout_in_chinese_with_a_way_back(client, owner):
    client.force_login(owner)
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    body = _page(response)
    assert "页面不存在" in body
    assert 'class="navbar' in body  # the app's layout
    assert "返回今日清单" in body and 'href="/"' in body
    assert "Page not found at" not in body  # never Django's technical page


def test_another_agents_object_404_is_the_same_page(client, owner, teammate):
    from tests.factories import ClientFactory

    theirs = ClientFactory(owner=teammate)
    client.force_login(owner)
    response = client.get(f"/clients/{theirs.pk}/")
    assert response.status_code == 404
    assert "页面不存在" in _page(response)


def test_403_page(client, owner):
    client.force_login(owner)
    response = client.get("/t/forbidden/")
    assert response.status_code == 403
    assert "您的账号无权查看此页面" in _page(response)


def test_400_page(client, owner):
    client.force_login(owner)
    response = client.get("/t/bad/")
    assert response.status_code == 400
    assert "返回今日清单" in _page(response)


def test_500_page_is_in_the_layout(owner):
    browser = Client(raise_request_exception=False)
    browser.force_login(owner)
    response = browser.get("/t/broken/")
    assert response.status_code == 500
    body = _page(response)
    assert "出错了" in body and 'class="navbar' in body and "返回今日清单" in body


def test_500_page_without_a_database_is_plain_but_chinese(rf, monkeypatch):
    def no_layout(*args, **kwargs):
        raise DatabaseError("down")

    monkeypatch.setattr(core_views, "render", no_layout)
    response = core_views.server_error(rf.get("/"))
    assert response.status_code == 500
    body = response.content.decode()
    assert "出错了" in body and 'href="/"' in body


@override_settings(CSRF_FAILURE_VIEW="agentcrm.core.views.csrf_failure")
def test_a_refused_form_token_gets_the_apps_page(owner):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(owner)
    response = browser.post("/clients/new/", {"name": "x"})
    assert response.status_code == 403
    body = _page(response)
    assert "重新加载" in body and "CSRF verification failed" not in body
