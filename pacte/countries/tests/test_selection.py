"""Selection services: saving a model, the "as of" rule, filters, missing data, runs and recompute."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import translation
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pacte.accounts.factories import OrganisationFactory, UserFactory
from pacte.accounts.models import Organisation
from pacte.countries import selection
from pacte.countries.models import (
    Country,
    Metric,
    Observation,
    QualitativeCriterion,
    QualitativeRating,
    SelectionModel,
    SelectionRun,
    Source,
)


@pytest.fixture(autouse=True)
def english_messages():
    """These tests read the services' messages in English; the interface default is French."""
    with translation.override("en"):
        yield


TIERS = [
    {"label": "Tier 1", "value": 1},
    {"label": "Tier 2", "value": 2},
    {"label": "Tier 2 Watch List", "value": 3},
    {"label": "Tier 3", "value": 4},
    {"label": "Special Case", "value": None},
]
INCOME = [
    {"label": "Low income", "value": 1},
    {"label": "Lower middle income", "value": 2},
    {"label": "Upper middle income", "value": 3},
    {"label": "High income", "value": 4},
]
COUNTRIES = {
    "CIV": ("Côte d'Ivoire", "Côte d'Ivoire"),
    "GHA": ("Ghana", "Ghana"),
    "SEN": ("Senegal", "Sénégal"),
    "MLI": ("Mali", "Mali"),
    "FRA": ("France", "France"),
}


def make_staff(username="analyst"):
    org = OrganisationFactory(name="TIP Office", org_type=Organisation.Type.DONOR_OFFICE, country="USA")
    return UserFactory(username=username, organisation=org)


def make_catalogue():
    """Countries, three sources and four metrics with the fixed codes of COUNTRIES.md."""
    for iso3, (name, name_fr) in COUNTRIES.items():
        Country.objects.get_or_create(iso3=iso3, defaults={"name": name, "name_fr": name_fr})
    tip = Source.objects.get_or_create(
        code="tip_report",
        defaults={
            "name": "TIP Report",
            "publisher": "US DoS",
            "publication_lag_years": 0,
            "publication_month": 6,
            "publication_day": 30,
        },
    )[0]
    cpi = Source.objects.get_or_create(
        code="ti_cpi",
        defaults={
            "name": "CPI",
            "publisher": "TI",
            "publication_lag_years": 1,
            "publication_month": 1,
            "publication_day": 31,
        },
    )[0]
    wb = Source.objects.get_or_create(
        code="wb_income",
        defaults={
            "name": "WB income",
            "publisher": "World Bank",
            "publication_lag_years": 1,
            "publication_month": 7,
            "publication_day": 1,
        },
    )[0]
    fh = Source.objects.get_or_create(
        code="fh_fiw",
        defaults={
            "name": "Freedom in the World",
            "publisher": "Freedom House",
            "publication_lag_years": 1,
            "publication_month": 3,
            "publication_day": 1,
        },
    )[0]
    specs = [
        ("tip_tier", tip, Metric.Kind.ORDINAL, False, TIERS),
        ("cpi_score", cpi, Metric.Kind.NUMERIC, True, []),
        ("wb_income_group", wb, Metric.Kind.ORDINAL, False, INCOME),
        ("fh_political_rights", fh, Metric.Kind.NUMERIC, False, []),
    ]
    for code, source, kind, higher, categories in specs:
        Metric.objects.get_or_create(
            code=code,
            defaults={
                "name": code.replace("_", " ").title(),
                "name_fr": f"{code} (fr)",
                "source": source,
                "kind": kind,
                "higher_is_better": higher,
                "categories": categories,
            },
        )


def obs(code, iso3, year, value=None, label="", published_on=None, edition=None):
    metric = Metric.objects.select_related("source").get(code=code)
    if value is None and label and metric.categories:
        value = metric.value_for_label(label)
    return Observation.objects.create(
        metric=metric,
        country=Country.objects.get(iso3=iso3),
        year=year,
        edition=edition or f"{code} {year}",
        value=value,
        label=label,
        published_on=published_on or metric.source.published_on(year),
    )


def rate(iso3, criterion, score, rated_on, author):
    return QualitativeRating.objects.create(
        country=Country.objects.get(iso3=iso3),
        criterion=criterion,
        score=score,
        rated_on=rated_on,
        justification="A justification long enough to be accepted.",
        author=author,
    )


def make_world(author):
    """CPI 2020 and 2021 for four countries, tiers 2021, income groups 2020, political will ratings."""
    make_catalogue()
    cpi = {"CIV": (36, 40), "GHA": (43, 44), "SEN": (45, 43), "MLI": (30, 29), "FRA": (69, 71)}
    for iso3, (y2020, y2021) in cpi.items():
        obs("cpi_score", iso3, 2020, y2020)  # public 2021-01-31
        obs("cpi_score", iso3, 2021, y2021)  # public 2022-01-31
    for iso3, tier in {
        "CIV": "Tier 2",
        "GHA": "Tier 2",
        "SEN": "Tier 2 Watch List",
        "MLI": "Tier 2 Watch List",
        "FRA": "Tier 1",
    }.items():
        obs("tip_tier", iso3, 2021, label=tier)  # public 2021-06-30
    for iso3, group in {
        "CIV": "Lower middle income",
        "GHA": "Lower middle income",
        "SEN": "Lower middle income",
        "MLI": "Low income",
        "FRA": "High income",
    }.items():
        obs("wb_income_group", iso3, 2020, label=group)  # public 2021-07-01
    for iso3, score in {"CIV": 5, "GHA": 4, "SEN": 3, "MLI": 2, "FRA": 3}.items():
        rate(iso3, QualitativeCriterion.POLITICAL_WILL, score, dt.date(2021, 9, 1), author)


def model_data(**overrides):
    data = {
        "name": "Compact candidates",
        "description": "",
        "missing_policy": SelectionModel.MissingPolicy.EXCLUDE,
        "max_age_years": 5,
        "income_groups": [],
        "exclude_tier_1": False,
        "exclude_restricted": False,
        "top_n": 2,
    }
    data.update(overrides)
    return data


def criteria_spec(*items):
    out = []
    for key, weight, *rest in items:
        kind, code = key.split(":")
        spec = {
            "metric": Metric.objects.get(code=code) if kind == "metric" else None,
            "qualitative": code if kind == "rating" else "",
            "weight": weight,
        }
        if rest:
            spec["direction"] = rest[0]
        if len(rest) > 1:
            spec["normalisation"] = rest[1]
        out.append(spec)
    return out


def build_model(user, criteria=None, **overrides):
    if criteria is None:
        criteria = criteria_spec(("metric:cpi_score", 2), ("rating:political_will", 1))
    return selection.save_model(
        user=user, instance=SelectionModel(), data=model_data(**overrides), criteria=criteria
    )


@pytest.fixture
def staff(db):
    return make_staff()


@pytest.fixture
def world(staff):
    make_world(staff)
    return staff


def ranking_by_iso(results):
    return {row["iso3"]: row for row in results["ranking"]}


# ---- save_model ------------------------------------------------------------------------------------


def test_save_model_creates_criteria_in_order_with_default_directions(world):
    model = build_model(world, criteria=criteria_spec(("metric:tip_tier", 1), ("metric:cpi_score", 2)))
    criteria = list(model.criteria.all())
    assert [c.key for c in criteria] == ["metric:tip_tier", "metric:cpi_score"]
    assert [c.direction for c in criteria] == ["lower", "higher"]  # the indicators' usual directions
    assert criteria[1].weight == Decimal("2")
    assert model.created_by == world
    # Saving again replaces the criteria.
    selection.save_model(
        user=world, instance=model, data={"top_n": 3}, criteria=criteria_spec(("rating:political_will", 1))
    )
    model.refresh_from_db()
    assert [c.key for c in model.criteria.all()] == ["rating:political_will"] and model.top_n == 3


def test_all_zero_weights_are_refused_on_the_weight_field_and_nothing_is_saved(world):
    with pytest.raises(ValidationError) as error:
        build_model(world, criteria=criteria_spec(("metric:cpi_score", 0), ("rating:political_will", "0.00")))
    assert error.value.message_dict["weight"] == [
        "All weights are zero: give at least one criterion a weight above zero."
    ]
    assert not SelectionModel.objects.exists()


@pytest.mark.parametrize(
    ("criteria", "field"),
    [
        ([], "criteria"),
        ([("metric:cpi_score", 1), ("metric:cpi_score", 2)], "criteria"),
        ([("metric:cpi_score", -1)], "weight"),
        ([("metric:cpi_score", 1, "sideways")], "direction"),
        ([("metric:cpi_score", 1, "higher", "log")], "normalisation"),
    ],
)
def test_bad_criteria_are_refused_with_the_field_name(world, criteria, field):
    with pytest.raises(ValidationError) as error:
        build_model(world, criteria=criteria_spec(*criteria) if criteria else [])
    assert field in error.value.message_dict
    assert not SelectionModel.objects.exists()


def test_categorical_metric_and_unknown_income_group_are_refused(world):
    Metric.objects.filter(code="fh_political_rights").update(kind=Metric.Kind.CATEGORICAL)
    with pytest.raises(ValidationError) as error:
        build_model(world, criteria=criteria_spec(("metric:fh_political_rights", 1)), income_groups=["Rich"])
    assert set(error.value.message_dict) >= {"metric", "income_groups"}


def test_non_staff_users_may_not_save_or_run(world):
    model = build_model(world)
    org = OrganisationFactory(name="Ministry", org_type=Organisation.Type.PARTNER_GOVERNMENT)
    outsider = UserFactory(username="minister", organisation=org)
    with pytest.raises(PermissionDenied):
        selection.save_model(
            user=outsider,
            instance=SelectionModel(),
            data=model_data(name="X"),
            criteria=criteria_spec(("metric:cpi_score", 1)),
        )
    with pytest.raises(PermissionDenied):
        selection.run_selection(user=outsider, model=model, as_of=dt.date(2022, 6, 1), draws=10)
    assert SelectionRun.objects.count() == 0 and SelectionModel.objects.count() == 1


# ---- the "as of" rule ------------------------------------------------------------------------------


def test_as_of_uses_figures_public_on_that_day_but_never_the_day_after(world):
    model = build_model(world, criteria=criteria_spec(("metric:cpi_score", 1)))
    # CPI 2021 is public from 2022-01-31.
    _, before, _ = selection.compute(selection.snapshot_of(model), dt.date(2022, 1, 30), draws=0)
    _, on_the_day, _ = selection.compute(selection.snapshot_of(model), dt.date(2022, 1, 31), draws=0)
    civ_before = ranking_by_iso(before)["CIV"]["values"]["metric:cpi_score"]
    civ_on_the_day = ranking_by_iso(on_the_day)["CIV"]["values"]["metric:cpi_score"]
    assert (civ_before["raw"], civ_before["year"], civ_before["published_on"]) == (36, 2020, "2021-01-31")
    assert (civ_on_the_day["raw"], civ_on_the_day["year"]) == (40, 2021)


def test_most_recent_year_then_most_recent_publication_wins(world):
    model = build_model(world, criteria=criteria_spec(("metric:cpi_score", 1)))
    # A corrected edition of CPI 2021 for Ghana, public later, and an old year published very late.
    obs("cpi_score", "GHA", 2021, 50, published_on=dt.date(2022, 3, 1), edition="CPI 2021 (corrected)")
    obs("cpi_score", "GHA", 2019, 99, published_on=dt.date(2022, 4, 1), edition="CPI 2019 late")
    inputs, results, _ = selection.compute(selection.snapshot_of(model), dt.date(2022, 5, 1), draws=0)
    assert ranking_by_iso(results)["GHA"]["values"]["metric:cpi_score"]["edition"] == "CPI 2021 (corrected)"
    assert ranking_by_iso(results)["GHA"]["values"]["metric:cpi_score"]["raw"] == 50
    _, earlier, _ = selection.compute(selection.snapshot_of(model), dt.date(2022, 2, 28), draws=0)
    assert ranking_by_iso(earlier)["GHA"]["values"]["metric:cpi_score"]["raw"] == 44
    used = [v for v in inputs["values"] if v["iso3"] == "GHA" and v["criterion"] == "metric:cpi_score"]
    assert len(used) == 1 and used[0]["observation_id"] is not None


def test_a_figure_older_than_the_maximum_age_counts_as_missing(world):
    Observation.objects.filter(metric__code="cpi_score", country__iso3="MLI", year=2021).delete()
    model = build_model(world, criteria=criteria_spec(("metric:cpi_score", 1)), max_age_years=1)
    # As of 2022-02-15, years >= 2021 are usable: Mali's latest CPI (2020) is too old.
    _, results, _ = selection.compute(selection.snapshot_of(model), dt.date(2022, 2, 15), draws=0)
    assert set(ranking_by_iso(results)) == {"CIV", "GHA", "SEN", "FRA"}
    (mali,) = results["excluded"]
    assert mali["iso3"] == "MLI" and "is of 2020" in mali["reasons"][0] and "(2021 on)" in mali["reasons"][0]
    # With a longer maximum age, Mali's 2020 figure is used.
    model.max_age_years = 2
    model.save()
    _, results, _ = selection.compute(selection.snapshot_of(model), dt.date(2022, 2, 15), draws=0)
    assert ranking_by_iso(results)["MLI"]["values"]["metric:cpi_score"]["year"] == 2020


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["CIV", "GHA", "SEN"]),
            st.integers(min_value=2015, max_value=2023),
            st.integers(min_value=0, max_value=100),
            st.integers(min_value=0, max_value=3000),
        ),
        min_size=1,
        max_size=15,
    ),
    st.integers(min_value=0, max_value=3000),
)
def test_property_no_value_from_the_future_is_ever_used(staff, rows, as_of_offset):
    start = dt.date(2015, 1, 1)
    as_of = start + dt.timedelta(days=as_of_offset)
    with transaction.atomic():
        make_catalogue()
        created = {}
        for iso3, year, value, offset in rows:
            published = start + dt.timedelta(days=offset)
            edition = f"CPI {year} ({published})"
            if (iso3, year, edition) in created:
                continue
            created[(iso3, year, edition)] = obs(
                "cpi_score", iso3, year, value, published_on=published, edition=edition
            )
        model = build_model(
            staff,
            criteria=criteria_spec(("metric:cpi_score", 1)),
            max_age_years=20,
            missing_policy=SelectionModel.MissingPolicy.IMPUTE_MEDIAN,
        )
        public = [o for o in created.values() if o.published_on <= as_of]
        try:
            inputs, results, _ = selection.compute(selection.snapshot_of(model), as_of, draws=0)
        except ValidationError:
            assert not public  # only refused when nothing was public yet
        else:
            used = [v for v in inputs["values"] if not v["imputed"]]
            assert used
            for value in used:
                assert dt.date.fromisoformat(value["published_on"]) <= as_of
                observation = Observation.objects.get(pk=value["observation_id"])
                assert observation.published_on <= as_of
                # And it is the latest public one: most recent year, then most recent publication.
                same_country = [o for o in public if o.country.iso3 == value["iso3"]]
                best = max(same_country, key=lambda o: (o.year, o.published_on, o.pk))
                assert observation.pk == best.pk
            assert {v["iso3"] for v in used} == {o.country.iso3 for o in public}
        transaction.set_rollback(True)


# ---- filters and missing data ------------------------------------------------------------------------


def test_hard_filters_exclude_with_every_reason(world):
    rate("GHA", QualitativeCriterion.RESTRICTIONS_ON_ASSISTANCE, 1, dt.date(2021, 10, 1), world)
    rate("SEN", QualitativeCriterion.RESTRICTIONS_ON_ASSISTANCE, 2, dt.date(2021, 10, 1), world)
    model = build_model(
        world,
        income_groups=["Low income", "Lower middle income"],
        exclude_tier_1=True,
        exclude_restricted=True,
    )
    inputs, results, _ = selection.compute(selection.snapshot_of(model), dt.date(2022, 3, 1), draws=0)
    assert [row["iso3"] for row in results["ranking"]] == ["CIV", "SEN", "MLI"]
    excluded = {e["iso3"]: e["reasons"] for e in results["excluded"]}
    assert set(excluded) == {"FRA", "GHA"}
    assert len(excluded["FRA"]) == 2  # High income AND Tier 1: every reason is listed
    assert any("High income" in r for r in excluded["FRA"]) and any("Tier 1" in r for r in excluded["FRA"])
    assert len(excluded["GHA"]) == 1 and "restrictions" in excluded["GHA"][0]
    filters_used = {(v["iso3"], v["criterion"]) for v in inputs["values"]}
    assert ("FRA", "filter:tip_tier") in filters_used and (
        "GHA",
        "filter:restrictions_on_assistance",
    ) in filters_used


def test_filters_use_the_latest_figure_public_as_of_the_date(world):
    # France's Tier 1 of 2021 is public from 2021-06-30: as of the day before, France is not filtered out.
    obs("tip_tier", "FRA", 2020, label="Tier 2")
    model = build_model(world, criteria=criteria_spec(("metric:cpi_score", 1)), exclude_tier_1=True)
    _, results, _ = selection.compute(selection.snapshot_of(model), dt.date(2021, 6, 29), draws=0)
    assert "FRA" in ranking_by_iso(results)
    _, results, _ = selection.compute(selection.snapshot_of(model), dt.date(2021, 6, 30), draws=0)
    assert "FRA" not in ranking_by_iso(results)


def test_income_filter_excludes_a_country_without_income_group(world):
    Observation.objects.filter(metric__code="wb_income_group", country__iso3="SEN").delete()
    model = build_model(world, income_groups=["Lower middle income"])
    _, results, _ = selection.compute(selection.snapshot_of(model), dt.date(2022, 3, 1), draws=0)
    assert set(ranking_by_iso(results)) == {"CIV", "GHA"}
    reasons = {e["iso3"]: e["reasons"] for e in results["excluded"]}
    assert "income group" in reasons["SEN"][0].lower() and set(reasons) == {"SEN", "MLI", "FRA"}


def test_missing_policy_exclude_versus_impute(world):
    QualitativeRating.objects.filter(country__iso3="GHA").delete()
    snapshot_kwargs = {"criteria": criteria_spec(("metric:cpi_score", 1), ("rating:political_will", 1))}
    excluding = build_model(world, **snapshot_kwargs)
    _, results, _ = selection.compute(selection.snapshot_of(excluding), dt.date(2022, 3, 1), draws=0)
    assert "GHA" not in ranking_by_iso(results)
    assert [e["iso3"] for e in results["excluded"]] == ["GHA"]
    assert results["policy"]["missing"] == "exclude" and results["policy"]["description"]

    median = build_model(world, name="Median", missing_policy="impute_median", **snapshot_kwargs)
    _, results, _ = selection.compute(selection.snapshot_of(median), dt.date(2022, 3, 1), draws=0)
    ghana = ranking_by_iso(results)["GHA"]["values"]["rating:political_will"]
    assert ghana["imputed"] is True and ghana["raw"] == 3.0  # median of 5, 3, 2, 3
    assert not ranking_by_iso(results)["CIV"]["values"]["rating:political_will"]["imputed"]
    assert results["excluded"] == [] and any("imputed" in w for w in results["warnings"])

    worst = build_model(world, name="Worst", missing_policy="impute_worst", **snapshot_kwargs)
    inputs, results, _ = selection.compute(selection.snapshot_of(worst), dt.date(2022, 3, 1), draws=0)
    assert ranking_by_iso(results)["GHA"]["values"]["rating:political_will"]["raw"] == 2.0
    imputed_inputs = [v for v in inputs["values"] if v["imputed"]]
    assert [(v["iso3"], v["criterion"], v["raw"]) for v in imputed_inputs] == [
        ("GHA", "rating:political_will", 2.0)
    ]


def test_special_case_tier_is_missing_not_an_older_tier(world):
    obs("tip_tier", "CIV", 2022, label="Special Case")
    model = build_model(world, criteria=criteria_spec(("metric:tip_tier", 1)))
    _, results, _ = selection.compute(selection.snapshot_of(model), dt.date(2022, 7, 1), draws=0)
    assert "CIV" not in ranking_by_iso(results)
    (civ,) = [e for e in results["excluded"] if e["iso3"] == "CIV"]
    assert "Special Case" in civ["reasons"][0]


def test_filtering_out_every_country_says_which_filter_removed_how_many(world):
    model = build_model(world, income_groups=["Upper middle income"], exclude_tier_1=True)
    with pytest.raises(ValidationError) as error:
        selection.compute(selection.snapshot_of(model), dt.date(2022, 3, 1), draws=0)
    message = error.value.messages[0]
    assert "every country" in message
    assert "income-group filter removed 5" in message and "Tier 1 filter removed 1" in message


def test_no_data_as_of_the_date_is_said(world):
    model = build_model(world)
    with pytest.raises(ValidationError) as error:
        selection.compute(selection.snapshot_of(model), dt.date(2019, 1, 1), draws=0)
    assert "No country has any data" in error.value.messages[0]


def test_weighted_criterion_without_any_value_is_refused_with_impute(world):
    model = build_model(
        world,
        missing_policy="impute_median",
        criteria=criteria_spec(("metric:cpi_score", 1), ("metric:fh_political_rights", 1)),
    )
    with pytest.raises(ValidationError) as error:
        selection.compute(selection.snapshot_of(model), dt.date(2022, 3, 1), draws=0)
    assert "weight" in error.value.message_dict


# ---- runs --------------------------------------------------------------------------------------------


def test_run_saves_snapshot_inputs_results_and_sensitivity(world):
    model = build_model(world)
    run = selection.run_selection(user=world, model=model, as_of=dt.date(2022, 3, 1), draws=500, seed=3)
    run.refresh_from_db()
    assert run.created_by == world and run.title.startswith("Compact candidates")
    snapshot = run.model_snapshot
    assert [c["metric"] for c in snapshot["criteria"]] == ["cpi_score", None]
    assert [c["weight"] for c in snapshot["criteria"]] == [2.0, 1.0]
    assert snapshot["missing_policy"] == "exclude" and snapshot["top_n"] == 2
    results = run.results
    assert [c["share"] for c in results["criteria"]] == pytest.approx([2 / 3, 1 / 3])
    for row in results["ranking"]:
        assert sum(row["contributions"].values()) == pytest.approx(row["score"])
    assert [row["rank"] for row in results["ranking"]] == sorted(row["rank"] for row in results["ranking"])
    assert results["ranking"][0]["rank"] == 1
    # France has the best CPI (71) but a middling political-will rating; Mali is worst on both.
    assert results["ranking"][-1]["iso3"] == "MLI"
    assert set(run.sensitivity["countries"]) == {row["iso3"] for row in results["ranking"]}
    assert run.sensitivity["draws"] == 500 and run.sensitivity["seed"] == 3
    for row in results["ranking"]:
        stats = run.sensitivity["countries"][row["iso3"]]
        assert stats["rank_min"] <= row["rank"] <= stats["rank_max"]
        assert 0 <= stats["p_top_n"] <= 1
    assert {v["criterion"] for v in run.inputs["values"]} == {"metric:cpi_score", "rating:political_will"}
    assert run.inputs["rule"] == "published_on <= as_of"


def test_recompute_equals_the_saved_run_and_later_data_does_not_change_it(world):
    model = build_model(world, missing_policy="impute_median")
    run = selection.run_selection(user=world, model=model, as_of=dt.date(2022, 3, 1), draws=300, seed=9)
    run.refresh_from_db()
    assert selection.recompute(run) == (run.inputs, run.results, run.sensitivity)
    # Figures and ratings published after the run's date (a later edition, a new rating) change nothing…
    obs("cpi_score", "MLI", 2022, 90)  # public 2023-01-31
    rate("MLI", QualitativeCriterion.POLITICAL_WILL, 5, dt.date(2022, 3, 2), world)
    # …nor does a change to the model after the run.
    selection.save_model(user=world, instance=model, data={}, criteria=criteria_spec(("metric:cpi_score", 1)))
    assert selection.recompute(run) == (run.inputs, run.results, run.sensitivity)
    # A run of the changed model as of a later date does see the new data.
    later = selection.run_selection(user=world, model=model, as_of=dt.date(2023, 2, 1), draws=0)
    assert later.results["ranking"][0]["iso3"] == "MLI"


def test_same_seed_same_sensitivity_different_seed_differs(world):
    model = build_model(world)
    as_of = dt.date(2022, 3, 1)
    snapshot = selection.snapshot_of(model)
    snapshot["spread"] = 0.9
    first = selection.compute(snapshot, as_of, draws=400, seed=1)[2]
    again = selection.compute(snapshot, as_of, draws=400, seed=1)[2]
    other = selection.compute(snapshot, as_of, draws=400, seed=2)[2]
    assert first == again
    assert first["countries"] != other["countries"]


def test_zero_spread_sensitivity_gives_the_ranking(world):
    model = build_model(world)
    snapshot = selection.snapshot_of(model)
    snapshot["spread"] = 0.0
    _, results, sensitivity = selection.compute(snapshot, dt.date(2022, 3, 1), draws=50, seed=4)
    for row in results["ranking"]:
        stats = sensitivity["countries"][row["iso3"]]
        assert stats["rank_min"] == stats["rank_max"] == stats["rank_p5"] == stats["rank_p95"] == row["rank"]
        assert stats["p_top_n"] == (1.0 if row["rank"] <= 2 else 0.0)


def test_bad_draws_are_refused(world):
    model = build_model(world)
    with pytest.raises(ValidationError) as error:
        selection.run_selection(user=world, model=model, as_of=dt.date(2022, 3, 1), draws=-1)
    assert "draws" in error.value.message_dict
    assert not SelectionRun.objects.exists()


def test_loading_uses_a_fixed_number_of_queries(world, django_assert_max_num_queries):
    model = build_model(
        world,
        criteria=criteria_spec(("metric:cpi_score", 1), ("metric:tip_tier", 1), ("rating:political_will", 1)),
        income_groups=["Low income", "Lower middle income"],
        exclude_tier_1=True,
        exclude_restricted=True,
    )
    snapshot = selection.snapshot_of(model)
    with django_assert_max_num_queries(5):
        selection.compute(snapshot, dt.date(2022, 3, 1), draws=10)
