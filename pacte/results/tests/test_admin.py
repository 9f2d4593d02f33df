"""The admin site writes outside the results services: each of its changes marks the compact's results
as changed, so that the cached progress page and API never show what it removed or renamed."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib import admin
from django.test import Client
from django.urls import reverse
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from pacte.accounts.factories import UserFactory
from pacte.results import models, services
from pacte.results.factories import make_submission

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client: Client) -> Client:
    user = UserFactory(username="root", organisation=None, is_superuser=True, is_staff=True)
    device = TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return client


def progress(client: Client, compact: Any) -> str:
    response = client.get(f"/compacts/{compact.pk}/results/", {"year": 2024})
    assert response.status_code == 200
    return response.content.decode()


def token(compact: Any) -> str:
    return models.ResultsState.objects.get(compact=compact).token


def test_every_results_model_but_the_cache_state_is_in_the_admin() -> None:
    from django.apps import apps

    missing = [
        m.__name__
        for m in apps.get_app_config("results").get_models()
        if not m.__name__.startswith("Historical") and m not in admin.site._registry
    ]
    # Values, targets and evidence are edited within their submission or definition (inlines).
    assert set(missing) == {"Value", "Target", "Evidence", "ResultsState"}


@pytest.mark.parametrize("how", ["delete view", "bulk action"])
def test_a_submission_deleted_in_the_admin_leaves_the_cached_progress_at_once(  # type: ignore[no-untyped-def]
    how, compact, definition, reporter_org, reviewer_client, admin_client
):
    submission = make_submission(definition, reporter_org, "2024", total=37)
    services.results_changed(compact)
    assert 'pacte-num pacte-actual">37' in progress(reviewer_client, compact)
    before = token(compact)
    if how == "delete view":
        url = reverse("admin:results_submission_delete", args=[submission.pk])
        response = admin_client.post(url, {"post": "yes"})
    else:
        url = reverse("admin:results_submission_changelist")
        data = {"action": "delete_selected", "_selected_action": [submission.pk], "post": "yes"}
        response = admin_client.post(url, data)
    assert response.status_code == 302
    assert not models.Submission.objects.filter(pk=submission.pk).exists()
    assert token(compact) != before
    assert 'pacte-num pacte-actual">37' not in progress(reviewer_client, compact)


def test_a_category_renamed_in_the_admin_changes_every_compacts_token(  # type: ignore[no-untyped-def]
    compact, standard_categories, admin_client
):
    services.results_changed(compact)
    before = token(compact)
    category = models.DisaggregationCategory.objects.filter(dimension="sex").first()
    assert category is not None
    url = reverse("admin:results_disaggregationcategory_change", args=[category.pk])
    form = admin_client.get(url).context["adminform"].form
    data = {name: "" if value is None else value for name, value in form.initial.items()}
    data["label_en"] = "Girls (renamed)"
    response = admin_client.post(url, {k: v for k, v in data.items() if k in form.fields})
    assert response.status_code == 302, response.context["adminform"].form.errors
    category.refresh_from_db()
    assert category.label_en == "Girls (renamed)"
    assert token(compact) != before
