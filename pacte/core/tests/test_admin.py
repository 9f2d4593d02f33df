"""The admin site: every model of Pacte is registered, and its pages open for a verified administrator."""

import pytest
from django.apps import apps
from django.contrib import admin
from django.urls import reverse
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from pacte.accounts.factories import UserFactory

PACTE_APPS = ("accounts", "compacts", "countries")


@pytest.fixture
def admin_client(client, db):
    user = UserFactory(username="root", organisation=None, is_superuser=True, is_staff=True)
    device = TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return client


def pacte_models():
    return [
        model
        for label in PACTE_APPS
        for model in apps.get_app_config(label).get_models()
        if not model.__name__.startswith("Historical")
    ]


def test_every_pacte_model_is_in_the_admin():
    missing = [m.__name__ for m in pacte_models() if m not in admin.site._registry]
    assert missing == []


@pytest.mark.parametrize("model", pacte_models(), ids=lambda m: m.__name__)
def test_admin_pages_open(admin_client, model):
    info = (model._meta.app_label, model._meta.model_name)
    assert admin_client.get(reverse("admin:{}_{}_changelist".format(*info))).status_code == 200
    assert admin_client.get(reverse("admin:{}_{}_add".format(*info))).status_code == 200


def test_admin_site_needs_the_second_factor(client, db):
    user = UserFactory(username="root2", organisation=None, is_superuser=True, is_staff=True)
    client.force_login(user)
    response = client.get(reverse("admin:index"))
    assert response.status_code == 302
    assert reverse("accounts:two_factor_setup") in response["Location"]
