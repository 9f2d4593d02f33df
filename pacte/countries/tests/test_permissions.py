"""Who may see what: profiles for every signed-in user; ratings, selection models and runs for
selection staff only (403 for partner-government and implementing-partner users, on lists and on
single records alike); anonymous users go to the login page (pages) or get 403 (API)."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from ..models import QualitativeRating, SelectionModel, SelectionRun
from .ui_helpers import *  # noqa: F403
from .ui_helpers import make_country, make_model, make_run, rate

pytestmark = pytest.mark.django_db


@pytest.fixture
def objects(staff, catalogue):  # type: ignore[no-untyped-def]
    civ = make_country("CIV", "Côte d'Ivoire")
    model = make_model("Fact sheet", catalogue["cpi_score"])
    run = make_run(model, user=staff)
    rating = rate(civ, staff)
    return {"country": civ, "model": model, "run": run, "rating": rating}


def profile_pages(objects) -> list[str]:  # type: ignore[no-untyped-def]
    return [
        reverse("countries:list"),
        reverse("countries:detail", args=["CIV"]),
        reverse("countries:compare") + "?c=CIV",
    ]


def staff_pages(objects) -> list[str]:  # type: ignore[no-untyped-def]
    model, run = objects["model"].pk, objects["run"].pk
    return [
        reverse("countries:model_list"),
        reverse("countries:model_create"),
        reverse("countries:model_edit", args=[model]),
        reverse("countries:model_run", args=[model]),
        reverse("countries:run_list"),
        reverse("countries:run_detail", args=[run]),
        reverse("countries:run_memo", args=[run]),
        reverse("countries:run_xlsx", args=[run]),
    ]


def staff_endpoints(objects) -> list[str]:  # type: ignore[no-untyped-def]
    return [
        "/api/v1/selection-models/",
        f"/api/v1/selection-models/{objects['model'].pk}/",
        "/api/v1/selection-runs/",
        f"/api/v1/selection-runs/{objects['run'].pk}/",
        f"/api/v1/selection-runs/{objects['run'].pk}/xlsx/",
        "/api/v1/qualitative-ratings/",
        f"/api/v1/qualitative-ratings/{objects['rating'].pk}/",
    ]


PROFILE_ENDPOINTS = [
    "/api/v1/countries/",
    "/api/v1/countries/CIV/",
    "/api/v1/observations/",
    "/api/v1/metrics/",
    "/api/v1/metrics/cpi_score/",
    "/api/v1/sources/",
]


class TestPages:
    def test_profiles_for_every_signed_in_user(
        self, objects, staff_client, government_client, partner_client
    ):
        for client in (staff_client, government_client, partner_client):
            for url in profile_pages(objects):
                assert client.get(url).status_code == 200, url

    def test_staff_pages_for_staff(self, objects, staff_client):
        for url in staff_pages(objects):
            assert staff_client.get(url).status_code == 200, url

    @pytest.mark.parametrize("who", ["government_client", "partner_client"])
    def test_staff_pages_forbidden_to_others(self, objects, who, request):
        client = request.getfixturevalue(who)
        for url in staff_pages(objects):
            assert client.get(url).status_code == 403, url

    @pytest.mark.parametrize("who", ["government_client", "partner_client"])
    def test_others_cannot_write(self, objects, who, request, catalogue):
        client = request.getfixturevalue(who)
        model = objects["model"]
        assert client.post(reverse("countries:model_create"), {"name": "Mine"}).status_code == 403
        response = client.post(reverse("countries:model_run", args=[model.pk]), {"as_of": "2023-01-01"})
        assert response.status_code == 403
        assert SelectionModel.objects.count() == 1 and SelectionRun.objects.count() == 1

    def test_anonymous_redirected_to_login(self, objects):
        client = Client()
        for url in [*profile_pages(objects), *staff_pages(objects)]:
            response = client.get(url)
            assert response.status_code == 302, url
            assert response.url.startswith(reverse("accounts:login")), url

    def test_staff_links_hidden_from_others(self, objects, government_client):
        html = government_client.get(reverse("countries:detail", args=["CIV"])).content.decode()
        assert objects["rating"].justification not in html


class TestApi:
    def test_profiles_for_every_signed_in_user(self, objects, government_client, partner_client):
        for client in (government_client, partner_client):
            for url in PROFILE_ENDPOINTS:
                assert client.get(url).status_code == 200, url

    def test_staff_endpoints_for_staff(self, objects, staff_client):
        for url in staff_endpoints(objects):
            assert staff_client.get(url).status_code == 200, url

    @pytest.mark.parametrize("who", ["government_client", "partner_client"])
    def test_staff_endpoints_forbidden_to_others(self, objects, who, request):
        client = request.getfixturevalue(who)
        for url in staff_endpoints(objects):
            assert client.get(url).status_code == 403, url
        rating = {
            "country": "CIV",
            "criterion": "political_will",
            "score": 5,
            "rated_on": "2023-01-01",
            "justification": "A long enough justification of the rating.",
        }
        assert (
            client.post("/api/v1/qualitative-ratings/", rating, content_type="application/json").status_code
            == 403
        )
        run = {"model": objects["model"].pk, "as_of": "2023-01-01"}
        assert client.post("/api/v1/selection-runs/", run, content_type="application/json").status_code == 403
        model = {"name": "Mine", "criteria": [{"metric": "cpi_score", "weight": "1"}]}
        assert (
            client.post("/api/v1/selection-models/", model, content_type="application/json").status_code
            == 403
        )
        assert QualitativeRating.objects.count() == 1 and SelectionRun.objects.count() == 1
        assert SelectionModel.objects.count() == 1

    def test_anonymous_gets_403(self, objects):
        client = Client()
        for url in [*PROFILE_ENDPOINTS, *staff_endpoints(objects)]:
            assert client.get(url).status_code == 403, url
