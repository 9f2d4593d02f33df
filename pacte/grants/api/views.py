"""Viewsets of the grants API: reads through ``pacte.grants.selectors``, writes through
``pacte.grants.services`` (the same calls as the web pages).

* Every list holds only what the user may see (``visible_*`` selectors); a record the user may not
  see answers 404, whether it exists or not (``get_*`` selectors).
* A write the user may not make answers 403 (checked by the services through ``permissions.py``;
  officers-only writes are also refused before the data are read); a business rule broken answers
  400 with the field's name (``pacte.core.api.exception_handler``); nothing is half-saved (every
  service is one transaction).
* Lists run a fixed number of queries, whatever the number of rows.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any, ClassVar, cast

from django.db.models import Model, QuerySet
from django.http import Http404
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from pacte.compacts import selectors as compact_selectors

from .. import selectors, services
from ..models import Application, Award, EmergencyRequest, FundingOpportunity, ProgrammeType
from ..permissions import is_grants_officer, require_grants_officer
from . import serializers as s

if TYPE_CHECKING:
    from pacte.accounts.models import User

NOT_FOUND = OpenApiResponse(description=_("Not found, or not visible to you."))
FORBIDDEN = OpenApiResponse(description=_("You may see this record but not do this."))
BAD_INPUT = OpenApiResponse(description=_("Bad input or a rule broken: the message names the field."))


def _pk(raw: Any) -> int:
    """A record id from the URL or the body; anything else is a record that does not exist (404)."""
    try:
        if isinstance(raw, bool):
            raise TypeError
        return int(raw)
    except (TypeError, ValueError) as exc:
        raise Http404 from exc


def _integer(name: str, raw: Any) -> int:
    try:
        return int(serializers.IntegerField().run_validation(raw))
    except serializers.ValidationError as exc:
        raise serializers.ValidationError({name: exc.detail}) from exc


def _choice(name: str, raw: str, choices: list[str]) -> str:
    if raw not in choices:
        raise serializers.ValidationError(
            {name: [_("Choose one of: %(choices)s.") % {"choices": ", ".join(choices)}]}
        )
    return raw


def ordering(model: type[Model]) -> list[str]:
    """The model's ordering, then the id: pages never repeat or skip rows that tie."""
    return [*cast(list[str], model._meta.ordering), "pk"]


def responses(serializer: Any, code: int = 200) -> dict[int, Any]:
    return {code: serializer, 400: BAD_INPUT, 403: FORBIDDEN, 404: NOT_FOUND}


def int_filter(name: str, help_text: Any) -> OpenApiParameter:
    return OpenApiParameter(name, OpenApiTypes.INT, description=help_text)


def choice_filter(name: str, choices: list[str], help_text: Any) -> OpenApiParameter:
    return OpenApiParameter(name, OpenApiTypes.STR, enum=choices, description=help_text)


PROGRAMME_TYPES = list(ProgrammeType.values)


class GrantsViewSet(viewsets.GenericViewSet):
    # Base: the signed-in user, list filters from the query string, pages in a stable order.
    # (A comment, not a docstring: drf-spectacular would repeat it as every operation's description.)

    model: ClassVar[type[Model]]
    #: Query parameters: name → (lookup, kind) with kind "int" or a list of allowed values.
    query_filters: ClassVar[dict[str, tuple[str, Any]]] = {}

    @property
    def user(self) -> User:
        """The signed-in user (IsAuthenticated runs before any handler)."""
        return cast("User", self.request.user)

    def visible(self) -> QuerySet[Any]:
        raise NotImplementedError

    def get_queryset(self) -> QuerySet[Any]:
        if getattr(self, "swagger_fake_view", False):  # schema generation
            return self.model._default_manager.none()
        return self.visible()

    def filter_by_query(self, qs: QuerySet[Any]) -> QuerySet[Any]:
        for name, (lookup, kind) in self.query_filters.items():
            raw = self.request.query_params.get(name)
            if not raw:
                continue
            value = _integer(name, raw) if kind == "int" else _choice(name, raw, kind)
            qs = qs.filter(**{lookup: value})
        return qs

    def list(self, request: Request) -> Response:
        qs = self.filter_by_query(self.get_queryset()).order_by(*ordering(self.model))
        page = self.paginate_queryset(qs)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    def represent(self, record: Model, code: int = status.HTTP_200_OK) -> Response:
        """The record as the list shows it, read again after a service wrote it."""
        fresh = self.get_queryset().filter(pk=record.pk).first() or record
        return Response(self.get_serializer(fresh).data, status=code)

    def body(self, serializer_class: type[serializers.Serializer], **kwargs: Any) -> Any:
        serializer = serializer_class(data=self.request.data, context=self.get_serializer_context(), **kwargs)
        serializer.is_valid(raise_exception=True)
        return serializer


# -- opportunities ---------------------------------------------------------------------------------------
OPPORTUNITY = responses(s.OpportunitySerializer)


@extend_schema_view(
    list=extend_schema(
        parameters=[
            choice_filter(
                "status", list(FundingOpportunity.Status.values), _("Only opportunities of this status.")
            ),
            choice_filter("programme_type", PROGRAMME_TYPES, _("Only this programme type.")),
            int_filter("compact", _("Only the opportunities of this compact.")),
        ],
        description=_(
            "Funding opportunities you may see: published, closed and awarded ones for everyone signed "
            "in; drafts and cancelled ones for grants officers."
        ),
    ),
    retrieve=extend_schema(responses={200: s.OpportunitySerializer, 404: NOT_FOUND}),
    create=extend_schema(
        request=s.OpportunityWriteSerializer,
        responses=responses(s.OpportunitySerializer, 201),
        description=_("Open a funding opportunity, as a draft, with its merit criteria (grants officers)."),
    ),
    partial_update=extend_schema(
        request=s.OpportunityWriteSerializer,
        responses=OPPORTUNITY,
        description=_(
            "Change an opportunity (grants officers); criteria and objectives, when given, replace "
            "the stored ones."
        ),
    ),
)
class OpportunityViewSet(GrantsViewSet):
    model = FundingOpportunity
    serializer_class = s.OpportunitySerializer
    query_filters: ClassVar[dict[str, tuple[str, Any]]] = {
        "status": ("status", list(FundingOpportunity.Status.values)),
        "programme_type": ("programme_type", PROGRAMME_TYPES),
        "compact": ("compact", "int"),
    }

    def visible(self) -> QuerySet[Any]:
        return selectors.visible_opportunities(self.user).prefetch_related("criteria", "objectives")

    def get_opportunity(self, pk: Any) -> FundingOpportunity:
        return selectors.get_opportunity(self.user, _pk(pk))

    def retrieve(self, request: Request, pk: str | None = None) -> Response:
        return self.represent(self.get_opportunity(pk))

    def create(self, request: Request) -> Response:
        require_grants_officer(self.user)
        arguments = self.body(s.OpportunityWriteSerializer).service_arguments()
        opportunity = services.create_opportunity(
            user=self.user,
            data=arguments["data"],
            objectives=arguments["objectives"] or (),
            criteria=arguments["criteria"] or [],
        )
        return self.represent(opportunity, status.HTTP_201_CREATED)

    def partial_update(self, request: Request, pk: str | None = None) -> Response:
        opportunity = self.get_opportunity(pk)
        require_grants_officer(self.user)
        arguments = self.body(s.OpportunityWriteSerializer, partial=True).service_arguments()
        opportunity = services.update_opportunity(user=self.user, opportunity=opportunity, **arguments)
        return self.represent(opportunity)

    @extend_schema(request=None, responses=OPPORTUNITY, description=_("Publish a draft (grants officers)."))
    @action(detail=True, methods=["post"])
    def publish(self, request: Request, pk: str | None = None) -> Response:
        opportunity = services.publish_opportunity(user=self.user, opportunity=self.get_opportunity(pk))
        return self.represent(opportunity)

    @extend_schema(
        request=None,
        responses=OPPORTUNITY,
        description=_("Close a published opportunity to applications (grants officers)."),
    )
    @action(detail=True, methods=["post"])
    def close(self, request: Request, pk: str | None = None) -> Response:
        opportunity = services.close_opportunity(user=self.user, opportunity=self.get_opportunity(pk))
        return self.represent(opportunity)

    @extend_schema(
        request=s.ReasonSerializer,
        responses=OPPORTUNITY,
        description=_("Cancel an opportunity, with the reason (grants officers)."),
    )
    @action(detail=True, methods=["post"])
    def cancel(self, request: Request, pk: str | None = None) -> Response:
        opportunity = self.get_opportunity(pk)
        require_grants_officer(self.user)
        reason = self.body(s.ReasonSerializer).validated_data["reason"]
        opportunity = services.cancel_opportunity(user=self.user, opportunity=opportunity, reason=reason)
        return self.represent(opportunity)

    @extend_schema(
        request=None,
        responses=OPPORTUNITY,
        description=_(
            "End the selection: the applications still submitted are not selected, the opportunity is "
            "awarded (grants officers)."
        ),
    )
    @action(detail=True, methods=["post"])
    def finish(self, request: Request, pk: str | None = None) -> Response:
        opportunity = services.finish_selection(user=self.user, opportunity=self.get_opportunity(pk))
        return self.represent(opportunity)

    @extend_schema(
        responses={
            200: s.RankedApplicationSerializer(many=True),
            403: FORBIDDEN,
            404: NOT_FOUND,
        },
        description=_(
            "The applications ranked by weighted score, averaged over the reviewers without a conflict "
            "of interest (grants officers and the opportunity's reviewers)."
        ),
    )
    @action(detail=True, methods=["get"], pagination_class=None)
    def ranking(self, request: Request, pk: str | None = None) -> Response:
        rows = selectors.ranking(self.user, self.get_opportunity(pk))
        return Response(s.RankedApplicationSerializer(rows, many=True).data)

    @extend_schema(
        methods=["GET"],
        request=None,
        responses={200: s.ReviewerRowSerializer(many=True), 403: FORBIDDEN, 404: NOT_FOUND},
        description=_("The reviewers assigned to the opportunity (grants officers)."),
    )
    @extend_schema(
        methods=["POST"],
        request=s.ReviewerSerializer,
        responses=responses(s.ReviewerRowSerializer(many=True)),
        description=_("Assign a reviewer to the opportunity (grants officers)."),
    )
    @action(detail=True, methods=["get", "post"], pagination_class=None)
    def reviewers(self, request: Request, pk: str | None = None) -> Response:
        opportunity = self.get_opportunity(pk)
        require_grants_officer(self.user)
        if request.method == "POST":
            reviewer = self.body(s.ReviewerSerializer).validated_data["reviewer"]
            services.assign_reviewer(user=self.user, opportunity=opportunity, reviewer=reviewer)
        return self.reviewer_rows(opportunity)

    @extend_schema(
        request=s.ReviewerSerializer,
        responses=responses(s.ReviewerRowSerializer(many=True)),
        description=_("Remove a reviewer from the opportunity (grants officers)."),
    )
    @action(
        detail=True,
        methods=["post"],
        url_path="reviewers/remove",
        url_name="remove-reviewer",
        pagination_class=None,
    )
    def remove_reviewer(self, request: Request, pk: str | None = None) -> Response:
        opportunity = self.get_opportunity(pk)
        require_grants_officer(self.user)
        reviewer = self.body(s.ReviewerSerializer).validated_data["reviewer"]
        services.remove_reviewer(user=self.user, opportunity=opportunity, reviewer=reviewer)
        return self.reviewer_rows(opportunity)

    def reviewer_rows(self, opportunity: FundingOpportunity) -> Response:
        rows = opportunity.reviewers.select_related("reviewer").order_by("reviewer__username")
        return Response(s.ReviewerRowSerializer(rows, many=True).data)


# -- applications ----------------------------------------------------------------------------------------
APPLICATION = responses(s.ApplicationSerializer)


@extend_schema_view(
    list=extend_schema(
        parameters=[
            int_filter("opportunity", _("Only the applications to this opportunity.")),
            choice_filter("status", list(Application.Status.values), _("Only applications of this status.")),
            OpenApiParameter(
                "to_review", OpenApiTypes.BOOL, description=_("Only those you review (reviewers).")
            ),
        ],
        description=_(
            "Applications you may see: your organisation's, the submitted ones of the opportunities you "
            "review, and every one for grants officers."
        ),
    ),
    retrieve=extend_schema(responses={200: s.ApplicationSerializer, 404: NOT_FOUND}),
    create=extend_schema(
        request=s.ApplicationCreateSerializer,
        responses=responses(s.ApplicationSerializer, 201),
        description=_("Apply to a published opportunity, for your organisation: a draft."),
    ),
    partial_update=extend_schema(
        request=s.ApplicationUpdateSerializer,
        responses=APPLICATION,
        description=_("Change a draft application (give the version you read)."),
    ),
)
class ApplicationViewSet(GrantsViewSet):
    model = Application
    serializer_class = s.ApplicationSerializer
    query_filters: ClassVar[dict[str, tuple[str, Any]]] = {
        "opportunity": ("opportunity", "int"),
        "status": ("status", list(Application.Status.values)),
    }

    def visible(self) -> QuerySet[Any]:
        wanted = self.action == "list" and self.request.query_params.get("to_review") in ("1", "true", "True")
        qs = (
            selectors.applications_to_review(self.user)
            if wanted
            else selectors.visible_applications(self.user)
        )
        return qs.select_related("opportunity", "organisation").prefetch_related("budget_lines", "documents")

    def get_application(self, pk: Any) -> Application:
        return selectors.get_application(self.user, _pk(pk))

    def retrieve(self, request: Request, pk: str | None = None) -> Response:
        return self.represent(self.get_application(pk))

    def create(self, request: Request) -> Response:
        serializer = self.body(s.ApplicationCreateSerializer)
        data = serializer.validated_data
        opportunity = selectors.get_opportunity(self.user, _pk(data["opportunity"]))
        application = services.create_application(
            user=self.user,
            opportunity=opportunity,
            title=data["title"],
            narrative=data["narrative"],
            budget_lines=serializer.budget_inputs(),
        )
        return self.represent(application, status.HTTP_201_CREATED)

    def partial_update(self, request: Request, pk: str | None = None) -> Response:
        application = self.get_application(pk)
        serializer = self.body(s.ApplicationUpdateSerializer)
        data = serializer.validated_data
        lines = serializer.budget_inputs()
        if lines is None:
            lines = [
                services.BudgetLineInput(
                    year=line.year, amount=line.amount, objective=line.objective, description=line.description
                )
                for line in application.budget_lines.select_related("objective")
            ]
        saved = services.update_application(
            user=self.user,
            application=application,
            title=data.get("title", application.title),
            narrative=data.get("narrative", application.narrative),
            budget_lines=lines,
            version=data["version"],
        )
        return self.represent(saved)

    @extend_schema(
        request=None,
        responses=APPLICATION,
        description=_("Submit a draft before the deadline (the applying organisation)."),
    )
    @action(detail=True, methods=["post"])
    def submit(self, request: Request, pk: str | None = None) -> Response:
        application = services.submit_application(user=self.user, application=self.get_application(pk))
        return self.represent(application)

    @extend_schema(
        request=None,
        responses=APPLICATION,
        description=_("Withdraw an application (the applying organisation)."),
    )
    @action(detail=True, methods=["post"])
    def withdraw(self, request: Request, pk: str | None = None) -> Response:
        application = services.withdraw_application(user=self.user, application=self.get_application(pk))
        return self.represent(application)

    @extend_schema(
        request=s.ReasonSerializer,
        responses=APPLICATION,
        description=_(
            "Refuse a submitted application (late or ineligible), with the reason (grants officers)."
        ),
    )
    @action(detail=True, methods=["post"])
    def refuse(self, request: Request, pk: str | None = None) -> Response:
        application = self.get_application(pk)
        require_grants_officer(self.user)
        reason = self.body(s.ReasonSerializer).validated_data["reason"]
        application = services.refuse_application(user=self.user, application=application, reason=reason)
        return self.represent(application)

    @extend_schema(
        request=s.DeclarationInputSerializer,
        responses=responses(s.DeclarationSerializer),
        description=_(
            "Declare a conflict of interest, or none, on an application you review: required before "
            "scoring; with a conflict you may not score it (assigned reviewers)."
        ),
    )
    @action(detail=True, methods=["post"])
    def declare(self, request: Request, pk: str | None = None) -> Response:
        application = self.get_application(pk)
        data = self.body(s.DeclarationInputSerializer).validated_data
        declaration = services.declare_conflict(
            user=self.user,
            application=application,
            has_conflict=data["has_conflict"],
            statement=data["statement"],
        )
        return Response(s.DeclarationSerializer(declaration).data)

    @extend_schema(
        request=s.ScoringSerializer,
        responses=responses(s.ScoreSerializer(many=True)),
        description=_(
            "Score an application on each merit criterion, from 0 to 100, after declaring no conflict "
            "of interest (assigned reviewers). A bare list of scores is accepted too."
        ),
    )
    @action(detail=True, methods=["post"], pagination_class=None)
    def score(self, request: Request, pk: str | None = None) -> Response:
        application = self.get_application(pk)
        payload = request.data
        if isinstance(payload, list):
            payload = {"scores": payload}
        serializer = s.ScoringSerializer(data=payload, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        scores = services.score_application(
            user=self.user, application=application, scores=serializer.score_inputs()
        )
        return Response(s.ScoreSerializer(scores, many=True).data)


# -- awards ----------------------------------------------------------------------------------------------
AWARD = responses(s.AwardSerializer)


@extend_schema_view(
    list=extend_schema(
        parameters=[
            int_filter("compact", _("Only the awards under this compact.")),
            int_filter("organisation", _("Only the awards to this implementing partner.")),
            choice_filter("programme_type", PROGRAMME_TYPES, _("Only this programme type.")),
        ],
        description=_(
            "Awards you may see: every one for grants officers, your organisation's, and those under "
            "the compacts you may open."
        ),
    ),
    retrieve=extend_schema(responses={200: s.AwardSerializer, 404: NOT_FOUND}),
    create=extend_schema(
        request=s.AwardCreateSerializer,
        responses=responses(s.AwardSerializer, 201),
        description=_(
            "Decide an award (grants officers): from a selected application (opportunity, partner, "
            "compact and programme type come from it), or directly."
        ),
    ),
    partial_update=extend_schema(
        request=s.AwardUpdateSerializer,
        responses=AWARD,
        description=_("Change an award (grants officers); give the version you read."),
    ),
)
class AwardViewSet(GrantsViewSet):
    model = Award
    serializer_class = s.AwardSerializer
    query_filters: ClassVar[dict[str, tuple[str, Any]]] = {
        "compact": ("compact", "int"),
        "organisation": ("organisation", "int"),
        "programme_type": ("programme_type", PROGRAMME_TYPES),
    }

    def visible(self) -> QuerySet[Any]:
        return (
            selectors.visible_awards(self.user)
            .select_related("organisation")
            .prefetch_related("objectives", "activities", "indicators", "sectors")
        )

    def get_award(self, pk: Any) -> Award:
        return selectors.get_award(self.user, _pk(pk))

    def retrieve(self, request: Request, pk: str | None = None) -> Response:
        return self.represent(self.get_award(pk))

    def create(self, request: Request) -> Response:
        require_grants_officer(self.user)
        serializer = self.body(s.AwardCreateSerializer)
        data = serializer.validated_data
        application_id = data.get("application")
        opportunity_id = data.get("opportunity")
        links = serializer.links()
        award = services.make_award(
            user=self.user,
            data=serializer.award_data(),
            application=None
            if application_id is None
            else selectors.get_application(self.user, _pk(application_id)),
            opportunity=None
            if opportunity_id is None
            else selectors.get_opportunity(self.user, _pk(opportunity_id)),
            organisation=data.get("organisation"),
            compact=data.get("compact"),
            objectives=links["objectives"] or (),
            activities=links["activities"] or (),
            indicators=links["indicators"] or (),
            sectors=links["sectors"] or (),
        )
        return self.represent(award, status.HTTP_201_CREATED)

    def partial_update(self, request: Request, pk: str | None = None) -> Response:
        award = self.get_award(pk)
        require_grants_officer(self.user)
        serializer = self.body(s.AwardUpdateSerializer)
        saved = services.update_award(
            user=self.user,
            award=award,
            data=serializer.award_data(),
            version=serializer.validated_data["version"],
            **serializer.links(),
        )
        return self.represent(saved)

    @extend_schema(
        methods=["GET"],
        request=None,
        responses={200: s.BudgetSerializer(many=True), 404: NOT_FOUND},
        description=_("The award's budgets, a year at most each."),
    )
    @extend_schema(
        methods=["POST"],
        request=s.BudgetInputSerializer,
        responses=responses(s.BudgetSerializer, 201),
        description=_(
            "Record a budget of a year at most (or change one: give its id in ``budget``); another "
            "currency than USD needs its rate (grants officers)."
        ),
    )
    @action(detail=True, methods=["get", "post"], pagination_class=None)
    def budgets(self, request: Request, pk: str | None = None) -> Response:
        award = self.get_award(pk)
        if request.method == "POST":
            require_grants_officer(self.user)
            data = dict(self.body(s.BudgetInputSerializer).validated_data)
            budget_id = data.pop("budget", None)
            budget = None
            if budget_id is not None:
                budget = award.budgets.filter(pk=budget_id).first()
                if budget is None:
                    raise serializers.ValidationError({"budget": [_("Not a budget of this award.")]})
            saved = services.set_budget(user=self.user, award=award, budget=budget, **data)
            return Response(s.BudgetSerializer(saved).data, status=status.HTTP_201_CREATED)
        budgets = award.budgets.order_by(*ordering(award.budgets.model))
        return Response(s.BudgetSerializer(budgets, many=True).data)

    @extend_schema(
        methods=["GET"],
        request=None,
        responses={200: s.TransactionSerializer(many=True), 404: NOT_FOUND},
        description=_("The award's transactions (commitments, disbursements, expenditures), by date."),
    )
    @extend_schema(
        methods=["POST"],
        request=s.TransactionInputSerializer,
        responses=responses(s.TransactionSerializer, 201),
        description=_(
            "Record a transaction: grants officers any kind, the implementing partner its expenditures. "
            "Not before the award starts; another currency than USD needs its rate."
        ),
    )
    @action(detail=True, methods=["get", "post"])
    def transactions(self, request: Request, pk: str | None = None) -> Response:
        award = self.get_award(pk)
        if request.method == "POST":
            data = self.body(s.TransactionInputSerializer).validated_data
            saved = services.record_transaction(user=self.user, award=award, **data)
            return Response(s.TransactionSerializer(saved).data, status=status.HTTP_201_CREATED)
        qs = award.transactions.order_by(*ordering(award.transactions.model))
        page = self.paginate_queryset(qs)
        return self.get_paginated_response(s.TransactionSerializer(page, many=True).data)

    @extend_schema(
        responses={200: s.FinancesSerializer, 404: NOT_FOUND},
        description=_("The award's totals in USD: committed, disbursed, expended."),
    )
    @action(detail=True, methods=["get"], pagination_class=None)
    def finances(self, request: Request, pk: str | None = None) -> Response:
        finances = selectors.award_finances(self.get_award(pk))
        return Response(s.FinancesSerializer(finances).data)


# -- emergency assistance --------------------------------------------------------------------------------
@extend_schema_view(
    list=extend_schema(
        parameters=[
            choice_filter("status", list(EmergencyRequest.Status.values), _("Only requests of this status."))
        ],
        description=_("Emergency victim assistance requests: your organisation's; all for grants officers."),
    ),
    retrieve=extend_schema(responses={200: s.EmergencyRequestSerializer, 404: NOT_FOUND}),
    create=extend_schema(
        request=s.EmergencyRequestInputSerializer,
        responses=responses(s.EmergencyRequestSerializer, 201),
        description=_(
            "Request emergency victim assistance for your organisation; the decision is due ten days "
            "after receipt."
        ),
    ),
)
class EmergencyRequestViewSet(GrantsViewSet):
    model = EmergencyRequest
    serializer_class = s.EmergencyRequestSerializer
    query_filters: ClassVar[dict[str, tuple[str, Any]]] = {
        "status": ("status", list(EmergencyRequest.Status.values)),
    }

    def visible(self) -> QuerySet[Any]:
        return selectors.visible_emergency_requests(self.user).select_related("organisation")

    def retrieve(self, request: Request, pk: str | None = None) -> Response:
        return self.represent(selectors.get_emergency_request(self.user, _pk(pk)))

    def create(self, request: Request) -> Response:
        data = self.body(s.EmergencyRequestInputSerializer).request_data()
        emergency = services.request_emergency_assistance(user=self.user, data=data)
        return self.represent(emergency, status.HTTP_201_CREATED)

    @extend_schema(
        request=s.DecisionSerializer,
        responses=responses(s.EmergencyRequestSerializer),
        description=_(
            "Approve (making the award, of the emergency assistance type, at most the amount requested) "
            "or refuse a request (grants officers)."
        ),
    )
    @action(detail=True, methods=["post"])
    def decide(self, request: Request, pk: str | None = None) -> Response:
        emergency = selectors.get_emergency_request(self.user, _pk(pk))
        require_grants_officer(self.user)
        serializer = self.body(s.DecisionSerializer)
        data = serializer.validated_data
        decided = services.decide_emergency_request(
            user=self.user,
            request=emergency,
            approve=data["approve"],
            note=data["note"],
            award_data=serializer.award_data(),
        )
        return self.represent(decided)


# -- portfolio -------------------------------------------------------------------------------------------
GROUPS = ["compact", "partner", "programme_type", "year"]


class PortfolioView(APIView):
    @extend_schema(
        parameters=[
            OpenApiParameter(
                "group_by", OpenApiTypes.STR, enum=GROUPS, description=_("One row per … (default: compact).")
            ),
            int_filter("compact", _("Only the awards under this compact.")),
            int_filter("organisation", _("Only the awards to this implementing partner.")),
            choice_filter("programme_type", PROGRAMME_TYPES, _("Only this programme type.")),
            int_filter("year", _("Only this year.")),
        ],
        responses={200: s.PortfolioSerializer, 400: BAD_INPUT},
        description=_(
            "Funding of the awards you may see, in USD: awarded, committed, disbursed and expended, share "
            "of the ceiling, disbursement and burn rates, grouped as asked, with the total."
        ),
    )
    def get(self, request: Request) -> Response:
        user = cast("User", request.user)
        params = request.query_params
        group_by = _choice("group_by", params.get("group_by") or "compact", GROUPS)
        filters: dict[str, Any] = {}
        for name in ("compact", "organisation", "year"):
            raw = params.get(name)
            if raw not in (None, ""):
                filters[name] = _integer(name, raw)
        raw = params.get("programme_type")
        if raw:
            filters["programme_type"] = _choice("programme_type", raw, PROGRAMME_TYPES)
        portfolio = selectors.portfolio(user, group_by=group_by, **filters)
        compact = filters.get("compact")
        if (
            compact is not None
            and not is_grants_officer(user)
            and not compact_selectors.visible_compacts(user).filter(pk=compact).exists()
        ):
            # The total's ceiling is the compact's: not for those who may not open it.
            portfolio.total = dataclasses.replace(portfolio.total, ceiling=None)
        return Response(s.PortfolioSerializer(portfolio, context={"request": request}).data)
