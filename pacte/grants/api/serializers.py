"""Serializers of the grants API. Input serializers check types and shapes only (and that related ids
exist and are visible to the user); every business rule — ceilings, deadlines, eligibility, weights
adding up to 100, conflicts of interest, budget periods, rates, the award period — is checked by
``pacte.grants.services``, which the viewsets call. Output serializers render the models and the
dataclasses of ``pacte.grants.selectors``. Amounts are decimal strings, as DRF renders them."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field, extend_schema_serializer
from rest_framework import serializers

from pacte.accounts.models import Organisation
from pacte.compacts.api.fields import VisibleRelatedField
from pacte.compacts.models import Activity, Compact, Objective
from pacte.compacts.selectors import visible_records
from pacte.results.models import IndicatorDefinition

from .. import models, selectors
from ..models import AMOUNT_DIGITS, AMOUNT_PLACES, RATE_DIGITS, RATE_PLACES
from ..services import BudgetLineInput, CriterionInput, ScoreInput, SectorInput


def _amount(**kwargs: Any) -> serializers.DecimalField:
    return serializers.DecimalField(max_digits=AMOUNT_DIGITS, decimal_places=AMOUNT_PLACES, **kwargs)


def _rate(**kwargs: Any) -> serializers.DecimalField:
    return serializers.DecimalField(
        max_digits=RATE_DIGITS, decimal_places=RATE_PLACES, allow_null=True, required=False, **kwargs
    )


def _percent(**kwargs: Any) -> serializers.DecimalField:
    return serializers.DecimalField(
        max_digits=None, decimal_places=2, allow_null=True, read_only=True, **kwargs
    )


def _visible(model: type[Any], **kwargs: Any) -> VisibleRelatedField:
    """A relation to ``model`` accepting only ids the user may see (others answer 400 "invalid pk")."""
    return VisibleRelatedField(queryset=model._default_manager.all(), **kwargs)


def only_given(data: dict[str, Any], names: tuple[str, ...]) -> dict[str, Any]:
    """The fields of ``names`` present in the validated data (a PATCH changes only what it sends)."""
    return {name: data[name] for name in names if name in data}


# -- opportunities ---------------------------------------------------------------------------------------
class MeritCriterionSerializer(serializers.ModelSerializer):
    class Meta:
        model = models.MeritCriterion
        fields = ("id", "name", "description", "weight", "order")
        read_only_fields = fields


class CriterionInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    weight = serializers.DecimalField(max_digits=5, decimal_places=2, help_text=_("Weight in %."))
    description = serializers.CharField(required=False, allow_blank=True, default="")

    @staticmethod
    def to_input(item: dict[str, Any]) -> CriterionInput:
        return CriterionInput(
            name=item["name"], weight=item["weight"], description=item.get("description", "")
        )


class OpportunitySerializer(serializers.ModelSerializer):
    status_display = serializers.CharField(source="get_status_display", read_only=True)
    programme_type_display = serializers.CharField(source="get_programme_type_display", read_only=True)
    objectives = serializers.PrimaryKeyRelatedField(many=True, read_only=True)  # type: ignore[var-annotated]
    criteria = MeritCriterionSerializer(
        many=True, read_only=True, help_text=_("Merit criteria (weights in %).")
    )

    class Meta:
        model = models.FundingOpportunity
        fields = (
            "id",
            "reference",
            "title",
            "programme_type",
            "programme_type_display",
            "compact",
            "objectives",
            "description",
            "ceiling",
            "eligible_org_types",
            "registration_required",
            "eligibility_notes",
            "opens_on",
            "deadline",
            "status",
            "status_display",
            "published_at",
            "criteria",
            "is_demo",
            "created_at",
            "updated_at",
        )
        read_only_fields = fields


OPPORTUNITY_DATA = (
    "reference",
    "title",
    "programme_type",
    "compact",
    "description",
    "ceiling",
    "eligible_org_types",
    "registration_required",
    "eligibility_notes",
    "opens_on",
    "deadline",
)


class OpportunityWriteSerializer(serializers.Serializer):
    # On PATCH every field is optional; ``criteria`` and ``objectives``, when sent, replace the stored ones.
    reference = serializers.CharField(max_length=60, help_text=_("The notice's number, e.g. SFOP0009999."))
    title = serializers.CharField(max_length=300)
    programme_type = serializers.ChoiceField(choices=models.ProgrammeType.choices)
    compact = _visible(Compact, required=False, allow_null=True, help_text=_("Compact, if any."))
    description = serializers.CharField()
    ceiling = _amount(help_text=_("Ceiling of one award (USD)."))
    eligible_org_types = serializers.ListField(
        child=serializers.CharField(max_length=40), required=False, help_text=_("Kinds of organisation.")
    )
    registration_required = serializers.BooleanField(required=False)
    eligibility_notes = serializers.CharField(required=False, allow_blank=True)
    opens_on = serializers.DateField(required=False, allow_null=True)
    deadline = serializers.DateTimeField()
    objectives = _visible(Objective, many=True, required=False, help_text=_("Objectives served."))
    criteria = CriterionInputSerializer(many=True, required=False, help_text=_("Merit criteria."))

    def service_arguments(self) -> dict[str, Any]:
        data = self.validated_data
        objectives = data.get("objectives")
        criteria = data.get("criteria")
        return {
            "data": only_given(data, OPPORTUNITY_DATA),
            "objectives": objectives,
            "criteria": None
            if criteria is None
            else [CriterionInputSerializer.to_input(c) for c in criteria],
        }


class ReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(allow_blank=True, help_text=_("The reason, recorded with the decision."))


class ReviewerSerializer(serializers.Serializer):
    reviewer = serializers.PrimaryKeyRelatedField(
        queryset=get_user_model()._default_manager.filter(is_active=True), help_text=_("The user.")
    )


class ReviewerRowSerializer(serializers.ModelSerializer):
    name = serializers.SerializerMethodField()

    class Meta:
        model = models.ReviewerAssignment
        fields = ("reviewer", "name")
        read_only_fields = fields

    def get_name(self, assignment: models.ReviewerAssignment) -> str:
        user = assignment.reviewer
        return user.get_full_name() or user.get_username()


class CriterionScoreSerializer(serializers.Serializer):
    criterion = serializers.IntegerField(read_only=True)
    score = _percent(help_text=_("Average over the reviewers without a conflict; null: no score yet."))


class RankedApplicationSerializer(serializers.Serializer):
    application = serializers.IntegerField(source="application.pk", read_only=True)
    title = serializers.CharField(source="application.title", read_only=True)
    organisation = serializers.IntegerField(source="application.organisation_id", read_only=True)
    organisation_name = serializers.CharField(source="application.organisation.name", read_only=True)
    status = serializers.CharField(source="application.status", read_only=True)
    weighted_score = _percent(help_text=_("Weighted average of the criteria; null: not scored yet."))
    reviews = serializers.IntegerField(read_only=True, help_text=_("Reviewers who scored."))
    conflicts = serializers.IntegerField(read_only=True, help_text=_("Reviewers who declared a conflict."))
    by_criterion = serializers.SerializerMethodField()

    @extend_schema_field(CriterionScoreSerializer(many=True))
    def get_by_criterion(self, row: Any) -> list[dict[str, Any]]:
        return [
            {"criterion": criterion, "score": None if score is None else f"{score:.2f}"}
            for criterion, score in row.by_criterion.items()
        ]


# -- applications ----------------------------------------------------------------------------------------
class BudgetLineSerializer(serializers.ModelSerializer):
    class Meta:
        model = models.ApplicationBudgetLine
        fields = ("id", "year", "amount", "objective", "description")
        read_only_fields = fields


class ApplicationDocumentSerializer(serializers.ModelSerializer):
    class Meta:
        model = models.ApplicationDocument
        fields = ("id", "title", "created_at")
        read_only_fields = fields


class ApplicationSerializer(serializers.ModelSerializer):
    opportunity_reference = serializers.CharField(source="opportunity.reference", read_only=True)
    organisation_name = serializers.CharField(source="organisation.name", read_only=True)
    status_display = serializers.CharField(source="get_status_display", read_only=True)
    budget_lines = BudgetLineSerializer(many=True, read_only=True)
    documents = ApplicationDocumentSerializer(many=True, read_only=True)

    class Meta:
        model = models.Application
        fields = (
            "id",
            "opportunity",
            "opportunity_reference",
            "organisation",
            "organisation_name",
            "title",
            "narrative",
            "status",
            "status_display",
            "refusal_reason",
            "submitted_at",
            "budget_lines",
            "documents",
            "is_demo",
            "version",
            "created_at",
            "updated_at",
        )
        read_only_fields = fields


@extend_schema_field(OpenApiTypes.INT)
class ObjectiveChoiceField(serializers.PrimaryKeyRelatedField):
    """An objective the user may see, or one served by an opportunity the user may see (applicants
    are rarely participants of the compact)."""

    def get_queryset(self) -> QuerySet[Objective]:
        user = getattr(self.context.get("request"), "user", None)
        served = selectors.visible_opportunities(user).values("objectives")
        return Objective.objects.filter(
            Q(pk__in=visible_records(user, Objective).values("pk")) | Q(pk__in=served)
        )


class BudgetLineInputSerializer(serializers.Serializer):
    year = serializers.IntegerField()
    amount = _amount()
    objective = ObjectiveChoiceField(required=False, allow_null=True, default=None)
    description = serializers.CharField(required=False, allow_blank=True, default="", max_length=300)

    @staticmethod
    def to_input(item: dict[str, Any]) -> BudgetLineInput:
        return BudgetLineInput(
            year=item["year"],
            amount=item["amount"],
            objective=item.get("objective"),
            description=item.get("description", ""),
        )


class ApplicationCreateSerializer(serializers.Serializer):
    opportunity = serializers.IntegerField(help_text=_("The opportunity applied to."))
    title = serializers.CharField(max_length=300)
    narrative = serializers.CharField()
    budget_lines = BudgetLineInputSerializer(many=True, help_text=_("Amounts asked per year (USD)."))

    def budget_inputs(self) -> list[BudgetLineInput]:
        return [BudgetLineInputSerializer.to_input(item) for item in self.validated_data["budget_lines"]]


class ApplicationUpdateSerializer(serializers.Serializer):
    # Fields left out keep their stored value; ``version`` is always required.
    title = serializers.CharField(max_length=300, required=False)
    narrative = serializers.CharField(required=False)
    budget_lines = BudgetLineInputSerializer(
        many=True, required=False, help_text=_("They replace the stored lines.")
    )
    version = serializers.IntegerField(
        min_value=0, help_text=_("The version you read; refused (400) when someone saved since.")
    )

    def budget_inputs(self) -> list[BudgetLineInput] | None:
        lines = self.validated_data.get("budget_lines")
        return None if lines is None else [BudgetLineInputSerializer.to_input(item) for item in lines]


class DeclarationInputSerializer(serializers.Serializer):
    has_conflict = serializers.BooleanField(help_text=_("True: you have a conflict of interest."))
    statement = serializers.CharField(required=False, allow_blank=True, default="")


class DeclarationSerializer(serializers.ModelSerializer):
    class Meta:
        model = models.ConflictDeclaration
        fields = ("id", "application", "reviewer", "has_conflict", "statement", "created_at")
        read_only_fields = fields


class ScoreInputSerializer(serializers.Serializer):
    criterion = serializers.IntegerField(help_text=_("A merit criterion of the opportunity."))
    score = serializers.DecimalField(max_digits=5, decimal_places=2, help_text=_("From 0 to 100."))
    comment = serializers.CharField(required=False, allow_blank=True, default="")


class ScoringSerializer(serializers.Serializer):
    scores = ScoreInputSerializer(many=True, help_text=_("One score per criterion."))

    def validate_scores(self, scores: list[dict[str, Any]]) -> list[dict[str, Any]]:
        criteria = [item["criterion"] for item in scores]
        if len(set(criteria)) != len(criteria):
            raise serializers.ValidationError(_("Score each criterion once."))
        return scores

    def score_inputs(self) -> dict[int, ScoreInput]:
        return {
            item["criterion"]: ScoreInput(score=item["score"], comment=item.get("comment", ""))
            for item in self.validated_data["scores"]
        }


class ScoreSerializer(serializers.ModelSerializer):
    class Meta:
        model = models.Score
        fields = ("id", "application", "criterion", "reviewer", "score", "comment", "updated_at")
        read_only_fields = fields


# -- awards ----------------------------------------------------------------------------------------------
class SectorSerializer(serializers.ModelSerializer):
    class Meta:
        model = models.SectorShare
        fields = ("code", "percentage")
        read_only_fields = fields


class SectorInputSerializer(serializers.Serializer):
    code = serializers.CharField(max_length=5, help_text=_("OECD DAC 5-digit sector code."))
    percentage = serializers.DecimalField(max_digits=5, decimal_places=2)


class AwardSerializer(serializers.ModelSerializer):
    organisation_name = serializers.CharField(source="organisation.name", read_only=True)
    instrument_display = serializers.CharField(source="get_instrument_display", read_only=True)
    programme_type_display = serializers.CharField(source="get_programme_type_display", read_only=True)
    status_display = serializers.CharField(source="get_status_display", read_only=True)
    objectives = serializers.PrimaryKeyRelatedField(many=True, read_only=True)  # type: ignore[var-annotated]
    activities = serializers.PrimaryKeyRelatedField(many=True, read_only=True)  # type: ignore[var-annotated]
    indicators = serializers.PrimaryKeyRelatedField(many=True, read_only=True)  # type: ignore[var-annotated]
    sectors = SectorSerializer(many=True, read_only=True, help_text=_("DAC sectors adding up to 100 %."))

    class Meta:
        model = models.Award
        fields = (
            "id",
            "reference",
            "title",
            "description",
            "instrument",
            "instrument_display",
            "programme_type",
            "programme_type_display",
            "opportunity",
            "application",
            "compact",
            "organisation",
            "organisation_name",
            "recipient_country",
            "start_date",
            "end_date",
            "amount",
            "status",
            "status_display",
            "objectives",
            "activities",
            "indicators",
            "sectors",
            "justification",
            "decided_by",
            "decided_on",
            "is_demo",
            "version",
            "created_at",
            "updated_at",
        )
        read_only_fields = fields


AWARD_DATA = (
    "reference",
    "title",
    "description",
    "instrument",
    "start_date",
    "end_date",
    "amount",
    "justification",
    "decided_on",
    "recipient_country",
    "status",
)


class AwardDataSerializer(serializers.Serializer):
    # The award's own fields (``data`` of the services), all optional here: the services say what is
    # missing, field by field.
    reference = serializers.CharField(max_length=60, required=False, help_text=_("Award number."))
    title = serializers.CharField(max_length=300, required=False)
    description = serializers.CharField(required=False, allow_blank=True)
    instrument = serializers.ChoiceField(choices=models.Award.Instrument.choices, required=False)
    start_date = serializers.DateField(required=False)
    end_date = serializers.DateField(required=False)
    amount = _amount(required=False, help_text=_("Amount (USD)."))
    justification = serializers.CharField(required=False)
    decided_on = serializers.DateField(required=False)
    recipient_country = serializers.CharField(max_length=3, required=False, allow_blank=True)

    def award_data(self) -> dict[str, Any]:
        return only_given(self.validated_data, AWARD_DATA)


class AwardLinksSerializer(AwardDataSerializer):
    status = serializers.ChoiceField(choices=models.Award.Status.choices, required=False)
    objectives = _visible(Objective, many=True, required=False, help_text=_("Objectives funded."))
    activities = _visible(Activity, many=True, required=False, help_text=_("Activities funded."))
    indicators = _visible(
        IndicatorDefinition, many=True, required=False, help_text=_("Indicator definitions reported.")
    )
    sectors = SectorInputSerializer(many=True, required=False)

    def links(self) -> dict[str, Any]:
        data = self.validated_data
        sectors = data.get("sectors")
        return {
            "objectives": data.get("objectives"),
            "activities": data.get("activities"),
            "indicators": data.get("indicators"),
            "sectors": None
            if sectors is None
            else [SectorInput(code=item["code"], percentage=item["percentage"]) for item in sectors],
        }


# The request of the same component as the response: one name for the choice sets it holds.
@extend_schema_serializer(component_name="Award")
class AwardCreateSerializer(AwardLinksSerializer):
    application = serializers.IntegerField(
        required=False,
        allow_null=True,
        help_text=_("The application selected: opportunity, partner, compact and type come from it."),
    )
    opportunity = serializers.IntegerField(required=False, allow_null=True)
    organisation = _visible(
        Organisation, required=False, allow_null=True, help_text=_("Implementing partner (direct award).")
    )
    compact = _visible(Compact, required=False, allow_null=True)
    programme_type = serializers.ChoiceField(choices=models.ProgrammeType.choices, required=False)

    def award_data(self) -> dict[str, Any]:
        return {**super().award_data(), **only_given(self.validated_data, ("programme_type",))}


# The request of the same component as the response: one name for the choice sets it holds.
@extend_schema_serializer(component_name="Award")
class AwardUpdateSerializer(AwardLinksSerializer):
    version = serializers.IntegerField(
        min_value=0, help_text=_("The version you read; refused (400) when someone saved since.")
    )


class BudgetSerializer(serializers.ModelSerializer):
    amount_usd = _amount(read_only=True, allow_null=True)
    kind_display = serializers.CharField(source="get_kind_display", read_only=True)

    class Meta:
        model = models.Budget
        fields = (
            "id",
            "award",
            "kind",
            "kind_display",
            "period_start",
            "period_end",
            "amount",
            "currency",
            "rate_to_usd",
            "amount_usd",
            "value_date",
        )
        read_only_fields = fields


# The request of the same component as the response: one name for the choice sets it holds.
@extend_schema_serializer(component_name="Budget")
class BudgetInputSerializer(serializers.Serializer):
    budget = serializers.IntegerField(
        required=False, allow_null=True, help_text=_("A budget of the award to change; absent: a new one.")
    )
    kind = serializers.ChoiceField(choices=models.Budget.Kind.choices, default=models.Budget.Kind.ORIGINAL)
    period_start = serializers.DateField()
    period_end = serializers.DateField(help_text=_("A year at most after the start."))
    amount = _amount()
    currency = serializers.CharField(max_length=3, default="USD", help_text=_("ISO 4217 code."))
    rate_to_usd = _rate(help_text=_("US dollars per unit (required for another currency)."))
    value_date = serializers.DateField(required=False, allow_null=True)


class TransactionSerializer(serializers.ModelSerializer):
    kind_display = serializers.CharField(source="get_kind_display", read_only=True)

    class Meta:
        model = models.Transaction
        fields = (
            "id",
            "award",
            "kind",
            "kind_display",
            "date",
            "amount",
            "currency",
            "rate_to_usd",
            "amount_usd",
            "reference",
            "description",
            "created_by",
            "created_at",
        )
        read_only_fields = fields


# The request of the same component as the response: one name for the choice sets it holds.
@extend_schema_serializer(component_name="Transaction")
class TransactionInputSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(
        choices=models.Transaction.Kind.choices,
        help_text=_("2 commitment, 3 disbursement, 4 expenditure (the partner: expenditure only)."),
    )
    date = serializers.DateField()
    amount = _amount()
    currency = serializers.CharField(max_length=3, default="USD", help_text=_("ISO 4217 code."))
    rate_to_usd = _rate(help_text=_("US dollars per unit (required for another currency)."))
    reference = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    description = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")


class YearFinancesSerializer(serializers.Serializer):
    year = serializers.IntegerField(read_only=True)
    budget = _amount(
        read_only=True, allow_null=True, help_text=_("The year's budget (USD): revised, else original.")
    )
    committed = _amount(read_only=True)
    disbursed = _amount(read_only=True)
    expended = _amount(read_only=True)


class FinancesSerializer(serializers.Serializer):
    committed = _amount(read_only=True)
    disbursed = _amount(read_only=True)
    expended = _amount(read_only=True)
    remaining_to_commit = _amount(read_only=True)
    by_year = YearFinancesSerializer(many=True, read_only=True)


# -- emergency assistance --------------------------------------------------------------------------------
class EmergencyRequestSerializer(serializers.ModelSerializer):
    organisation_name = serializers.CharField(source="organisation.name", read_only=True)
    status_display = serializers.CharField(source="get_status_display", read_only=True)
    overdue = serializers.SerializerMethodField(help_text=_("Received, and the decision is late."))

    class Meta:
        model = models.EmergencyRequest
        fields = (
            "id",
            "organisation",
            "organisation_name",
            "country",
            "title",
            "need",
            "amount_requested",
            "received_on",
            "decision_due",
            "overdue",
            "status",
            "status_display",
            "decided_on",
            "decided_by",
            "decision_note",
            "award",
            "is_demo",
            "created_at",
            "updated_at",
        )
        read_only_fields = fields

    def get_overdue(self, request: models.EmergencyRequest) -> bool:
        from django.utils import timezone

        return request.status == models.EmergencyRequest.Status.RECEIVED and (
            request.decision_due < timezone.localdate()
        )


EMERGENCY_DATA = ("country", "title", "need", "amount_requested", "received_on")


class EmergencyRequestInputSerializer(serializers.Serializer):
    country = serializers.CharField(max_length=3, help_text=_("ISO 3166-1 alpha-3 code."))
    title = serializers.CharField(max_length=300)
    need = serializers.CharField(
        help_text=_("The situation and the assistance needed (no names of victims).")
    )
    amount_requested = _amount(help_text=_("USD."))
    received_on = serializers.DateField(required=False, help_text=_("Default: today."))

    def request_data(self) -> dict[str, Any]:
        return only_given(self.validated_data, EMERGENCY_DATA)


class DecisionAwardSerializer(AwardDataSerializer):
    sectors = SectorInputSerializer(many=True, required=False)


class DecisionSerializer(serializers.Serializer):
    approve = serializers.BooleanField(help_text=_("True: approve (and make the award); false: refuse."))
    note = serializers.CharField(allow_blank=True, help_text=_("The decision, with its reasons."))
    award = DecisionAwardSerializer(
        required=False,
        allow_null=True,
        help_text=_("Approval: the award made (title, justification and country default to the request's)."),
    )

    def award_data(self) -> dict[str, Any] | None:
        award = self.validated_data.get("award")
        if award is None:
            return None
        data = only_given(award, AWARD_DATA)
        if "sectors" in award:
            data["sectors"] = [
                SectorInput(code=i["code"], percentage=i["percentage"]) for i in award["sectors"]
            ]
        return data


# -- portfolio -------------------------------------------------------------------------------------------
class PortfolioRowSerializer(serializers.Serializer):
    key = serializers.SerializerMethodField()
    label = serializers.CharField(read_only=True)  # type: ignore[assignment]
    ceiling = _amount(read_only=True, allow_null=True)
    awarded = _amount(read_only=True)
    committed = _amount(read_only=True)
    disbursed = _amount(read_only=True)
    expended = _amount(read_only=True)
    awards = serializers.IntegerField(read_only=True)
    share_of_ceiling = _percent(help_text=_("Awarded / ceiling, in %."))
    disbursed_share = _percent(help_text=_("Disbursed / committed, in %."))
    burn_rate = _percent(help_text=_("Expended / disbursed, in %."))

    @extend_schema_field(OpenApiTypes.STR)
    def get_key(self, row: Any) -> str | None:
        key = row.key
        if key is None:
            return None
        return str(getattr(key, "pk", key))


class PortfolioSerializer(serializers.Serializer):
    group_by = serializers.CharField(read_only=True)
    rows = PortfolioRowSerializer(many=True, read_only=True)
    total = PortfolioRowSerializer(read_only=True)
