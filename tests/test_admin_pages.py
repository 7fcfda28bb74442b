"""Every model the admin registers opens for a superuser: its change list (with a row, where
one exists), and its add page where adding is allowed. A registration with a wrong field name
or a broken lookup fails here rather than in front of an administrator."""

import pytest
from django.contrib import admin
from django.urls import reverse

from touches.models import DigestPreference, TouchBuildRun

pytestmark = pytest.mark.django_db


def test_every_registered_admin_page_opens(as_user, admin_user, owner):
    DigestPreference.objects.create(owner=owner, email="me@example.com")
    TouchBuildRun.objects.create(day="2026-12-05", batches_total=1)
    http = as_user(admin_user)
    opened = 0
    for model in admin.site._registry:
        info = (model._meta.app_label, model._meta.model_name)
        response = http.get(reverse("admin:{}_{}_changelist".format(*info)))
        assert response.status_code == 200, info
        opened += 1
        first = model._default_manager.order_by("pk").first()
        if first is not None:
            response = http.get(reverse("admin:{}_{}_change".format(*info), args=[first.pk]))
            assert response.status_code == 200, info
    assert opened >= 30


def test_the_digest_setting_is_in_the_admin_and_the_build_runs_are_read_only(
    as_user, admin_user, owner
):
    DigestPreference.objects.create(owner=owner, email="me@example.com")
    run = TouchBuildRun.objects.create(day="2026-12-05", batches_total=1)
    http = as_user(admin_user)
    page = http.get(reverse("admin:touches_digestpreference_changelist")).content.decode()
    assert "me@example.com" in page
    assert http.get(reverse("admin:touches_touchbuildrun_add")).status_code == 403
    response = http.post(
        reverse("admin:touches_touchbuildrun_change", args=[run.pk]), {"batches_total": 9}
    )
    assert response.status_code == 403
    run.refresh_from_db()
    assert run.batches_total == 1
