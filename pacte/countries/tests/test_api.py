"""The countries API under /api/v1/ (helper UI)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from ..models import QualitativeRating, SelectionModel, SelectionRun
from .ui_helpers import *  # noqa: F403
from .ui_helpers import make_country, make_model, make_run, observe, populate, rate

pytestmark = pytest.mark.django_db


class TestCountries:
    def test_list_with_latest_values(self, government_client, catalogue):
        civ = make_country("CIV", "Côte d'Ivoire", "Côte d’Ivoire")
        observe(catalogue["tip_tier"], civ, 2014, 3, "Tier 2 Watch List")
        observe(catalogue["tip_tier"], civ, 2015, 2, "Tier 2")
        observe(catalogue["cpi_score"], civ, 2022, 37)
        observe(catalogue["wb_income_group"], civ, 2022, 2, "Lower middle income")
        response = government_client.get("/api/v1/countries/")
        assert response.status_code == 200
        row = response.json()["results"][0]
        assert row["iso3"] == "CIV" and row["display_name"] == "Côte d'Ivoire"
        french = government_client.get("/api/v1/countries/", HTTP_ACCEPT_LANGUAGE="fr").json()["results"][0]
        assert french["display_name"] == "Côte d’Ivoire"
        assert row["metrics_with_data"] == 3
        assert (row["tier_label"], row["tier_year"]) == ("Tier 2", 2015)
        assert (row["cpi_value"], row["cpi_year"]) == (37, 2022)
        assert row["income_label"] == "Lower middle income"

    def test_list_filters(self, government_client, catalogue):
        civ, gha = make_country("CIV", "Côte d'Ivoire"), make_country("GHA", "Ghana")
        observe(catalogue["wb_income_group"], civ, 2022, 2, "Lower middle income")
        observe(catalogue["wb_income_group"], gha, 2022, 1, "Low income")
        codes = [
            r["iso3"] for r in government_client.get("/api/v1/countries/?income=Low income").json()["results"]
        ]
        assert codes == ["GHA"]
        codes = [r["iso3"] for r in government_client.get("/api/v1/countries/?q=ivoire").json()["results"]]
        assert codes == ["CIV"]

    def test_list_fixed_number_of_queries(self, government_client, catalogue):
        def queries() -> int:
            with CaptureQueriesContext(connection) as ctx:
                assert government_client.get("/api/v1/countries/").status_code == 200
            return len(ctx.captured_queries)

        populate(catalogue, 10)
        # The first request of a session also reads the two-factor device (then kept in the session).
        government_client.get("/api/v1/countries/")
        ten = queries()
        populate(catalogue, 40, start=10)
        assert government_client.get("/api/v1/countries/").json()["count"] == 50
        assert queries() == ten

    def test_retrieve_with_latest_and_missing_years(self, partner_client, catalogue):
        civ, gha = make_country("CIV", "Côte d'Ivoire"), make_country("GHA", "Ghana")
        for year in range(2012, 2024):
            observe(catalogue["cpi_score"], gha, year, 40)
        for year in (2012, 2013, 2020, 2021, 2022):
            observe(catalogue["cpi_score"], civ, year, 30 + year - 2012)
        response = partner_client.get("/api/v1/countries/civ/")
        assert response.status_code == 200
        latest = {m["metric"]: m for m in response.json()["latest"]}
        assert latest["cpi_score"]["year"] == 2022 and latest["cpi_score"]["value"] == 40
        assert latest["cpi_score"]["missing_years"] == [2014, 2015, 2016, 2017, 2018, 2019, 2023]
        assert latest["tip_tier"]["year"] is None
        # As of a date: never a figure published after it.
        as_of = partner_client.get("/api/v1/countries/CIV/?as_of=2022-01-30").json()
        cpi = {m["metric"]: m for m in as_of["latest"]}["cpi_score"]
        assert cpi["year"] == 2020 and cpi["published_on"] <= "2022-01-30"
        assert partner_client.get("/api/v1/countries/CIV/?as_of=someday").status_code == 400
        assert partner_client.get("/api/v1/countries/XXX/").status_code == 404


class TestObservations:
    def test_filters_and_as_of(self, government_client, catalogue):
        civ, gha = make_country("CIV", "Côte d'Ivoire"), make_country("GHA", "Ghana")
        observe(catalogue["cpi_score"], civ, 2021, 36)  # public 2022-01-31
        observe(catalogue["cpi_score"], civ, 2022, 37)  # public 2023-01-31
        observe(catalogue["cpi_score"], gha, 2022, 43)
        observe(catalogue["tip_tier"], civ, 2022, 2, "Tier 2")
        rows = government_client.get("/api/v1/observations/?country=civ&metric=cpi_score").json()["results"]
        assert [(r["country"], r["year"], r["value"]) for r in rows] == [("CIV", 2021, 36), ("CIV", 2022, 37)]
        rows = government_client.get(
            "/api/v1/observations/?country=CIV&metric=cpi_score&as_of=2023-01-30"
        ).json()["results"]
        assert [r["year"] for r in rows] == [2021]
        assert all(r["published_on"] <= "2023-01-30" for r in rows)
        assert government_client.get("/api/v1/observations/?as_of=2023-02-30").status_code == 400

    def test_metrics_and_sources(self, government_client, catalogue):
        metrics = government_client.get("/api/v1/metrics/").json()["results"]
        assert [m["code"] for m in metrics] == ["tip_tier", "cpi_score", "wb_income_group"]
        assert metrics[0]["source"] == "tip_report" and metrics[0]["higher_is_better"] is False
        source = government_client.get("/api/v1/sources/ti_cpi/").json()
        assert source["publication_month"] == 1 and source["publication_day"] == 31


class TestSelectionModels:
    def payload(self, **overrides: object) -> dict[str, object]:
        data: dict[str, object] = {
            "name": "Fact sheet",
            "missing_policy": "impute_median",
            "income_groups": ["Low income"],
            "exclude_tier_1": True,
            "top_n": 5,
            "criteria": [
                {"metric": "cpi_score", "normalisation": "min_max", "weight": "2"},
                {
                    "qualitative": "political_will",
                    "direction": "higher",
                    "normalisation": "rank",
                    "weight": "1",
                },
            ],
        }
        data.update(overrides)
        return data

    def test_create_and_update(self, staff_client, catalogue):
        response = staff_client.post(
            "/api/v1/selection-models/", self.payload(), content_type="application/json"
        )
        assert response.status_code == 201, response.content
        body = response.json()
        model = SelectionModel.objects.get(pk=body["id"])
        assert body["criteria"][0] == {
            "metric": "cpi_score",
            "qualitative": "",
            "direction": "higher",
            "normalisation": "min_max",
            "weight": "2.00",
        }
        assert model.criteria.count() == 2 and model.income_groups == ["Low income"]
        # A partial update without criteria keeps them.
        response = staff_client.patch(
            f"/api/v1/selection-models/{model.pk}/", {"top_n": 3}, content_type="application/json"
        )
        assert response.status_code == 200
        model.refresh_from_db()
        assert model.top_n == 3 and model.criteria.count() == 2

    def test_all_zero_weights_is_400(self, staff_client, catalogue):
        payload = self.payload(criteria=[{"metric": "cpi_score", "weight": "0"}])
        response = staff_client.post("/api/v1/selection-models/", payload, content_type="application/json")
        assert response.status_code == 400
        assert "weight" in response.json()
        assert not SelectionModel.objects.exists()

    def test_unknown_metric_is_400(self, staff_client, catalogue):
        payload = self.payload(criteria=[{"metric": "no_such_metric", "weight": "1"}])
        response = staff_client.post("/api/v1/selection-models/", payload, content_type="application/json")
        assert response.status_code == 400


class TestSelectionRuns:
    def test_post_runs_and_saves(self, staff_client, catalogue):
        civ, gha = make_country("CIV", "Côte d'Ivoire"), make_country("GHA", "Ghana")
        observe(catalogue["cpi_score"], civ, 2021, 36)
        observe(catalogue["cpi_score"], gha, 2021, 43)
        observe(catalogue["cpi_score"], civ, 2022, 90)  # public 2023-01-31: after the date
        model = make_model("CPI", catalogue["cpi_score"])
        model.exclude_tier_1 = model.exclude_restricted = False
        model.save()
        response = staff_client.post(
            "/api/v1/selection-runs/",
            {"model": model.pk, "as_of": "2023-01-01", "draws": 50, "seed": 4},
            content_type="application/json",
        )
        assert response.status_code == 201, response.content
        body = response.json()
        run = SelectionRun.objects.get(pk=body["id"])
        assert [r["iso3"] for r in body["results"]["ranking"]] == ["GHA", "CIV"]
        assert body["sensitivity"]["draws"] == 50 and run.seed == 4
        listed = staff_client.get("/api/v1/selection-runs/").json()["results"]
        assert [r["id"] for r in listed] == [run.pk]
        assert "results" not in listed[0]
        detail = staff_client.get(f"/api/v1/selection-runs/{run.pk}/").json()
        assert detail["results"] == body["results"]

    def test_post_with_bad_date_is_400(self, staff_client, catalogue):
        model = make_model("CPI", catalogue["cpi_score"])
        response = staff_client.post(
            "/api/v1/selection-runs/",
            {"model": model.pk, "as_of": "2023-02-30"},
            content_type="application/json",
        )
        assert response.status_code == 400 and "as_of" in response.json()

    def test_xlsx(self, staff_client, catalogue):
        run = make_run()
        response = staff_client.get(f"/api/v1/selection-runs/{run.pk}/xlsx/")
        assert response.status_code == 200
        assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        assert response.content[:2] == b"PK"


class TestRatings:
    def test_create_and_list(self, staff, staff_client, catalogue):
        make_country("CIV", "Côte d'Ivoire")
        payload = {
            "country": "CIV",
            "criterion": "political_will",
            "score": 4,
            "rated_on": "2023-03-01",
            "justification": "National action plan adopted and funded in 2022.",
        }
        response = staff_client.post("/api/v1/qualitative-ratings/", payload, content_type="application/json")
        assert response.status_code == 201, response.content
        rating = QualitativeRating.objects.get()
        assert rating.author == staff and response.json()["author"] == staff.username
        rows = staff_client.get("/api/v1/qualitative-ratings/?country=CIV").json()["results"]
        assert [r["score"] for r in rows] == [4]
        assert staff_client.get("/api/v1/qualitative-ratings/?country=GHA").json()["results"] == []

    def test_short_justification_is_400(self, staff_client, catalogue):
        make_country("CIV", "Côte d'Ivoire")
        payload = {
            "country": "CIV",
            "criterion": "political_will",
            "score": 4,
            "rated_on": "2023-03-01",
            "justification": "Too short.",
        }
        response = staff_client.post("/api/v1/qualitative-ratings/", payload, content_type="application/json")
        assert response.status_code == 400 and "justification" in response.json()
        assert not QualitativeRating.objects.exists()

    def test_future_date_is_400(self, staff_client, catalogue):
        make_country("CIV", "Côte d'Ivoire")
        tomorrow = (dt.date.today() + dt.timedelta(days=1)).isoformat()
        payload = {
            "country": "CIV",
            "criterion": "political_will",
            "score": 4,
            "rated_on": tomorrow,
            "justification": "National action plan adopted and funded in 2022.",
        }
        response = staff_client.post("/api/v1/qualitative-ratings/", payload, content_type="application/json")
        assert response.status_code == 400 and "rated_on" in response.json()

    def test_list_shows_existing(self, staff, staff_client, catalogue):
        rate(make_country("CIV", "Côte d'Ivoire"), staff, score=2)
        rows = staff_client.get("/api/v1/qualitative-ratings/").json()["results"]
        assert [(r["country"], r["score"]) for r in rows] == [("CIV", 2)]


def test_country_summary_never_shows_a_figure_published_after_as_of(db):
    """The summary fields (latest tier, CPI, income group) follow ``?as_of=`` like the series do."""
    import datetime as dt

    from rest_framework.test import APIClient

    from pacte.accounts.factories import UserFactory
    from pacte.countries.catalogue import ensure_catalogue
    from pacte.countries.matching import ensure_countries
    from pacte.countries.models import Country, Metric, Observation

    ensure_countries()
    ensure_catalogue()
    civ = Country.objects.get(iso3="CIV")
    cpi = Metric.objects.get(code="cpi_score")
    Observation.objects.create(
        metric=cpi, country=civ, year=2015, edition="CPI 2015", value=32, published_on=dt.date(2016, 1, 31)
    )
    Observation.objects.create(
        metric=cpi, country=civ, year=2016, edition="CPI 2016", value=34, published_on=dt.date(2017, 1, 31)
    )
    client = APIClient()
    client.force_login(UserFactory())
    before = client.get("/api/v1/countries/CIV/?as_of=2017-01-30").json()
    assert (before["cpi_value"], before["cpi_year"]) == (32.0, 2015)
    on_the_day = client.get("/api/v1/countries/CIV/?as_of=2017-01-31").json()
    assert (on_the_day["cpi_value"], on_the_day["cpi_year"]) == (34.0, 2016)
    listed = client.get("/api/v1/countries/?as_of=2016-06-30&q=CIV").json()
    rows = listed["results"] if isinstance(listed, dict) else listed
    assert [(r["iso3"], r["cpi_value"]) for r in rows] == [("CIV", 32.0)]
