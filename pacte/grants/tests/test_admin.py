"""The admin site shows every grants model; money and review records are read-only there (the rules
that keep them right live in the services)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.apps import apps
from django.contrib import admin
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from pacte.accounts.factories import UserFactory
from pacte.grants import models

pytestmark = pytest.mark.django_db

# Every grants model but the history tables and the cache version (GrantsState: internal, one row).
GRANTS_MODELS = [
    m
    for m in apps.get_app_config("grants").get_models()
    if not m.__name__.startswith("Historical") and m is not models.GrantsState
]
READ_ONLY = {
    models.Award,
    models.SectorShare,
    models.Budget,
    models.Transaction,
    models.ConflictDeclaration,
    models.Score,
}


@pytest.fixture
def admin_client(client: Client) -> Client:
    user = UserFactory(username="root", organisation=None, is_superuser=True, is_staff=True)
    device = TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return client


@pytest.fixture
def money(award, officer):  # type: ignore[no-untyped-def]
    """An award with a budget, a transaction in CFA francs, a review, a document of the application and
    an emergency request."""
    models.Budget.objects.create(
        award=award,
        period_start=award.start_date,
        period_end=award.start_date.replace(month=12, day=31),
        amount=Decimal(300_000),
        value_date=award.start_date,
    )
    models.Transaction.objects.create(
        award=award,
        kind=models.Transaction.Kind.EXPENDITURE,
        date=award.start_date,
        amount=Decimal(1_000_000),
        currency="XOF",
        rate_to_usd=Decimal("0.0017"),
        amount_usd=Decimal(1700),
        created_by=officer,
    )
    criterion = award.opportunity.criteria.first()
    reviewer = award.opportunity.reviewers.first().reviewer
    models.ConflictDeclaration.objects.create(
        application=award.application, reviewer=reviewer, has_conflict=False
    )
    models.Score.objects.create(
        application=award.application, criterion=criterion, reviewer=reviewer, score=Decimal(80)
    )
    models.ApplicationDocument.objects.create(
        application=award.application,
        title="Budget détaillé",
        file=SimpleUploadedFile("budget.pdf", b"%PDF-1.4 budget"),
        uploaded_by=award.application.created_by,
    )
    models.EmergencyRequest.objects.create(
        organisation=award.organisation,
        country="CIV",
        title="Hébergement d'urgence",
        need="Six enfants victimes.",
        amount_requested=Decimal(20_000),
        received_on=award.start_date,
        decision_due=models.EmergencyRequest.due_date(award.start_date),
    )
    return award


def test_every_grants_model_is_in_the_admin() -> None:
    assert len(GRANTS_MODELS) == 13
    missing = [m.__name__ for m in GRANTS_MODELS if m not in admin.site._registry]
    assert missing == []


@pytest.mark.parametrize("model", GRANTS_MODELS, ids=lambda m: m.__name__)
def test_every_changelist_and_change_page_opens(model, money, admin_client: Client) -> None:  # type: ignore[no-untyped-def]
    meta = model._meta
    response = admin_client.get(reverse(f"admin:{meta.app_label}_{meta.model_name}_changelist"))
    assert response.status_code == 200
    obj = model._default_manager.order_by("pk").first()
    assert obj is not None, f"no {meta.model_name} to open"
    response = admin_client.get(reverse(f"admin:{meta.app_label}_{meta.model_name}_change", args=[obj.pk]))
    assert response.status_code == 200
    if model is models.Award:  # the award's inlines show its sectors, budgets and transactions
        content = response.content.decode()
        assert "15160" in content and "XOF" in content


@pytest.mark.parametrize("model", sorted(READ_ONLY, key=lambda m: m.__name__), ids=lambda m: m.__name__)
def test_money_and_review_records_are_read_only(model, money, admin_client: Client) -> None:  # type: ignore[no-untyped-def]
    meta = model._meta
    obj = model._default_manager.order_by("pk").first()
    assert obj is not None
    model_admin = admin.site._registry[model]
    request = admin_client.get(reverse("admin:index")).wsgi_request
    assert not model_admin.has_add_permission(request)
    assert not model_admin.has_change_permission(request, obj)
    assert not model_admin.has_delete_permission(request, obj)
    assert admin_client.get(reverse(f"admin:{meta.app_label}_{meta.model_name}_add")).status_code == 403
    delete = reverse(f"admin:{meta.app_label}_{meta.model_name}_delete", args=[obj.pk])
    assert admin_client.post(delete, {"post": "yes"}).status_code == 403
    assert model._default_manager.filter(pk=obj.pk).exists()


def test_a_transaction_cannot_be_changed_in_the_admin(money, admin_client: Client) -> None:  # type: ignore[no-untyped-def]
    tx = models.Transaction.objects.get()
    url = reverse("admin:grants_transaction_change", args=[tx.pk])
    response = admin_client.post(url, {"kind": "4", "date": "2024-01-01", "amount": "5", "currency": "USD"})
    assert response.status_code == 403
    tx.refresh_from_db()
    assert tx.amount == Decimal(1_000_000) and tx.currency == "XOF"


def test_statuses_are_read_only(money, admin_client: Client) -> None:  # type: ignore[no-untyped-def]
    for model in (models.FundingOpportunity, models.Application, models.EmergencyRequest):
        obj = model._default_manager.order_by("pk").first()
        meta = model._meta
        url = reverse(f"admin:{meta.app_label}_{meta.model_name}_change", args=[obj.pk])
        form = admin_client.get(url).context["adminform"].form
        assert "status" not in form.fields, model
