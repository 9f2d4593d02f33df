"""Imports: the shipped data files, uploads (CSV/XLSX, preview then all-or-nothing confirm), figures
entered by hand, and the import pages."""

import datetime as dt
import io
import time

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation
from openpyxl import Workbook

from pacte.accounts.factories import UserFactory
from pacte.countries import imports
from pacte.countries.catalogue import ensure_catalogue
from pacte.countries.matching import ensure_countries, match_country
from pacte.countries.models import Country, CountryAlias, ImportBatch, Metric, Observation, Source


@pytest.fixture(autouse=True)
def english_messages():
    """These tests read messages in English; the interface default is French."""
    with translation.override("en"):
        yield


@pytest.fixture
def catalogue(db):
    ensure_countries()
    ensure_catalogue()


def obs(metric, iso3, year, edition=None):
    query = Observation.objects.filter(metric__code=metric, country__iso3=iso3, year=year)
    if edition:
        query = query.filter(edition=edition)
    return query.get()


def csv_file(text, name="new.csv"):
    return SimpleUploadedFile(name, text.encode("utf-8"), content_type="text/csv")


def xlsx_file(rows, name="new.xlsx"):
    workbook = Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return SimpleUploadedFile(name, buffer.getvalue())


# =========================================================================================================
# Shipped data
# =========================================================================================================
EXPECTED_COUNTS = {
    "tip_tier": 2561,
    "cpi_score": 2093,
    "fh_political_rights": 8922,
    "fh_civil_liberties": 8922,
    "fh_status": 8922,
    "wb_income_group": 7448,
    "gdp_per_capita_ppp": 6825,
    "literacy_rate": 1099,
    "expected_years_schooling": 5124,
    "factbook_literacy": 1532,
    "factbook_school_life_expectancy": 1632,
    "factbook_child_labour": 211,
    "factbook_unemployment": 2064,
    "factbook_budget_balance": 1492,
}


def test_import_everything_counts_values_publication_rules_and_idempotence(db):
    started = time.perf_counter()
    counts = imports.import_shipped_data()
    elapsed = time.perf_counter() - started
    assert elapsed < 60
    assert counts == EXPECTED_COUNTS
    for code, expected in EXPECTED_COUNTS.items():
        assert Observation.objects.filter(metric__code=code).count() == expected
    assert ImportBatch.objects.filter(origin=ImportBatch.Origin.SHIPPED).count() == len(imports.SHIPPED_FILES)

    # TIP: Côte d'Ivoire was Tier 2 in the 2015 report (not Watch List), Watch List in 2009,
    # Special Case in 2011.
    tip = obs("tip_tier", "CIV", 2015)
    assert (tip.label, tip.value, tip.edition, tip.published_on) == (
        "Tier 2",
        2,
        "TIP Report 2015",
        dt.date(2015, 6, 30),
    )
    assert obs("tip_tier", "CIV", 2009).label == "Tier 2 Watch List"
    special = obs("tip_tier", "CIV", 2011)
    assert (special.label, special.value) == ("Special Case", None)
    assert obs("tip_tier", "SOM", 2015).label == "Special Case"
    partial = obs("tip_tier", "CIV", 2023)
    assert (partial.label, partial.note) == ("Tier 2", imports.PARTIAL_TIER_NOTE)
    assert not Observation.objects.filter(metric__code="tip_tier", year__lt=2001).exists()
    assert not Observation.objects.filter(
        metric__code="tip_tier", label="Tier 2 Watch List", year__lt=2004
    ).exists()
    # CPI
    cpi = obs("cpi_score", "CIV", 2023)
    assert (cpi.value, cpi.edition, cpi.published_on) == (40, "CPI 2023", dt.date(2024, 1, 31))
    # Freedom House: year = year covered; Hungary Partly Free from 2018 (edition 2019).
    hungary = obs("fh_status", "HUN", 2018)
    assert (hungary.label, hungary.value, hungary.edition) == ("Partly Free", 2, "Freedom in the World 2019")
    assert hungary.published_on == dt.date(2019, 3, 1)
    covering_2017 = obs("fh_status", "HUN", 2017)
    assert (covering_2017.label, covering_2017.edition) == ("Free", "Freedom in the World 2018")
    assert covering_2017.published_on == dt.date(2018, 3, 1)
    assert obs("fh_status", "TUR", 2017).label == "Not Free"
    # World Bank: Romania upper middle income on its 2020 GNI (FY2022), public 1 July 2021.
    romania = obs("wb_income_group", "ROU", 2020)
    assert (romania.label, romania.edition, romania.published_on) == (
        "Upper middle income",
        "World Bank FY2022 classification",
        dt.date(2021, 7, 1),
    )
    # GDP: no projection beyond 2024.
    assert not Observation.objects.filter(metric__code="gdp_per_capita_ppp", year__gt=2024).exists()
    # Factbook: public from the snapshot date; parsing errors and out-of-range values left out.
    child = obs("factbook_child_labour", "CIV", 2006, "Factbook 2015-11-29")
    assert (child.value, child.published_on) == (35, dt.date(2015, 11, 29))
    assert not Observation.objects.filter(metric__code="factbook_unemployment", value__gt=100).exists()
    assert not Observation.objects.filter(
        metric__code="factbook_school_life_expectancy", country__iso3="COK", edition="Factbook 2020-11-27"
    ).exists()  # "1,516 years" in the 2020 snapshot
    assert not Observation.objects.filter(
        metric__code="factbook_school_life_expectancy", value__gt=25
    ).exists()
    assert Observation.objects.filter(metric__code="factbook_unemployment", country__iso3="GGY").exists()

    # Unmatched names are listed per file in the import notes.
    kelley = ImportBatch.objects.get(file_name="tip/kelley_map_tiers_1999_2015.csv")
    assert "Kosovo (7 rows)" in kelley.notes
    assert "tier code NA (not rated or Special Case): 957" in kelley.notes
    gvnet = ImportBatch.objects.get(file_name__startswith="tip/gvnet")
    assert "Netherlands Antilles (1 rows): historical entity" in gvnet.notes
    factbook = ImportBatch.objects.get(file_name__startswith="cia_factbook/")
    assert "West Bank" in factbook.notes and "indicator not used: tip_tier_rating_text: 570" in factbook.notes

    # Idempotent: a second run saves nothing and creates no batch.
    total = Observation.objects.count()
    assert imports.import_shipped_data() == {}
    assert Observation.objects.count() == total
    assert ImportBatch.objects.count() == len(imports.SHIPPED_FILES)


def test_secondary_tip_files_only_add_what_the_main_file_lacks(db):
    reports = imports.import_shipped_files(
        only=[f.path for f in imports.SHIPPED_FILES if f.source == "tip_report"]
    )
    by_path = {r.path.split("/")[-1]: r for r in reports}
    cho = by_path["kelley_cho_tiers_1999_2014_raw_codes.csv"]
    assert cho.created == {"tip_tier": 59}  # the Special Cases only
    assert cho.skipped["already in the evidence base (same figure)"] == 2059
    assert cho.conflicts == []
    gvnet = by_path["gvnet_tip_tier_lists_2009_2020_2023_partial.csv"]
    assert gvnet.skipped["already in the evidence base (same figure)"] == 169
    assert (
        not Observation.objects.filter(metric__code="tip_tier", year__in=[2020, 2023])
        .exclude(label__in=["Tier 1", "Tier 2"])
        .exists()
    )
    assert Observation.objects.filter(metric__code="tip_tier", year=2020).count() == 121  # 122 less Kosovo
    assert set(Observation.objects.filter(year__in=[2020, 2023]).values_list("note", flat=True)) == {
        imports.PARTIAL_TIER_NOTE
    }
    assert set(gvnet.unmatched) == {"Kosovo", "Netherlands Antilles"}


def test_a_conflicting_figure_already_in_the_base_is_kept_and_reported(catalogue):
    metric = Metric.objects.get(code="tip_tier")
    Observation.objects.create(
        metric=metric,
        country=Country.objects.get(iso3="CIV"),
        year=2015,
        edition="TIP Report 2015",
        value=4,
        label="Tier 3",
        published_on=dt.date(2015, 6, 30),
    )
    (report,) = imports.import_shipped_files(only=["tip/kelley_tiers_2015_original.csv"])
    assert any(line.startswith("CIV TIP Report 2015: Tier 3 kept, Tier 2") for line in report.conflicts)
    assert obs("tip_tier", "CIV", 2015).label == "Tier 3"
    assert "Conflicts with figures already imported" in report.batch.notes


# =========================================================================================================
# Uploads
# =========================================================================================================
def test_csv_upload_preview_then_confirm(officer, catalogue):
    upload = csv_file(
        'country,year,value\nCote D\'Ivoire,2016,Tier 2 Watch List\nBurma,2016,3\n"Korea, South",2016,1\n'
    )
    preview = imports.preview_upload(user=officer, metric_code="tip_tier", edition="", uploaded_file=upload)
    assert preview.problems == [] and preview.unmatched == [] and preview.token
    assert [(r["country"].iso3, r["label"], r["value"], r["edition"]) for r in preview.rows] == [
        ("CIV", "Tier 2 Watch List", 3, "TIP Report 2016"),
        ("MMR", "Tier 3", 4, "TIP Report 2016"),
        ("KOR", "Tier 1", 1, "TIP Report 2016"),
    ]
    assert not Observation.objects.exists()  # the preview saves nothing

    batch = imports.confirm_upload(user=officer, token=preview.token, resolutions={})
    assert (batch.origin, batch.rows, batch.file_name, batch.imported_by) == ("upload", 3, "new.csv", officer)
    assert len(batch.sha256) == 64
    civ = obs("tip_tier", "CIV", 2016)
    assert (civ.label, civ.published_on, civ.batch) == ("Tier 2 Watch List", dt.date(2016, 6, 30), batch)
    # The token is used up.
    with pytest.raises(ValidationError) as error:
        imports.confirm_upload(user=officer, token=preview.token, resolutions={})
    assert "token" in error.value.message_dict


def test_xlsx_upload_with_edition_and_published_on_columns(officer, catalogue):
    upload = xlsx_file(
        [
            ["Country", "Year", "Value", "Edition", "Published_on"],
            ["GHA", 2024, 43, "CPI 2024", dt.datetime(2025, 2, 11)],
            ["Côte d’Ivoire", 2024.0, "45", None, None],
        ]
    )
    preview = imports.preview_upload(
        user=officer, metric_code="cpi_score", edition="CPI 2024", uploaded_file=upload
    )
    assert preview.problems == []
    imports.confirm_upload(user=officer, token=preview.token, resolutions={})
    ghana = obs("cpi_score", "GHA", 2024)
    assert (ghana.value, ghana.edition, ghana.published_on) == (43, "CPI 2024", dt.date(2025, 2, 11))
    civ = obs("cpi_score", "CIV", 2024)
    assert (civ.value, civ.edition, civ.published_on) == (45, "CPI 2024", dt.date(2025, 1, 31))


def test_every_bad_row_is_reported_at_once_and_nothing_is_saved(officer, catalogue):
    Observation.objects.create(
        metric=Metric.objects.get(code="cpi_score"),
        country=Country.objects.get(iso3="SEN"),
        year=2024,
        edition="CPI 2024",
        value=45,
        published_on=dt.date(2025, 1, 31),
    )
    upload = csv_file(
        "country;year;value\n"
        "Ghana;2024;43\n"  # 2: fine
        "Atlantis;2024;50\n"  # 3: unknown country → unmatched, not a problem
        "Togo;2024;high\n"  # 4: not a number
        "Benin;1950;40\n"  # 5: year out of range
        "Mali;twenty;40\n"  # 6: not a year
        "Niger;2024;150\n"  # 7: above 100
        "Ghana;2024;44\n"  # 8: duplicate of row 2
        "Senegal;2024;45\n"  # 9: already in the database
        "Chad;2024;-1\n"  # 10: below 0
    )
    preview = imports.preview_upload(
        user=officer, metric_code="cpi_score", edition="CPI 2024", uploaded_file=upload
    )
    assert [(p["row"], p["column"]) for p in preview.problems] == [
        (4, "value"),
        (5, "year"),
        (6, "year"),
        (7, "value"),
        (8, "country"),
        (9, "country"),
        (10, "value"),
    ]
    messages = {p["row"]: p["message"] for p in preview.problems}
    assert (
        "high" in messages[4]
        and "1950" in messages[5]
        and "row 2" in messages[8]
        and "CPI 2024" in messages[9]
    )
    assert preview.unmatched == ["Atlantis"]
    assert preview.token == ""
    assert Observation.objects.count() == 1
    assert not ImportBatch.objects.exists()


def test_categories_not_in_the_metric_are_refused(officer, catalogue):
    upload = csv_file("country,year,value,label\nGhana,2018,,PF\nTogo,2018,,Semi-free\nBenin,2018,NF,\n")
    preview = imports.preview_upload(user=officer, metric_code="fh_status", edition="", uploaded_file=upload)
    assert [(p["row"], p["column"]) for p in preview.problems] == [(3, "label")]
    assert "Semi-free" in preview.problems[0]["message"]
    assert [(r["label"], r["value"], r["edition"]) for r in preview.rows if r["label"]] == [
        ("Partly Free", 2, "Freedom in the World 2019"),
        ("Not Free", 3, "Freedom in the World 2019"),
    ]


@pytest.mark.parametrize("tier", ["2WL", "Tier 2 Watch List", "2.5", "tier 2 watch list", "T2WL"])
def test_tier_aliases(officer, catalogue, tier):
    preview = imports.preview_upload(
        user=officer,
        metric_code="tip_tier",
        edition="",
        uploaded_file=csv_file(f"country,year,value\nGHA,2017,{tier}\n"),
    )
    assert (preview.rows[0]["label"], preview.rows[0]["value"]) == ("Tier 2 Watch List", 3)


@pytest.mark.parametrize(
    ("text", "label"), [("3", "Tier 3"), ("Tier 3", "Tier 3"), ("4", "Tier 3"), ("1", "Tier 1")]
)
def test_tier_numbers_are_read_as_published_tier_names(officer, catalogue, text, label):
    """ "3" is Tier 3 as in the TIP report tables (not the Watch List's rank value 3)."""
    preview = imports.preview_upload(
        user=officer,
        metric_code="tip_tier",
        edition="",
        uploaded_file=csv_file(f"country,year,value\nGHA,2017,{text}\n"),
    )
    assert preview.rows[0]["label"] == label


def test_unmatched_names_block_confirm_until_resolved_then_become_aliases(officer, catalogue):
    upload = csv_file("country,year,value\nCote d Ivoir,2016,2\nRep. of Ghana,2016,2\nSenegal,2016,2\n")
    preview = imports.preview_upload(user=officer, metric_code="tip_tier", edition="", uploaded_file=upload)
    assert preview.problems == []
    assert preview.unmatched == ["Cote d Ivoir", "Rep. of Ghana"]

    with pytest.raises(ValidationError) as error:
        imports.confirm_upload(user=officer, token=preview.token, resolutions={"Cote d Ivoir": "CIV"})
    assert any("Rep. of Ghana" in m for m in error.value.message_dict["resolutions"])
    assert not Observation.objects.exists() and not CountryAlias.objects.filter(alias="Cote d Ivoir").exists()

    with pytest.raises(ValidationError) as error:
        imports.confirm_upload(
            user=officer, token=preview.token, resolutions={"Cote d Ivoir": "CIV", "Rep. of Ghana": "XXX"}
        )
    assert any("unknown country code" in m for m in error.value.message_dict["resolutions"])

    batch = imports.confirm_upload(
        user=officer, token=preview.token, resolutions={"Cote d Ivoir": "civ", "Rep. of Ghana": "GHA"}
    )
    assert batch.rows == 3
    assert obs("tip_tier", "GHA", 2016).label == "Tier 2"
    alias = CountryAlias.objects.get(alias="Cote d Ivoir")
    assert (alias.country.iso3, alias.created_by) == ("CIV", officer)
    assert match_country("Rep. of Ghana").iso3 == "GHA"
    assert "Rep. of Ghana → GHA" in batch.notes


def test_confirm_checks_again_and_saves_nothing_if_the_base_changed(officer, catalogue):
    preview = imports.preview_upload(
        user=officer,
        metric_code="tip_tier",
        edition="",
        uploaded_file=csv_file("country,year,value\nGHA,2016,1\nCIV,2016,2\n"),
    )
    imports.record_observation(user=officer, data={"country": "CIV", "year": 2016, "label": "Tier 2"})
    with pytest.raises(ValidationError) as error:
        imports.confirm_upload(user=officer, token=preview.token, resolutions={})
    assert any(m.startswith("Row 3, country:") for m in error.value.message_dict["rows"])
    assert Observation.objects.count() == 1
    assert ImportBatch.objects.filter(origin="upload").count() == 0


def test_a_preview_belongs_to_the_user_who_made_it(officer, catalogue):
    colleague = UserFactory(organisation=officer.organisation)
    preview = imports.preview_upload(
        user=officer,
        metric_code="tip_tier",
        edition="",
        uploaded_file=csv_file("country,year,value\nGHA,2016,1\n"),
    )
    with pytest.raises(ValidationError):
        imports.confirm_upload(user=colleague, token=preview.token, resolutions={})
    with pytest.raises(ValidationError):
        imports.confirm_upload(user=officer, token="nonexistent", resolutions={})
    assert not Observation.objects.exists()


@pytest.mark.parametrize(
    ("content", "name"),
    [
        (b"pays;annee\nGhana;2016\n", "a.csv"),  # no value column
        (b"", "empty.csv"),
        (b"country,year,value\n", "header-only.csv"),
        (b"PK\x03\x04 not really a spreadsheet", "broken.xlsx"),
    ],
)
def test_unreadable_files_are_refused_with_a_file_error(officer, catalogue, content, name):
    with pytest.raises(ValidationError) as error:
        imports.preview_upload(
            user=officer, metric_code="tip_tier", edition="", uploaded_file=SimpleUploadedFile(name, content)
        )
    assert "file" in error.value.message_dict


def test_unknown_metric_is_a_field_error(officer, catalogue):
    with pytest.raises(ValidationError) as error:
        imports.preview_upload(
            user=officer, metric_code="nope", edition="", uploaded_file=csv_file("country,year,value\n")
        )
    assert "metric" in error.value.message_dict


@pytest.mark.parametrize("who", ["outsider", "observer", "anonymous"])
def test_only_selection_staff_may_import(request, catalogue, who):
    user = AnonymousUser() if who == "anonymous" else request.getfixturevalue(who)
    with pytest.raises(PermissionDenied):
        imports.preview_upload(
            user=user,
            metric_code="tip_tier",
            edition="",
            uploaded_file=csv_file("country,year,value\nGHA,2016,1\n"),
        )
    with pytest.raises(PermissionDenied):
        imports.confirm_upload(user=user, token="x", resolutions={})
    with pytest.raises(PermissionDenied):
        imports.record_observation(user=user, data={"country": "GHA", "year": 2016, "label": "Tier 1"})
    with pytest.raises(PermissionDenied):
        imports.load_preview(user=user, token="x")
    if who != "anonymous":  # the command runs without a user; a given user must be selection staff
        with pytest.raises(PermissionDenied):
            imports.import_shipped_data(user=user)
    assert not ImportBatch.objects.exists()


# =========================================================================================================
# Figures entered by hand
# =========================================================================================================
def test_record_tier_placement_by_hand(officer, catalogue):
    civ = Country.objects.get(iso3="CIV")
    observation = imports.record_observation(
        user=officer, data={"country": civ, "year": 2016, "label": "2WL", "note": "TIP Report 2016, p. 140"}
    )
    assert (observation.metric.code, observation.label, observation.value) == (
        "tip_tier",
        "Tier 2 Watch List",
        3,
    )
    assert (observation.edition, observation.published_on) == ("TIP Report 2016", dt.date(2016, 6, 30))
    assert observation.batch.origin == "manual" and observation.batch.imported_by == officer

    with pytest.raises(ValidationError) as error:
        imports.record_observation(user=officer, data={"country": "CIV", "year": 2016, "label": "Tier 1"})
    assert "year" in error.value.message_dict  # same edition already has a figure
    assert Observation.objects.count() == 1


def test_record_observation_reports_every_bad_field(officer, catalogue):
    with pytest.raises(ValidationError) as error:
        imports.record_observation(
            user=officer, data={"country": "Atlantis", "year": 1900, "label": "Tier 9"}
        )
    assert set(error.value.message_dict) == {"country", "year", "label"}
    with pytest.raises(ValidationError) as error:
        imports.record_observation(
            user=officer,
            data={
                "metric": "cpi_score",
                "country": "GHA",
                "year": 2024,
                "value": 130,
                "published_on": "soon",
            },
        )
    assert set(error.value.message_dict) == {"value", "published_on"}
    assert not Observation.objects.exists() and not ImportBatch.objects.exists()


def test_record_numeric_figure_with_explicit_edition_and_date(officer, catalogue):
    observation = imports.record_observation(
        user=officer,
        data={
            "metric": "cpi_score",
            "country": "gha",
            "year": 2024,
            "value": "43",
            "edition": "CPI 2024",
            "published_on": dt.date(2025, 2, 11),
        },
    )
    assert (observation.value, observation.edition, observation.published_on) == (
        43,
        "CPI 2024",
        dt.date(2025, 2, 11),
    )


def test_source_publication_rules():
    def source(code):
        from pacte.countries.catalogue import SOURCES

        spec = next(s for s in SOURCES if s["code"] == code)
        return Source(
            **{k: v for k, v in spec.items() if k.startswith("publication_") and k != "publication_rule"}
        )

    assert source("tip_report").published_on(2015) == dt.date(2015, 6, 30)
    assert source("fh_fiw").published_on(2017) == dt.date(2018, 3, 1)
    assert source("ti_cpi").published_on(2023) == dt.date(2024, 1, 31)
    assert source("wb_income").published_on(2020) == dt.date(2021, 7, 1)
    assert source("gapminder_gdp").published_on(2022) == dt.date(2023, 12, 31)


def test_catalogue_is_idempotent_and_complete(db):
    ensure_catalogue()
    ensure_catalogue()
    assert Source.objects.count() == 8
    assert set(Metric.objects.values_list("code", flat=True)) == set(EXPECTED_COUNTS)
    tier = Metric.objects.get(code="tip_tier")
    assert tier.higher_is_better is False and tier.kind == "ordinal"
    assert [(c["label"], c["value"]) for c in tier.categories] == [
        ("Tier 1", 1),
        ("Tier 2", 2),
        ("Tier 2 Watch List", 3),
        ("Tier 3", 4),
        ("Special Case", None),
    ]
    assert tier.value_for_label("2WL") == 3
    status = Metric.objects.get(code="fh_status")
    assert status.value_for_label("PF") == 2 and status.higher_is_better is False
    assert Metric.objects.get(code="fh_political_rights").maximum == 7
    assert Metric.objects.get(code="wb_income_group").higher_is_better is False
    assert Metric.objects.get(code="factbook_unemployment").higher_is_better is False
    assert Metric.objects.get(code="cpi_score").higher_is_better is True


# =========================================================================================================
# Pages
# =========================================================================================================
def test_upload_pages_preview_resolve_and_confirm(officer_client, catalogue):
    response = officer_client.get(reverse("countries:import_upload"))
    assert response.status_code == 200
    upload = csv_file("country,year,value\nGhana,2017,Tier 2\nIvory Coastt,2017,Tier 2 Watch List\n")
    response = officer_client.post(
        reverse("countries:import_upload"), {"metric": "tip_tier", "edition": "", "file": upload}
    )
    assert response.status_code == 302
    preview_url = response["Location"]
    response = officer_client.get(preview_url)
    assert response.status_code == 200
    content = response.content.decode()
    assert "Ivory Coastt" in content and 'name="resolve_0"' in content
    assert not Observation.objects.exists()

    response = officer_client.post(preview_url, {"unmatched": ["Ivory Coastt"], "resolve_0": ""})
    assert response.status_code == 400
    assert "Ivory Coastt" in response.content.decode()
    assert not Observation.objects.exists()

    # Two names, one resolved: refused, and both stay listed with the choice kept.
    upload = csv_file("country,year,value\nIvory Coastt,2018,Tier 2\nGhanna,2018,Tier 1\n", name="two.csv")
    two_url = officer_client.post(reverse("countries:import_upload"), {"metric": "tip_tier", "file": upload})[
        "Location"
    ]
    response = officer_client.post(
        two_url, {"unmatched": ["Ghanna", "Ivory Coastt"], "resolve_0": "", "resolve_1": "CIV"}
    )
    assert response.status_code == 400
    content = response.content.decode()
    assert 'value="Ghanna"' in content and 'value="Ivory Coastt"' in content
    assert '<option value="CIV" selected>' in content
    assert not Observation.objects.exists()

    response = officer_client.post(preview_url, {"unmatched": ["Ivory Coastt"], "resolve_0": "CIV"})
    assert response.status_code == 302 and response["Location"] == reverse("countries:import_list")
    assert obs("tip_tier", "CIV", 2017).label == "Tier 2 Watch List"
    listing = officer_client.get(reverse("countries:import_list"))
    assert listing.status_code == 200 and "new.csv" in listing.content.decode()


def test_upload_page_with_bad_rows_answers_400_with_the_problems(officer_client, catalogue):
    upload = csv_file("country,year,value\nGhana,2017,Tier 9\nTogo,3000,Tier 1\n")
    response = officer_client.post(reverse("countries:import_upload"), {"metric": "tip_tier", "file": upload})
    assert response.status_code == 400
    content = response.content.decode()
    assert 'id="problems"' in content and "Tier 9" in content and "3000" in content
    assert not Observation.objects.exists() and not ImportBatch.objects.exists()


def test_upload_page_without_file_answers_400(officer_client, catalogue):
    response = officer_client.post(reverse("countries:import_upload"), {"metric": "tip_tier"})
    assert response.status_code == 400


def test_observation_page(officer_client, catalogue):
    url = reverse("countries:observation_add")
    assert officer_client.get(url).status_code == 200
    response = officer_client.post(
        url, {"metric": "tip_tier", "country": "CIV", "year": 2018, "label": "Tier 2"}
    )
    assert response.status_code == 302
    assert obs("tip_tier", "CIV", 2018).published_on == dt.date(2018, 6, 30)
    response = officer_client.post(
        url, {"metric": "tip_tier", "country": "CIV", "year": 2018, "label": "Tier 2"}
    )
    assert response.status_code == 400
    assert Observation.objects.count() == 1


@pytest.mark.parametrize(
    "name",
    ["countries:import_list", "countries:import_upload", "countries:observation_add", "countries:rating_add"],
)
def test_import_pages_are_for_selection_staff_only(client, outsider_client, observer_client, catalogue, name):
    url = reverse(name)
    assert outsider_client.get(url).status_code == 403
    assert observer_client.get(url).status_code == 403
    if name != "countries:import_list":  # a read-only page
        assert outsider_client.post(url, {}).status_code == 403
    response = client.get(url)
    assert response.status_code == 302 and reverse("accounts:login") in response["Location"]


def test_preview_page_is_for_staff_only_and_unknown_tokens_are_404(
    officer_client, outsider_client, catalogue
):
    url = reverse("countries:import_preview", kwargs={"token": "abc"})
    assert outsider_client.get(url).status_code == 403
    assert officer_client.get(url).status_code == 404
