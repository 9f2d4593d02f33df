"""Results services: definitions, targets, submissions (bad input of every kind), evidence,
narratives, the annual report's meeting, and the standard categories. The workflow, separation of
duties, locking and concurrency are in ``test_workflow.py``."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation

from pacte.accounts.factories import OrganisationFactory, UserFactory
from pacte.accounts.models import Organisation
from pacte.compacts import models as compacts
from pacte.compacts.factories import IndicatorFactory, ObjectiveFactory, make_compact_with_parties
from pacte.results import services
from pacte.results.categories import STANDARD_CATEGORIES
from pacte.results.factories import DisaggregationCategoryFactory, make_definition, make_submission
from pacte.results.models import (
    AnnualReport,
    DisaggregationCategory,
    Evidence,
    IndicatorDefinition,
    NarrativeSection,
    Submission,
    Target,
    Value,
)
from pacte.results.services import ValueInput

Unit = IndicatorDefinition.Unit
D = Decimal


def total(value=None, **kw):
    """The total; ``value`` is passed as given (ints, strings and junk test the coercion)."""
    return ValueInput(value=value, **kw)


def part(category, value=None, **kw):
    return ValueInput(category=category, value=value, **kw)


def messages(exc, field):
    return " ".join(exc.value.message_dict[field])


@pytest.fixture
def cats(standard_categories):
    return standard_categories


# ================================================================================================
# Standard categories
# ================================================================================================
class TestStandardCategories:
    def test_the_data_migration_installed_them(self, db):
        counts = {
            (dim, country): DisaggregationCategory.objects.filter(dimension=dim, country=country).count()
            for dim, country in [("sex", ""), ("age", ""), ("trafficking_form", ""), ("region", "CIV")]
        }
        assert counts == {("sex", ""): 3, ("age", ""): 6, ("trafficking_form", ""): 3, ("region", "CIV"): 33}

    def test_age_bands_under_18_are_parts_of_under_18(self, cats):
        under_18 = cats["under-18"]
        assert {c.code for c in under_18.children.all()} == {"age-0-5", "age-6-11", "age-12-14", "age-15-17"}
        assert cats["18-and-over"].parent is None

    def test_regions_of_cote_d_ivoire(self, cats):
        regions = DisaggregationCategory.objects.filter(dimension="region", country="CIV")
        codes = set(regions.values_list("code", flat=True))
        assert {"abidjan", "yamoussoukro", "gbeke", "san-pedro", "moronou", "nzi", "tchologo"} <= codes
        assert cats["gbeke"].label_fr == "Gbêkê" == cats["gbeke"].label_en
        assert cats["abidjan"].label_fr == "District autonome d'Abidjan"
        assert regions.filter(parent__isnull=False).count() == 0  # one level: they add up to the country

    def test_idempotent_and_restores_labels(self, cats):
        before = DisaggregationCategory.objects.count()
        DisaggregationCategory.objects.filter(code="female").update(label_en="Woman")
        services.ensure_standard_categories()
        services.ensure_standard_categories()
        assert DisaggregationCategory.objects.count() == before == len(STANDARD_CATEGORIES)
        assert DisaggregationCategory.objects.get(code="female").label_en == "Female"

    def test_label_follows_the_language(self, cats):
        assert cats["forced-labor"].label == "Travail forcé"
        with translation.override("en"):
            assert cats["forced-labor"].label == "Forced labor"


# ================================================================================================
# Indicator definitions
# ================================================================================================
@pytest.fixture
def indicator(compact):
    return IndicatorFactory(objective=ObjectiveFactory(compact=compact))


DATA = {
    "unit": Unit.COUNT,
    "unit_label": "enfants identifiés",
    "direction": IndicatorDefinition.Direction.INCREASE,
    "cumulation": IndicatorDefinition.Cumulation.PER_PERIOD,
    "frequency": IndicatorDefinition.Frequency.ANNUAL,
    "baseline_value": D("120"),
    "baseline_year": 2022,
    "baseline_source": "Rapport CNS 2022",
}


class TestDefineIndicator:
    def test_committee_member_defines_an_indicator(self, indicator, reviewer, cats, reporter_org):
        definition = services.define_indicator(
            user=reviewer,
            indicator=indicator,
            data=DATA,
            categories=[cats["female"], cats["male"], cats["gbeke"]],
            reporters=[reporter_org],
        )
        definition.refresh_from_db()
        assert definition.compact == indicator.objective.compact
        assert definition.baseline_value == D("120") and definition.baseline_year == 2022
        assert set(definition.categories.values_list("code", flat=True)) == {"female", "male", "gbeke"}
        assert list(definition.reporters.all()) == [reporter_org]
        assert definition.version == 1

    def test_update_bumps_the_version_and_replaces_the_sets(self, indicator, officer, cats, reporter_org):
        first = services.define_indicator(
            user=officer,
            indicator=indicator,
            data=DATA,
            categories=[cats["female"]],
            reporters=[reporter_org],
        )
        second = services.define_indicator(
            user=officer,
            indicator=indicator,
            data={"unit_label": "victimes"},
            categories=[cats["male"]],
            version=1,
        )
        assert second.pk == first.pk and second.version == 2 and second.unit_label == "victimes"
        assert list(second.categories.values_list("code", flat=True)) == ["male"]
        assert not second.reporters.exists()

    def test_stale_version_is_refused(self, indicator, officer):
        services.define_indicator(user=officer, indicator=indicator, data=DATA)
        services.define_indicator(user=officer, indicator=indicator, data={"unit_label": "a"}, version=1)
        with pytest.raises(ValidationError) as exc:
            services.define_indicator(user=officer, indicator=indicator, data={"unit_label": "b"}, version=1)
        assert "version" in exc.value.message_dict
        assert IndicatorDefinition.objects.get(indicator=indicator).unit_label == "a"

    @pytest.mark.parametrize("who", ["reporter", "observer", "outsider"])
    def test_without_define_capability(self, request, indicator, who):
        user = request.getfixturevalue(who)
        with pytest.raises(PermissionDenied):
            services.define_indicator(user=user, indicator=indicator, data=DATA)
        assert not IndicatorDefinition.objects.exists()

    def test_region_of_another_country_is_refused(self, indicator, officer, cats):
        dakar = DisaggregationCategoryFactory(
            dimension="region", country="SEN", code="dakar", label_fr="Dakar"
        )
        with pytest.raises(ValidationError) as exc:
            services.define_indicator(
                user=officer, indicator=indicator, data=DATA, categories=[cats["male"], dakar]
            )
        assert "Dakar" in messages(exc, "categories")
        assert not IndicatorDefinition.objects.exists()

    def test_reporter_must_take_part_in_the_compact(self, indicator, officer, outsider):
        with pytest.raises(ValidationError) as exc:
            services.define_indicator(
                user=officer, indicator=indicator, data=DATA, reporters=[outsider.organisation]
            )
        assert "Unrelated NGO" in messages(exc, "reporters")

    def test_percentage_baseline_is_derived_from_numerator_and_denominator(self, indicator, officer):
        data = {"unit": Unit.PERCENTAGE, "baseline_numerator": D(30), "baseline_denominator": D(120)}
        definition = services.define_indicator(user=officer, indicator=indicator, data=data)
        definition.refresh_from_db()
        assert definition.baseline_value == D("25.0000")

    @pytest.mark.parametrize(
        ("data", "field"),
        [
            ({"baseline_numerator": D(30)}, "baseline_denominator"),
            ({"baseline_denominator": D(30)}, "baseline_numerator"),
            ({"baseline_value": D(25)}, "baseline_numerator"),
            ({"baseline_numerator": D(40), "baseline_denominator": D(30)}, "baseline_numerator"),
            ({"baseline_numerator": D(1), "baseline_denominator": D(0)}, "baseline_denominator"),
            ({"baseline_numerator": "trente", "baseline_denominator": D(30)}, "baseline_numerator"),
        ],
    )
    def test_bad_percentage_baselines(self, indicator, officer, data, field):
        with pytest.raises(ValidationError) as exc:
            services.define_indicator(
                user=officer, indicator=indicator, data={"unit": Unit.PERCENTAGE, **data}
            )
        assert field in exc.value.message_dict
        assert not IndicatorDefinition.objects.exists()

    def test_numerator_may_exceed_denominator_when_allowed(self, indicator, officer):
        data = {
            "unit": Unit.PERCENTAGE,
            "numerator_may_exceed_denominator": True,
            "baseline_numerator": D(45),
            "baseline_denominator": D(30),
        }
        definition = services.define_indicator(user=officer, indicator=indicator, data=data)
        assert definition.baseline_value == D("150.0000")

    @pytest.mark.parametrize(
        ("data", "field"),
        [
            ({"unit": Unit.MILESTONE, "baseline_value": D(2)}, "baseline_value"),
            ({"unit": Unit.COUNT, "baseline_value": D(-1)}, "baseline_value"),
            ({"unit": Unit.COUNT, "baseline_value": "beaucoup"}, "baseline_value"),
            ({"unit": "kilogram"}, "unit"),
            ({"baseline_year": 1800}, "baseline_year"),
            ({"frequency": "monthly"}, "frequency"),
        ],
    )
    def test_bad_definition_data(self, indicator, officer, data, field):
        with pytest.raises(ValidationError) as exc:
            services.define_indicator(user=officer, indicator=indicator, data=data)
        assert field in exc.value.message_dict

    def test_unknown_field_is_a_programming_error(self, indicator, officer):
        with pytest.raises(TypeError):
            services.define_indicator(user=officer, indicator=indicator, data={"compact": None})

    def test_unit_and_frequency_frozen_once_values_exist(self, definition, officer, reporter_org):
        services.define_indicator(
            user=officer,
            indicator=definition.indicator,
            data={"unit": Unit.PERCENTAGE},
            categories=definition.categories.all(),
            reporters=definition.reporters.all(),
        )
        services.define_indicator(
            user=officer,
            indicator=definition.indicator,
            data={"unit": Unit.COUNT},
            categories=definition.categories.all(),
            reporters=definition.reporters.all(),
        )
        make_submission(definition, reporter_org, "2023", total=5)
        for data, field in (({"unit": Unit.PERCENTAGE}, "unit"), ({"frequency": "quarterly"}, "frequency")):
            with pytest.raises(ValidationError) as exc:
                services.define_indicator(
                    user=officer,
                    indicator=definition.indicator,
                    data=data,
                    categories=definition.categories.all(),
                    reporters=definition.reporters.all(),
                )
            assert field in exc.value.message_dict
        definition.refresh_from_db()
        assert definition.unit == Unit.COUNT and definition.frequency == "annual"

    def test_category_in_use_cannot_be_removed(self, definition, officer, reporter_org, cats):
        make_submission(definition, reporter_org, "2023", total=5, parts={"female": 5})
        with pytest.raises(ValidationError) as exc:
            services.define_indicator(
                user=officer,
                indicator=definition.indicator,
                data={},
                categories=[cats["male"]],
                reporters=definition.reporters.all(),
            )
        assert "Féminin" in messages(exc, "categories")
        assert definition.categories.filter(code="female").exists()

    def test_english_messages(self, indicator, officer):
        with translation.override("en"), pytest.raises(ValidationError) as exc:
            services.define_indicator(
                user=officer,
                indicator=indicator,
                data={"unit": Unit.PERCENTAGE, "baseline_numerator": D(40), "baseline_denominator": D(30)},
            )
        assert messages(exc, "baseline_numerator") == "The numerator (40) cannot exceed the denominator (30)."


# ================================================================================================
# Targets
# ================================================================================================
class TestTargets:
    def test_set_update_and_remove(self, definition, reviewer):
        services.set_targets(user=reviewer, definition=definition, targets={2023: D(100), 2024: D(150)})
        targets = services.set_targets(
            user=reviewer, definition=definition, targets={2023: None, 2025: "200"}
        )
        assert [(t.year, t.value) for t in targets] == [(2024, D(150)), (2025, D(200))]
        assert definition.version == 3  # the caller's object follows
        definition.refresh_from_db()
        assert definition.version == 3

    @pytest.mark.parametrize(
        ("targets", "text"),
        [
            ({2021: D(10)}, "2021"),
            ({2028: D(10)}, "2028"),
            ({2024: "cent"}, "cent"),
            ({2024: D(-5)}, "2024"),
            ({"deux mille": D(5)}, "deux mille"),
        ],
    )
    def test_bad_targets_save_nothing(self, definition, reviewer, targets, text):
        with pytest.raises(ValidationError) as exc:
            services.set_targets(user=reviewer, definition=definition, targets={2023: D(50), **targets})
        assert text in messages(exc, "targets")
        assert not Target.objects.exists()
        definition.refresh_from_db()
        assert definition.version == 1

    def test_milestone_and_percentage_targets(self, compact, officer):
        milestone = make_definition(compact, unit=Unit.MILESTONE)
        services.set_targets(user=officer, definition=milestone, targets={2025: 1})
        with pytest.raises(ValidationError):
            services.set_targets(user=officer, definition=milestone, targets={2026: 2})
        percentage = make_definition(compact, unit=Unit.PERCENTAGE)
        services.set_targets(user=officer, definition=percentage, targets={2025: D("75.5")})
        with pytest.raises(ValidationError):
            services.set_targets(user=officer, definition=percentage, targets={2026: D(120)})

    def test_stale_version_refused(self, definition, reviewer):
        services.set_targets(user=reviewer, definition=definition, targets={2023: D(1)}, version=1)
        with pytest.raises(ValidationError) as exc:
            services.set_targets(user=reviewer, definition=definition, targets={2023: D(2)}, version=1)
        assert "version" in exc.value.message_dict
        assert Target.objects.get().value == D(1)

    @pytest.mark.parametrize("who", ["reporter", "observer", "outsider"])
    def test_permission(self, request, definition, who):
        with pytest.raises(PermissionDenied):
            services.set_targets(
                user=request.getfixturevalue(who), definition=definition, targets={2023: D(1)}
            )


# ================================================================================================
# Submissions: saving and bad input
# ================================================================================================
class TestSaveSubmission:
    def test_reporter_saves_a_draft_with_disaggregated_values(self, definition, reporter, reporter_org, cats):
        submission = services.save_submission(
            user=reporter,
            definition=definition,
            period="2023",
            values=[total(12), part(cats["female"], 7), part(cats["male"], 5), part(cats["under-18"], None)],
            comment="  Données des centres sociaux  ",
        )
        submission.refresh_from_db()
        assert submission.status == Submission.Status.DRAFT and submission.organisation == reporter_org
        assert (submission.period, submission.period_start, submission.period_end, submission.year) == (
            "2023",
            dt.date(2023, 1, 1),
            dt.date(2023, 12, 31),
            2023,
        )
        assert submission.comment == "Données des centres sociaux"
        assert submission.created_by == reporter and submission.version == 1 and not submission.is_demo
        stored = {(v.category.code if v.category else None): v.value for v in submission.values.all()}
        assert stored == {None: D(12), "female": D(7), "male": D(5)}  # blank parts are not stored

    def test_update_replaces_values_and_bumps_version(self, draft_submission, reporter, cats):
        services.save_submission(
            user=reporter,
            definition=draft_submission.definition,
            period="2023",
            values=[total(11), part(cats["male"], 11)],
            submission=draft_submission,
            version=1,
        )
        draft_submission.refresh_from_db()
        assert draft_submission.version == 2
        assert {
            (v.category.code if v.category else None): v.value for v in draft_submission.values.all()
        } == {
            None: D(11),
            "male": D(11),
        }

    def test_demo_flag(self, definition, officer, reporter_org):
        submission = services.save_submission(
            user=officer,
            definition=definition,
            period="2024",
            values=[total(3)],
            organisation=reporter_org,
            is_demo=True,
        )
        assert submission.is_demo

    @pytest.mark.parametrize(
        ("values", "expected"),
        [
            ([total("douze")], "total: “douze” is not a number"),
            ([total(12), ValueInput(value="beaucoup")], "total is given twice"),
            ([total(-1)], "a count cannot be negative"),
            ([total("2.5")], "a count is a whole number"),
            ([total(True)], "is not a number"),
            ([total(float("nan"))], "is not a number"),
            ([total(D("1e20"))], "too large"),
            ([], "Give the total."),
            ([total(None)], "total: give the value"),
        ],
    )
    def test_bad_count_values(self, definition, reporter, values, expected):
        with translation.override("en"), pytest.raises(ValidationError) as exc:
            services.save_submission(user=reporter, definition=definition, period="2023", values=values)
        assert expected in messages(exc, "values")
        assert not Submission.objects.exists() and not Value.objects.exists()

    @pytest.mark.parametrize(
        ("raw", "stored"), [("1 000", D(1000)), ("1\u202f000", D(1000)), (" 12 ", D(12)), (7, D(7))]
    )
    def test_numbers_written_as_text(self, definition, reporter, raw, stored):
        submission = services.save_submission(
            user=reporter, definition=definition, period="2023", values=[total(raw)]
        )
        assert submission.values.get().value == stored

    @pytest.mark.parametrize("raw", ["1,000", "1.000,5", "12,", "dix", [3], {"v": 1}])
    def test_ambiguous_or_foreign_numbers_are_refused(self, definition, reporter, raw):
        with pytest.raises(ValidationError) as exc:
            services.save_submission(user=reporter, definition=definition, period="2023", values=[total(raw)])
        assert "values" in exc.value.message_dict
        assert not Submission.objects.exists()

    def test_french_decimal_comma(self, percentage_definition, reporter):
        submission = services.save_submission(
            user=reporter,
            definition=percentage_definition,
            period="2023",
            values=[ValueInput(numerator="12,5", denominator="50")],
        )
        assert submission.values.get().numerator == D("12.5")

    def test_wrong_type_in_a_part_names_the_category(self, definition, reporter, cats):
        with pytest.raises(ValidationError) as exc:
            services.save_submission(
                user=reporter,
                definition=definition,
                period="2023",
                values=[total(10), part(cats["female"], "six")],
            )
        assert "Féminin" in messages(exc, "values") and "six" in messages(exc, "values")
        assert not Submission.objects.exists()

    def test_every_bad_value_is_reported_at_once(self, definition, reporter, cats):
        with pytest.raises(ValidationError) as exc:
            services.save_submission(
                user=reporter,
                definition=definition,
                period="2031",
                values=[total("x"), part(cats["female"], -2), part(cats["forced-labor"], 1)],
            )
        assert set(exc.value.message_dict) == {"period", "values"}
        assert len(exc.value.message_dict["values"]) == 3

    def test_undefined_category_is_named(self, definition, reporter, cats):
        for category in (cats["forced-labor"], cats["gbeke"], cats["age-15-17"]):
            with pytest.raises(ValidationError) as exc:
                services.save_submission(
                    user=reporter, definition=definition, period="2023", values=[total(10), part(category, 3)]
                )
            assert f"“{category.label}” is not a disaggregation of this indicator." in messages(
                exc, "values"
            ) or (category.label in messages(exc, "values"))
        assert not Submission.objects.exists()

    def test_undefined_category_in_english(self, definition, reporter, cats):
        with translation.override("en"), pytest.raises(ValidationError) as exc:
            services.save_submission(
                user=reporter,
                definition=definition,
                period="2023",
                values=[total(10), part(cats["sexual-exploitation"], 3)],
            )
        assert exc.value.message_dict["values"] == [
            "“Sexual exploitation” is not a disaggregation of this indicator."
        ]

    @pytest.mark.parametrize("period", ["2021", "2028", "2030"])
    def test_period_outside_the_compact(self, definition, reporter, period):
        with translation.override("en"), pytest.raises(ValidationError) as exc:
            services.save_submission(user=reporter, definition=definition, period=period, values=[total(1)])
        assert f"{period} is outside the term of the compact" in messages(exc, "period")
        assert not Submission.objects.exists()

    def test_periods_on_the_edges_of_the_term_are_accepted(self, definition, reporter):
        # The term runs from 7 December 2022 to 7 December 2027: both years overlap it.
        for period in ("2022", "2027"):
            services.save_submission(user=reporter, definition=definition, period=period, values=[total(1)])
        assert Submission.objects.count() == 2

    @pytest.mark.parametrize("period", ["2024Q5", "24", "", "  ", "2024Q1", "FY2024"])
    def test_malformed_or_wrong_kind_of_period(self, definition, reporter, period):
        with pytest.raises(ValidationError) as exc:
            services.save_submission(user=reporter, definition=definition, period=period, values=[total(1)])
        assert "period" in exc.value.message_dict
        assert not Submission.objects.exists()

    def test_quarterly_and_fiscal_year_indicators(self, compact, reporter, reporter_org):
        quarterly = make_definition(compact, reporters=[reporter_org], frequency="quarterly")
        fiscal = make_definition(compact, reporters=[reporter_org], frequency="fiscal_year")
        q = services.save_submission(user=reporter, definition=quarterly, period="2022q4", values=[total(1)])
        assert q.period == "2022Q4" and q.period_start == dt.date(2022, 10, 1)
        fy = services.save_submission(user=reporter, definition=fiscal, period="FY2028", values=[total(1)])
        assert (fy.period_start, fy.period_end, fy.year) == (dt.date(2027, 10, 1), dt.date(2028, 9, 30), 2028)
        with pytest.raises(ValidationError) as exc:
            services.save_submission(user=reporter, definition=quarterly, period="2022Q3", values=[total(1)])
        assert "2022Q3" in messages(exc, "period")

    def test_duplicate_submission_is_refused(self, draft_submission, reporter):
        with translation.override("en"), pytest.raises(ValidationError) as exc:
            services.save_submission(
                user=reporter, definition=draft_submission.definition, period="2023", values=[total(99)]
            )
        assert messages(exc, "period") == (
            "Association Enfance Protégée (test) (AEP) has already reported this indicator for 2023: "
            "edit that submission."
        )
        assert Submission.objects.count() == 1
        assert draft_submission.values.get(category=None).value == D(10)

    def test_moving_a_draft_onto_an_existing_period_is_refused(self, draft_submission, reporter):
        other = services.save_submission(
            user=reporter, definition=draft_submission.definition, period="2024", values=[total(1)]
        )
        with pytest.raises(ValidationError) as exc:
            services.save_submission(
                user=reporter, definition=other.definition, period="2023", values=[total(1)], submission=other
            )
        assert "period" in exc.value.message_dict

    def test_another_organisation_may_report_the_same_period(self, draft_submission, other_reporter):
        services.save_submission(
            user=other_reporter, definition=draft_submission.definition, period="2023", values=[total(4)]
        )
        assert Submission.objects.filter(period="2023").count() == 2

    def test_percentages(self, percentage_definition, reporter, cats):
        submission = services.save_submission(
            user=reporter,
            definition=percentage_definition,
            period="2023",
            values=[
                ValueInput(numerator=D(30), denominator=D(120)),
                ValueInput(category=cats["female"], numerator="10", denominator="40"),
            ],
        )
        t = submission.values.get(category=None)
        assert (t.numerator, t.denominator, t.value) == (D(30), D(120), D(25))
        assert submission.values.get(category=cats["female"]).value == D(25)

    @pytest.mark.parametrize(
        ("value", "expected"),
        [
            (
                ValueInput(numerator=D(130), denominator=D(120)),
                "total: the numerator (130) cannot exceed the denominator (120).",
            ),
            (
                ValueInput(numerator=D(1), denominator=D(0)),
                "total: the denominator must be greater than zero.",
            ),
            (ValueInput(numerator=D(1)), "total: a percentage needs both the numerator and the denominator."),
            (ValueInput(value=D(25)), "total: a percentage needs both the numerator and the denominator."),
            (ValueInput(numerator=D(-1), denominator=D(10)), "total: the numerator cannot be negative."),
            (ValueInput(numerator="un", denominator=D(10)), "total: “un” is not a number (numerator)."),
        ],
    )
    def test_bad_percentages(self, percentage_definition, reporter, value, expected):
        with translation.override("en"), pytest.raises(ValidationError) as exc:
            services.save_submission(
                user=reporter, definition=percentage_definition, period="2023", values=[value]
            )
        assert exc.value.message_dict["values"] == [expected]
        assert not Submission.objects.exists()

    def test_numerator_above_denominator_in_a_part_names_the_category(
        self, percentage_definition, reporter, cats
    ):
        with pytest.raises(ValidationError) as exc:
            services.save_submission(
                user=reporter,
                definition=percentage_definition,
                period="2023",
                values=[
                    ValueInput(numerator=D(3), denominator=D(10)),
                    ValueInput(category=cats["male"], numerator=D(5), denominator=D(2)),
                ],
            )
        assert messages(exc, "values").startswith("Masculin")

    def test_numerator_may_exceed_denominator_when_the_definition_allows(
        self, compact, reporter, reporter_org
    ):
        definition = make_definition(
            compact, reporters=[reporter_org], unit=Unit.PERCENTAGE, numerator_may_exceed_denominator=True
        )
        submission = services.save_submission(
            user=reporter,
            definition=definition,
            period="2023",
            values=[ValueInput(numerator=D(150), denominator=D(100))],
        )
        assert submission.values.get().value == D(150)

    def test_milestones_and_qualitative(self, compact, reporter, reporter_org):
        milestone = make_definition(compact, reporters=[reporter_org], unit=Unit.MILESTONE)
        services.save_submission(user=reporter, definition=milestone, period="2023", values=[total(1)])
        with pytest.raises(ValidationError) as exc:
            services.save_submission(user=reporter, definition=milestone, period="2024", values=[total(2)])
        assert "milestone" in messages(exc, "values") or "jalon" in messages(exc, "values")
        qualitative = make_definition(compact, reporters=[reporter_org], unit=Unit.QUALITATIVE)
        s = services.save_submission(
            user=reporter,
            definition=qualitative,
            period="2023",
            values=[ValueInput(text=" Plan adopté en conseil des ministres ")],
        )
        assert s.values.get().text == "Plan adopté en conseil des ministres"
        with pytest.raises(ValidationError):
            services.save_submission(
                user=reporter, definition=qualitative, period="2024", values=[ValueInput(text="  ")]
            )

    def test_bad_update_leaves_the_previous_values(self, draft_submission, reporter, cats):
        with pytest.raises(ValidationError):
            services.save_submission(
                user=reporter,
                definition=draft_submission.definition,
                period="2023",
                values=[total(10), part(cats["female"], "x")],
                submission=draft_submission,
                version=1,
            )
        draft_submission.refresh_from_db()
        assert draft_submission.version == 1 and draft_submission.values.count() == 3

    def test_comment_must_be_text(self, definition, reporter):
        with pytest.raises(ValidationError) as exc:
            services.save_submission(
                user=reporter, definition=definition, period="2023", values=[total(1)], comment=42
            )
        assert "comment" in exc.value.message_dict


class TestReportingPermissions:
    @pytest.mark.parametrize("who", ["observer", "outsider", "reviewer"])
    def test_users_who_do_not_report(self, request, definition, who):
        with pytest.raises(PermissionDenied):
            services.save_submission(
                user=request.getfixturevalue(who), definition=definition, period="2023", values=[total(1)]
            )
        assert not Submission.objects.exists()

    def test_implementing_partner_not_named_as_reporter(self, compact, definition):
        org = OrganisationFactory(
            name="Autre ONG", org_type=Organisation.Type.IMPLEMENTING_PARTNER, partner_kind="ngo"
        )
        compacts.Participation.objects.create(
            compact=compact, organisation=org, role=compacts.Participation.Role.IMPLEMENTING_PARTNER
        )
        user = UserFactory(organisation=org)
        with translation.override("en"), pytest.raises(PermissionDenied) as exc:
            services.save_submission(user=user, definition=definition, period="2023", values=[total(1)])
        assert "not among those that report this indicator" in str(exc.value)

    def test_reporter_cannot_report_for_another_organisation(self, definition, reporter, other_reporter_org):
        with pytest.raises(PermissionDenied):
            services.save_submission(
                user=reporter,
                definition=definition,
                period="2023",
                values=[total(1)],
                organisation=other_reporter_org,
            )

    def test_programme_officer_reports_on_behalf_of_a_reporter(self, definition, officer, other_reporter_org):
        submission = services.save_submission(
            user=officer,
            definition=definition,
            period="2023",
            values=[total(1)],
            organisation=other_reporter_org,
        )
        assert submission.organisation == other_reporter_org and submission.created_by == officer

    def test_programme_officer_on_behalf_of_a_non_reporter(self, definition, officer, reviewer_org):
        with pytest.raises(ValidationError) as exc:
            services.save_submission(
                user=officer,
                definition=definition,
                period="2023",
                values=[total(1)],
                organisation=reviewer_org,
            )
        assert "organisation" in exc.value.message_dict

    def test_site_admin_without_organisation_must_name_one(self, definition, reporter_org):
        admin = UserFactory(username="admin", is_superuser=True, organisation=None)
        with pytest.raises(ValidationError) as exc:
            services.save_submission(user=admin, definition=definition, period="2023", values=[total(1)])
        assert "organisation" in exc.value.message_dict
        services.save_submission(
            user=admin, definition=definition, period="2023", values=[total(1)], organisation=reporter_org
        )

    def test_other_reporter_cannot_edit_my_draft(self, draft_submission, other_reporter):
        with pytest.raises(PermissionDenied):
            services.save_submission(
                user=other_reporter,
                definition=draft_submission.definition,
                period="2023",
                values=[total(1)],
                submission=draft_submission,
            )

    def test_organisation_of_a_submission_cannot_change(self, draft_submission, officer, other_reporter_org):
        with pytest.raises(ValidationError) as exc:
            services.save_submission(
                user=officer,
                definition=draft_submission.definition,
                period="2023",
                values=[total(1)],
                submission=draft_submission,
                organisation=other_reporter_org,
            )
        assert "organisation" in exc.value.message_dict

    def test_deactivated_organisation_loses_reporting(self, definition, reporter, reporter_org):
        reporter_org.is_active = False
        reporter_org.save()
        with pytest.raises(PermissionDenied):
            services.save_submission(user=reporter, definition=definition, period="2023", values=[total(1)])


# ================================================================================================
# Evidence
# ================================================================================================
@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def pdf(name="liste.pdf", size=20):
    return SimpleUploadedFile(name, b"%PDF-1.4" + b"0" * size, content_type="application/pdf")


class TestEvidence:
    def test_add_and_delete_while_draft(
        self, draft_submission, reporter, media, django_capture_on_commit_callbacks
    ):
        evidence = services.add_evidence(
            user=reporter, submission=draft_submission, file=pdf(), description="Liste de présence"
        )
        path = media / evidence.file.name
        assert path.exists() and evidence.uploaded_by == reporter
        with django_capture_on_commit_callbacks(execute=True):
            services.delete_evidence(user=reporter, evidence=evidence)
        assert not Evidence.objects.exists() and not path.exists()

    def test_bad_extension_and_size(self, draft_submission, reporter, media, settings):
        with pytest.raises(ValidationError) as exc:
            services.add_evidence(user=reporter, submission=draft_submission, file=pdf("virus.exe"))
        assert "file" in exc.value.message_dict
        settings.MAX_ATTACHMENT_SIZE = 10
        with pytest.raises(ValidationError) as exc:
            services.add_evidence(user=reporter, submission=draft_submission, file=pdf(size=100))
        assert "file" in exc.value.message_dict
        assert not Evidence.objects.exists()

    def test_only_while_editable(self, submitted_submission, reporter, media):
        with pytest.raises(ValidationError):
            services.add_evidence(user=reporter, submission=submitted_submission, file=pdf())
        evidence = Evidence.objects.create(submission=submitted_submission, file=pdf())
        with pytest.raises(ValidationError):
            services.delete_evidence(user=reporter, evidence=evidence)
        assert Evidence.objects.count() == 1

    @pytest.mark.parametrize("who", ["observer", "outsider", "reviewer", "other_reporter"])
    def test_permission(self, request, draft_submission, media, who):
        with pytest.raises(PermissionDenied):
            services.add_evidence(user=request.getfixturevalue(who), submission=draft_submission, file=pdf())


# ================================================================================================
# Narrative sections and the annual report
# ================================================================================================
class TestNarrative:
    def test_write_update_delete(self, compact, reporter, reporter_org):
        section = services.save_narrative(
            user=reporter, compact=compact, year=2023, kind="difficulties", text=" Manque de véhicules. "
        )
        assert (section.text, section.organisation, section.author, section.version) == (
            "Manque de véhicules.",
            reporter_org,
            reporter,
            1,
        )
        section = services.save_narrative(
            user=reporter,
            compact=compact,
            year=2023,
            kind="difficulties",
            text="Manque de carburant.",
            version=1,
        )
        assert section.version == 2 and NarrativeSection.objects.count() == 1
        with pytest.raises(ValidationError) as exc:
            services.save_narrative(
                user=reporter, compact=compact, year=2023, kind="difficulties", text="Autre", version=1
            )
        assert "version" in exc.value.message_dict
        assert (
            services.save_narrative(
                user=reporter, compact=compact, year=2023, kind="difficulties", text="  ", version=2
            )
            is None
        )
        assert not NarrativeSection.objects.exists()

    def test_progress_needs_an_objective_of_this_compact(self, compact, reporter):
        objective = ObjectiveFactory(compact=compact)
        foreign = ObjectiveFactory(compact=make_compact_with_parties())
        for obj in (None, foreign):
            with pytest.raises(ValidationError) as exc:
                services.save_narrative(
                    user=reporter, compact=compact, year=2023, kind="progress", text="x", objective=obj
                )
            assert "objective" in exc.value.message_dict
        with pytest.raises(ValidationError) as exc:
            services.save_narrative(
                user=reporter,
                compact=compact,
                year=2023,
                kind="sustainability",
                text="x",
                objective=objective,
            )
        assert "objective" in exc.value.message_dict
        section = services.save_narrative(
            user=reporter,
            compact=compact,
            year=2023,
            kind="progress",
            text="Bonne progression",
            objective=objective,
        )
        assert section.objective == objective

    @pytest.mark.parametrize(
        ("year", "kind", "field"),
        [
            (2021, "difficulties", "year"),
            (2028, "improvement", "year"),
            ("an", "improvement", "year"),
            (2023, "poem", "kind"),
        ],
    )
    def test_bad_input(self, compact, reporter, year, kind, field):
        with pytest.raises(ValidationError) as exc:
            services.save_narrative(user=reporter, compact=compact, year=year, kind=kind, text="x")
        assert field in exc.value.message_dict
        assert not NarrativeSection.objects.exists()

    def test_reviewer_writes_in_own_name_officer_for_anyone(
        self, compact, reviewer, reviewer_org, officer, reporter, reporter_org
    ):
        assert (
            services.save_narrative(
                user=reviewer, compact=compact, year=2023, kind="recommendations", text="x"
            ).organisation
            == reviewer_org
        )
        with pytest.raises(PermissionDenied):
            services.save_narrative(
                user=reporter,
                compact=compact,
                year=2023,
                kind="recommendations",
                text="x",
                organisation=reviewer_org,
            )
        section = services.save_narrative(
            user=officer,
            compact=compact,
            year=2023,
            kind="recommendations",
            text="y",
            organisation=reporter_org,
        )
        assert section.organisation == reporter_org and section.author == officer

    def test_officer_for_a_non_participating_organisation(self, compact, officer, outsider):
        with pytest.raises(ValidationError) as exc:
            services.save_narrative(
                user=officer,
                compact=compact,
                year=2023,
                kind="improvement",
                text="x",
                organisation=outsider.organisation,
            )
        assert "organisation" in exc.value.message_dict

    @pytest.mark.parametrize("who", ["observer", "outsider"])
    def test_permission(self, request, compact, who):
        with pytest.raises(PermissionDenied):
            services.save_narrative(
                user=request.getfixturevalue(who), compact=compact, year=2023, kind="improvement", text="x"
            )


class TestAnnualReportMeeting:
    @pytest.fixture
    def meeting(self, compact):
        return compacts.Meeting.objects.create(compact=compact, kind="annual", date=dt.date(2024, 3, 15))

    def test_link_and_unlink(self, compact, officer, reviewer, meeting):
        report = services.link_report_meeting(
            user=officer, compact=compact, year=2023, meeting=meeting, notes=" Revu "
        )
        assert (report.reviewed_at, report.notes) == (meeting, "Revu")
        report = services.link_report_meeting(user=reviewer, compact=compact, year=2023, meeting=None)
        assert report.reviewed_at is None and AnnualReport.objects.count() == 1

    def test_meeting_of_another_compact_and_year_outside_term(self, compact, officer):
        other = make_compact_with_parties()
        foreign = compacts.Meeting.objects.create(compact=other, kind="annual", date=dt.date(2024, 3, 15))
        with pytest.raises(ValidationError) as exc:
            services.link_report_meeting(user=officer, compact=compact, year=2030, meeting=foreign)
        assert set(exc.value.message_dict) == {"meeting", "year"}
        assert not AnnualReport.objects.exists()

    @pytest.mark.parametrize("who", ["reporter", "observer", "outsider"])
    def test_permission(self, request, compact, meeting, who):
        with pytest.raises(PermissionDenied):
            services.link_report_meeting(
                user=request.getfixturevalue(who), compact=compact, year=2023, meeting=meeting
            )
