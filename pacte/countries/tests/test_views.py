"""Pages of the country evidence base and of the selection (helper UI)."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from ..models import ModelCriterion, SelectionModel, SelectionRun
from .ui_helpers import *  # noqa: F403
from .ui_helpers import make_country, make_model, make_run, observe, populate, rate

pytestmark = pytest.mark.django_db


def _html(response) -> str:  # type: ignore[no-untyped-def]
    return response.content.decode()


# -- the list of countries ------------------------------------------------------------------------------
class TestCountryList:
    def test_shows_coverage_and_latest_values(self, government_client, catalogue):
        civ = make_country("CIV", "Côte d'Ivoire", "Côte d’Ivoire")
        make_country("GHA", "Ghana")
        observe(catalogue["tip_tier"], civ, 2014, 3, "Tier 2 Watch List")
        observe(catalogue["tip_tier"], civ, 2015, 2, "Tier 2")
        observe(catalogue["cpi_score"], civ, 2015, 32)
        response = government_client.get(reverse("countries:list"))
        assert response.status_code == 200
        row = re.search(r"<tr>(?:(?!</tr>).)*CIV(?:(?!</tr>).)*</tr>", _html(response), re.S).group(0)
        assert "Côte d&#x27;Ivoire" in row  # English name in English
        assert "2 / 3" in row  # two of the three metrics have data
        assert 'Tier 2 <span class="text-base">(2015)</span>' in row
        assert "32" in row and "(2015)" in row
        ghana = re.search(r"<tr>(?:(?!</tr>).)*GHA(?:(?!</tr>).)*</tr>", _html(response), re.S).group(0)
        assert "0 / 3" in ghana

    def test_french_names_in_french(self, government_client, catalogue):
        make_country("CIV", "Côte d'Ivoire", "Côte d’Ivoire")
        government_client.cookies["pacte_language"] = "fr"
        assert "Côte d’Ivoire" in _html(government_client.get(reverse("countries:list")))

    def test_search_and_filters(self, government_client, catalogue):
        civ = make_country("CIV", "Côte d'Ivoire", region="Western Africa")
        gha = make_country("GHA", "Ghana", region="Western Africa")
        make_country("FRA", "France", region="Europe")
        observe(catalogue["wb_income_group"], civ, 2022, 2, "Lower middle income")
        observe(catalogue["wb_income_group"], gha, 2021, 2, "Lower middle income")
        observe(catalogue["wb_income_group"], gha, 2022, 1, "Low income")
        url = reverse("countries:list")
        assert 'value="GHA"' in _html(government_client.get(url, {"q": "ghan"}))
        assert 'value="CIV"' not in _html(government_client.get(url, {"q": "ghan"}))
        europe = _html(government_client.get(url, {"region": "Europe"}))
        assert 'value="FRA"' in europe and 'value="GHA"' not in europe
        # The latest income group counts: Ghana is now Low income.
        lower_middle = _html(government_client.get(url, {"income": "Lower middle income"}))
        assert 'value="CIV"' in lower_middle and 'value="GHA"' not in lower_middle

    def test_fixed_number_of_queries(self, government_client, catalogue):
        def queries() -> int:
            with CaptureQueriesContext(connection) as ctx:
                assert government_client.get(reverse("countries:list")).status_code == 200
            return len(ctx.captured_queries)

        populate(catalogue, 10)
        # The first request of a session also reads the two-factor device (then kept in the session).
        government_client.get(reverse("countries:list"))
        ten = queries()
        populate(catalogue, 40, start=10)
        html = _html(government_client.get(reverse("countries:list")))
        assert html.count('name="c"') == 50
        assert queries() == ten

    def test_links_to_profiles_and_compare(self, government_client, catalogue):
        make_country("CIV", "Côte d'Ivoire")
        html = _html(government_client.get(reverse("countries:list")))
        assert reverse("countries:detail", args=["CIV"]) in html
        assert f'action="{reverse("countries:compare")}"' in html
        assert reverse("countries:model_list") not in html  # not staff

    def test_navigation_link(self, government_client, catalogue):
        html = _html(government_client.get(reverse("countries:list")))
        assert f'href="{reverse("countries:list")}"' in html


# -- the profile of a country ---------------------------------------------------------------------------
class TestProfile:
    def test_series_chart_table_and_missing_years(self, government_client, catalogue):
        civ = make_country("CIV", "Côte d'Ivoire")
        other = make_country("GHA", "Ghana")
        for year in range(2012, 2024):  # the source covers 2012–2023
            observe(catalogue["cpi_score"], other, year, 40)
        for year in (2012, 2013, 2014, 2015, 2020, 2021, 2022, 2023):
            observe(catalogue["cpi_score"], civ, year, 30 + year - 2012)
        response = government_client.get(reverse("countries:detail", args=["civ"]))
        assert response.status_code == 200
        html = _html(response)
        section = html[html.index('id="metric-cpi_score"') :]
        section = section[: section.index("</section>")]
        assert "No data for 2016–2019" in section
        assert 'role="img"' in section and "<title" in section
        # The chart is broken at the gap: one line for 2012–2015, one for 2020–2023, never a filled gap.
        paths = re.findall(r'<path d="([^"]+)"', section)
        assert len(paths) == 2 and all(p.count("L") == 3 for p in paths)
        # The same figures in a table, with edition and public from.
        assert '<th scope="row">2016</th>' not in section
        assert '<th scope="row">2020</th>' in section
        assert "ti_cpi 2020" in section and "2021-01-31" in section
        # Metrics without any figure for the country say so.
        tier = html[html.index('id="metric-tip_tier"') :]
        assert "No data" in tier[: tier.index("</section>")]

    def test_ordinal_series_shows_labels(self, government_client, catalogue):
        civ = make_country("CIV", "Côte d'Ivoire")
        observe(catalogue["tip_tier"], civ, 2014, 3, "Tier 2 Watch List")
        observe(catalogue["tip_tier"], civ, 2015, 2, "Tier 2")
        html = _html(government_client.get(reverse("countries:detail", args=["CIV"])))
        assert "Tier 2 Watch List" in html
        assert "No data for" not in html[html.index('id="metric-tip_tier"') :].split("</section>")[0]

    def test_unknown_country_is_404(self, government_client, catalogue):
        assert government_client.get(reverse("countries:detail", args=["XXX"])).status_code == 404

    def test_ratings_only_for_staff(self, staff, staff_client, government_client, catalogue):
        civ = make_country("CIV", "Côte d'Ivoire")
        rate(civ, staff)
        staff_html = _html(staff_client.get(reverse("countries:detail", args=["CIV"])))
        assert "Strong commitment shown by the national action plan." in staff_html
        assert f"{reverse('countries:rating_add')}?country=CIV" in staff_html
        assert f"{reverse('countries:observation_add')}?country=CIV" in staff_html
        other_html = _html(government_client.get(reverse("countries:detail", args=["CIV"])))
        assert "Strong commitment" not in other_html
        assert reverse("countries:rating_add") not in other_html

    def test_fixed_number_of_queries(self, staff, staff_client, catalogue):
        few, many = make_country("AAA", "Few"), make_country("BBB", "Many")
        observe(catalogue["cpi_score"], few, 2015, 30)
        for year in range(1990, 2024):
            observe(catalogue["cpi_score"], many, year, 40)
            observe(catalogue["tip_tier"], many, year, 2, "Tier 2")
            rate(many, staff, criterion="political_will")

        def queries(iso3: str) -> int:
            with CaptureQueriesContext(connection) as ctx:
                assert staff_client.get(reverse("countries:detail", args=[iso3])).status_code == 200
            return len(ctx.captured_queries)

        staff_client.get(reverse("countries:list"))  # the session's first request reads more
        assert queries("AAA") == queries("BBB")


# -- compare ------------------------------------------------------------------------------------------
class TestCompare:
    def test_side_by_side(self, partner_client, catalogue):
        civ, gha = make_country("CIV", "Côte d'Ivoire"), make_country("GHA", "Ghana")
        observe(catalogue["cpi_score"], civ, 2022, 37)
        observe(catalogue["cpi_score"], gha, 2022, 43)
        response = partner_client.get(reverse("countries:compare"), {"c": ["CIV", "gha"]})
        assert response.status_code == 200
        html = _html(response)
        assert html.index('href="/countries/CIV/"') < html.index('href="/countries/GHA/"')  # order asked
        assert "<strong>37</strong>" in html and "<strong>43</strong>" in html

    def test_as_of_never_shows_a_later_figure(self, partner_client, catalogue):
        civ = make_country("CIV", "Côte d'Ivoire")
        observe(catalogue["cpi_score"], civ, 2021, 36)  # public 2022-01-31
        observe(catalogue["cpi_score"], civ, 2022, 37)  # public 2023-01-31
        url = reverse("countries:compare")
        before = _html(partner_client.get(url, {"c": "CIV", "as_of": "2023-01-30"}))
        assert "<strong>36</strong>" in before and "<strong>37</strong>" not in before
        on_the_day = _html(partner_client.get(url, {"c": "CIV", "as_of": "2023-01-31"}))
        assert "<strong>37</strong>" in on_the_day
        too_early = _html(partner_client.get(url, {"c": "CIV", "as_of": "2022-01-01"}))
        assert "<strong>36</strong>" not in too_early and "<strong>37</strong>" not in too_early

    def test_bad_date_is_400(self, partner_client, catalogue):
        make_country("CIV", "Côte d'Ivoire")
        response = partner_client.get(reverse("countries:compare"), {"c": "CIV", "as_of": "2023-13-45"})
        assert response.status_code == 400
        assert "AAAA-MM-JJ" in _html(response) or "YYYY-MM-DD" in _html(response)


# -- selection models ----------------------------------------------------------------------------------
def _model_post(**overrides: object) -> dict[str, object]:
    data: dict[str, object] = {
        "name": "Fact sheet 2023",
        "description": "",
        "missing_policy": "exclude",
        "max_age_years": "5",
        "income_groups": ["Low income", "Lower middle income"],
        "exclude_tier_1": "on",
        "top_n": "10",
        "criteria-TOTAL_FORMS": "2",
        "criteria-INITIAL_FORMS": "0",
        "criteria-MIN_NUM_FORMS": "0",
        "criteria-MAX_NUM_FORMS": "1000",
        "criteria-0-criterion": "metric:cpi_score",
        "criteria-0-direction": "default",
        "criteria-0-normalisation": "min_max",
        "criteria-0-weight": "2",
        "criteria-1-criterion": "metric:tip_tier",
        "criteria-1-direction": "default",
        "criteria-1-normalisation": "rank",
        "criteria-1-weight": "1",
    }
    data.update(overrides)
    return data


class TestModelBuilder:
    def test_create(self, staff_client, catalogue):
        url = reverse("countries:model_create")
        assert staff_client.get(url).status_code == 200
        response = staff_client.post(url, _model_post())
        model = SelectionModel.objects.get(name="Fact sheet 2023")
        assert response.status_code == 302
        assert response.url == reverse("countries:model_run", args=[model.pk])
        assert model.income_groups == ["Low income", "Lower middle income"]
        assert model.exclude_tier_1 and not model.exclude_restricted
        criteria = {c.metric.code: c for c in model.criteria.all()}
        assert criteria["cpi_score"].direction == ModelCriterion.Direction.HIGHER
        assert criteria["tip_tier"].direction == ModelCriterion.Direction.LOWER  # the indicator's default
        assert criteria["cpi_score"].weight == 2

    def test_all_zero_weights_is_400_with_the_service_message(self, staff_client, catalogue):
        response = staff_client.post(
            reverse("countries:model_create"),
            _model_post(**{"criteria-0-weight": "0", "criteria-1-weight": "0"}),
        )
        assert response.status_code == 400
        html = _html(response)
        assert 'id="criteria-errors"' in html
        assert "zero" in html.lower() or "nul" in html.lower()
        assert not SelectionModel.objects.exists()

    def test_field_errors_are_400(self, staff_client, catalogue):
        make_model("Fact sheet 2023")
        response = staff_client.post(
            reverse("countries:model_create"), _model_post(**{"top_n": "0", "criteria-0-weight": "-1"})
        )
        assert response.status_code == 400
        html = _html(response)
        assert 'id="id_top_n_error"' in html
        assert 'id="id_name_error"' in html  # name already used
        assert 'id="id_criteria-0-weight_error"' in html
        assert SelectionModel.objects.count() == 1

    def test_add_a_row_keeps_the_entries(self, staff_client, catalogue):
        response = staff_client.post(reverse("countries:model_create"), _model_post(add_row="1"))
        assert response.status_code == 200
        html = _html(response)
        assert 'name="criteria-TOTAL_FORMS" value="3"' in html
        assert 'value="Fact sheet 2023"' in html
        assert not SelectionModel.objects.exists()

    def test_edit(self, staff_client, catalogue):
        model = make_model("Old", catalogue["cpi_score"])
        url = reverse("countries:model_edit", args=[model.pk])
        html = _html(staff_client.get(url))
        assert 'value="metric:cpi_score" selected' in html
        response = staff_client.post(url, _model_post(name="New"))
        assert response.status_code == 302
        model.refresh_from_db()
        assert model.name == "New" and model.criteria.count() == 2


class TestRun:
    def test_run_form_runs_and_redirects(self, staff, staff_client, catalogue):
        civ, gha = make_country("CIV", "Côte d'Ivoire"), make_country("GHA", "Ghana")
        observe(catalogue["cpi_score"], civ, 2021, 36)
        observe(catalogue["cpi_score"], gha, 2021, 43)
        model = make_model("CPI only", catalogue["cpi_score"])
        model.exclude_tier_1 = model.exclude_restricted = False
        model.save()
        url = reverse("countries:model_run", args=[model.pk])
        assert staff_client.get(url).status_code == 200
        response = staff_client.post(url, {"as_of": "2023-01-01", "draws": "100", "seed": "3", "title": ""})
        run = SelectionRun.objects.get()
        assert response.status_code == 302 and response.url == reverse("countries:run_detail", args=[run.pk])
        assert run.as_of == dt.date(2023, 1, 1) and run.draws == 100 and run.seed == 3
        assert [r["iso3"] for r in run.results["ranking"]] == ["GHA", "CIV"]

    def test_model_that_filters_out_every_country_says_so(self, staff_client, catalogue):
        civ = make_country("CIV", "Côte d'Ivoire")
        observe(catalogue["cpi_score"], civ, 2021, 36)
        model = make_model("CPI only", catalogue["cpi_score"])
        model.income_groups = ["High income"]
        model.save()
        observe(catalogue["wb_income_group"], civ, 2020, 2, "Lower middle income")
        response = staff_client.post(
            reverse("countries:model_run", args=[model.pk]),
            {"as_of": "2023-01-01", "draws": "10", "seed": "1"},
        )
        assert response.status_code == 400
        assert not SelectionRun.objects.exists()
        assert "usa-alert--error" in _html(response)

    def test_run_page(self, staff, staff_client, catalogue):
        run = make_run(user=staff)
        response = staff_client.get(reverse("countries:run_detail", args=[run.pk]))
        assert response.status_code == 200
        html = _html(response)
        assert 'id="missing-policy"' in html
        assert "Imputed with the median of the other countries; flagged." in html
        assert "2023-07-01" in html
        ranking = html[html.index('id="ranking"') :].split("</table>")[0]
        assert ranking.index("Ghana") < ranking.index("Côte d’Ivoire")
        assert "pacte-imputed" in ranking  # CIV's CPI was imputed
        assert ranking.count("<rect") == 4  # two contributions per country
        assert "Norvège" in html and "Catégorie 1 (TIP Report 2022)." in html
        sensitivity = html[html.index('id="sensitivity"') :].split("</table>")[0]
        assert "83" in sensitivity
        assert reverse("countries:run_xlsx", args=[run.pk]) in html
        assert reverse("countries:run_memo", args=[run.pk]) in html
        assert f"{reverse('countries:compare')}?c=GHA&amp;c=CIV&amp;as_of=2023-07-01" in html

    def test_memo(self, staff_client, catalogue):
        run = make_run()
        response = staff_client.get(reverse("countries:run_memo", args=[run.pk]))
        assert response.status_code == 200
        html = _html(response)
        assert "@media print" in html and "<script" not in html
        assert "Imputed with the median of the other countries; flagged." in html
        top = html[html.index('id="memo-top"') :].split("</table>")[0]
        assert "Ghana" in top and "Côte d’Ivoire" not in top  # top 1 only
        assert "Score IPC" in top  # main contributions named
        assert "Norvège" in html
        sources = html[html.index('id="memo-sources"') :].split("</ul>")[0]
        assert "Corruption Perceptions Index" in sources and "CPI 2022" in sources

    def test_memo_states_the_policy_even_without_a_description(self, staff_client, catalogue):
        run = make_run(policy="exclude")
        run.results["policy"] = {}
        run.save()
        html = _html(staff_client.get(reverse("countries:run_memo", args=[run.pk])))
        policy = html[html.index('id="missing-policy"') :].split("</dd>")[0]
        assert str(SelectionModel.MissingPolicy.EXCLUDE.label) in policy or "Exclure" in policy

    def test_xlsx_download(self, staff_client, catalogue):
        run = make_run()
        response = staff_client.get(reverse("countries:run_xlsx", args=[run.pk]))
        assert response.status_code == 200
        assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        assert response["Content-Disposition"] == (
            f'attachment; filename="selection-run-{run.pk}-2023-07-01.xlsx"'
        )
        assert response.content[:2] == b"PK"  # a zip file, as XLSX files are

    def test_lists(self, staff_client, catalogue):
        model = make_model("Fact sheet", catalogue["cpi_score"])
        run = make_run(model)
        html = _html(staff_client.get(reverse("countries:model_list")))
        assert "Fact sheet" in html and reverse("countries:run_detail", args=[run.pk]) in html
        assert "Shortlist 2023" in _html(staff_client.get(reverse("countries:run_list")))
