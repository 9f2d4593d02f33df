"""Viewsets of the results API: reads through ``pacte.results.selectors``, writes through
``pacte.results.services`` (the same calls as the web pages).

* Lists are per compact: ``?compact=<id>`` is required (400 without it); a compact the user may not
  see gives an empty list. A record the user may not see answers 404, whether it exists or not.
* A write the user may not make on a compact they see answers 403; a business rule broken answers 400
  with the field's name (``pacte.core.api.exception_handler``); an update carrying an outdated
  ``version`` answers 400 on ``version``.
* Every list and every page of progress runs a fixed number of queries, whatever the amount of data.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from django.core.cache import cache
from django.db.models import Model, QuerySet
from django.http import Http404
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from pacte.compacts import selectors as compact_selectors
from pacte.compacts.models import Compact
from pacte.compacts.permissions import Access

from .. import selectors, services
from ..models import IndicatorDefinition, Submission
from ..periods import parse_period
from . import serializers as s

if TYPE_CHECKING:
    from pacte.accounts.models import User

NOT_FOUND = OpenApiResponse(description=_("Not found, or not visible to you."))
FORBIDDEN = OpenApiResponse(description=_("You may see this compact but not do this."))
BAD_INPUT = OpenApiResponse(description=_("Bad input: the message names the field."))
COMPACT = OpenApiParameter(
    "compact", OpenApiTypes.INT, required=True, description=_("The compact (required).")
)
YEAR = OpenApiParameter(
    "year",
    OpenApiTypes.INT,
    description=_(
        "Year of interest (default: the current year within the term); later values are not counted."
    ),
)


def _integer(name: str, raw: Any) -> int:
    try:
        return int(serializers.IntegerField().run_validation(raw))
    except serializers.ValidationError as exc:
        raise serializers.ValidationError({name: exc.detail}) from exc


def _compact_of(model: type[Model], pk: Any) -> int:
    """The compact of a record, before any visibility check (404 for a malformed id too)."""
    try:
        compact_id = model._default_manager.filter(pk=int(pk)).values_list("compact_id", flat=True).first()
    except (TypeError, ValueError) as exc:
        raise Http404 from exc
    if compact_id is None:
        raise Http404
    return int(compact_id)


def ordering(model: type[Model]) -> list[str]:
    """The model's ordering, then the id: pages never repeat or skip rows that tie."""
    return [*cast(list[str], model._meta.ordering), "pk"]


class ResultsViewSet(viewsets.GenericViewSet):
    # Base: the compact of a list comes from ``?compact=``, of a record from the record. (A comment,
    # not a docstring: drf-spectacular would repeat it as every operation's description.)

    @property
    def user(self) -> User:
        """The signed-in user (IsAuthenticated runs before any handler)."""
        return cast("User", self.request.user)

    def get_queryset(self) -> QuerySet[Any]:  # only for the schema and the browsable API
        return Submission.objects.none()

    def list_compact(self) -> tuple[Compact, Access] | None:
        """The compact of ``?compact=``; None when the user may not see it (an empty list)."""
        raw = self.request.query_params.get("compact")
        if raw in (None, ""):
            raise serializers.ValidationError({"compact": [_("Give the compact: ?compact=<id>.")]})
        pk = _integer("compact", raw)
        try:
            return compact_selectors.get_compact(self.user, pk)
        except Http404:
            return None

    def record_compact(self, model: type[Model], pk: Any) -> tuple[Compact, Access]:
        return compact_selectors.get_compact(self.user, _compact_of(model, pk))

    def year(self) -> int | None:
        raw = self.request.query_params.get("year")
        return None if raw in (None, "") else _integer("year", raw)

    def empty_page(self) -> Response:
        page = self.paginate_queryset(cast(Any, []))
        return self.get_paginated_response([]) if page is not None else Response([])


# -- definitions -----------------------------------------------------------------------------------------
@extend_schema_view(
    list=extend_schema(
        parameters=[COMPACT],
        description=_("The indicator definitions of a compact you may see, with their yearly targets."),
    ),
    retrieve=extend_schema(responses={200: s.DefinitionSerializer, 404: NOT_FOUND}),
)
class DefinitionViewSet(ResultsViewSet):
    serializer_class = s.DefinitionSerializer

    def get_queryset(self) -> QuerySet[Any]:
        return IndicatorDefinition.objects.none()

    def list(self, request: Request) -> Response:
        scope = self.list_compact()
        if scope is None:
            return self.empty_page()
        compact, access = scope
        qs = (
            selectors.visible_definitions(self.user, compact, access=access)
            .prefetch_related("categories", "reporters")
            .order_by(*ordering(IndicatorDefinition))
        )
        page = self.paginate_queryset(qs)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    def retrieve(self, request: Request, pk: str | None = None) -> Response:
        compact, access = self.record_compact(IndicatorDefinition, pk)
        definition = selectors.get_definition(self.user, compact, pk, access=access)
        return Response(self.get_serializer(definition).data)


# -- progress per indicator ------------------------------------------------------------------------------
@extend_schema_view(
    list=extend_schema(
        parameters=[COMPACT, YEAR],
        responses={200: s.IndicatorRowSerializer(many=True), 400: BAD_INPUT},
        description=_(
            "Progress of every indicator of a compact you may see, from approved values only: baseline, "
            "target and actual per year, variance, assessment, latest figure, change from the baseline, "
            "parts that do not add up. A fixed number of queries whatever the amount of data."
        ),
    ),
    retrieve=extend_schema(
        parameters=[YEAR],
        responses={200: s.IndicatorProgressSerializer, 404: NOT_FOUND},
        description=_(
            "One indicator in detail (the id is the definition's): per period, per organisation, "
            "disaggregated figures of the latest year with data, targets."
        ),
    ),
)
class IndicatorProgressViewSet(ResultsViewSet):
    serializer_class = s.IndicatorRowSerializer

    def list(self, request: Request) -> Response:
        scope = self.list_compact()
        year = self.year()
        if scope is None:
            return self.empty_page()
        compact, access = scope
        # The page's rows are cached as serialised (with the number of rows, for the links) under the
        # progress cache key: a request costs the compact, the access and the results version token.
        year = selectors.year_of_interest(selectors.term_years(compact), year)
        token = selectors.results_token(compact)
        paginator = cast(Any, self.paginator)
        page_number = request.query_params.get(paginator.page_query_param) or "1"
        key = (
            selectors.progress_cache_key(
                compact, access, year, "api", page_number, paginator.get_page_size(request), token=token
            )
            if page_number.isdigit()  # other values ("last", bad ones) are not cached
            else None
        )
        cached = cache.get(key) if key else None
        if cached is not None:
            count, data = cached
            self.paginate_queryset(cast(Any, range(count)))
            return self.get_paginated_response(data)
        progress = selectors.cached_compact_progress(
            self.user, compact, year=year, access=access, token=token
        )
        rows = progress.rows
        page = self.paginate_queryset(cast(Any, rows))
        data = s.IndicatorRowSerializer(page, many=True).data
        if key:
            cache.set(key, (len(rows), data), selectors.PROGRESS_CACHE_SECONDS)
        return self.get_paginated_response(data)

    def retrieve(self, request: Request, pk: str | None = None) -> Response:
        compact, access = self.record_compact(IndicatorDefinition, pk)
        year = self.year()
        definition = selectors.get_definition(self.user, compact, pk, access=access)
        progress = selectors.indicator_progress(self.user, compact, definition, year=year, access=access)
        return Response(s.IndicatorProgressSerializer(progress, context=self.get_serializer_context()).data)


# -- progress of a compact -------------------------------------------------------------------------------
@extend_schema_view(
    retrieve=extend_schema(
        parameters=[
            OpenApiParameter("id", OpenApiTypes.INT, OpenApiParameter.PATH, description=_("The compact.")),
            YEAR,
        ],
        responses={200: s.CompactProgressSerializer, 404: NOT_FOUND},
        description=_(
            "Progress of a compact from approved values only: per pillar and objective, the summary and "
            "every indicator; the gaps (objectives without indicators, indicators without definition, "
            "target or data)."
        ),
    ),
)
class CompactProgressViewSet(ResultsViewSet):
    serializer_class = s.CompactProgressSerializer

    def get_queryset(self) -> QuerySet[Any]:
        return Compact.objects.none()

    def retrieve(self, request: Request, pk: str | None = None) -> Response:
        compact, access = compact_selectors.get_compact(self.user, pk)
        progress = selectors.compact_progress(self.user, compact, year=self.year(), access=access)
        return Response(s.CompactProgressSerializer(progress, context=self.get_serializer_context()).data)


# -- submissions -----------------------------------------------------------------------------------------
WORKFLOW_RESPONSES = {200: s.SubmissionSerializer, 400: BAD_INPUT, 403: FORBIDDEN, 404: NOT_FOUND}


@extend_schema_view(
    list=extend_schema(
        parameters=[
            COMPACT,
            OpenApiParameter(
                "status",
                OpenApiTypes.STR,
                enum=list(Submission.Status.values),
                description=_("Only submissions of this status."),
            ),
            OpenApiParameter(
                "period", OpenApiTypes.STR, description=_("Only this period (2024, 2024Q1, FY2025).")
            ),
            OpenApiParameter(
                "organisation", OpenApiTypes.INT, description=_("Only this reporting organisation.")
            ),
            OpenApiParameter(
                "definition", OpenApiTypes.INT, description=_("Only this indicator definition.")
            ),
        ],
        description=_(
            "The submissions of a compact you may see: approved ones for everyone, every one of your "
            "organisation, and every submitted one for reviewers."
        ),
    ),
    retrieve=extend_schema(responses={200: s.SubmissionSerializer, 404: NOT_FOUND}),
    create=extend_schema(
        request=s.SubmissionCreateSerializer,
        responses={201: s.SubmissionSerializer, 400: BAD_INPUT, 403: FORBIDDEN, 404: NOT_FOUND},
        description=_("Report values: a draft for one indicator and period."),
    ),
    update=extend_schema(
        request=s.SubmissionUpdateSerializer,
        responses=WORKFLOW_RESPONSES,
        description=_("Change a draft or returned submission (give the version you read)."),
    ),
    partial_update=extend_schema(
        request=s.SubmissionUpdateSerializer,
        responses=WORKFLOW_RESPONSES,
        description=_("Change a draft or returned submission (give the version you read)."),
    ),
)
class SubmissionViewSet(ResultsViewSet):
    serializer_class = s.SubmissionSerializer

    def visible(self, compact: Compact, access: Access, **filters: Any) -> QuerySet[Submission]:
        return (
            selectors.visible_submissions(self.user, compact, access=access, **filters)
            .select_related("definition__indicator", "organisation")
            .prefetch_related("values__category", "evidence__submission")
        )

    def get_submission(self, pk: Any) -> Submission:
        compact, access = self.record_compact(Submission, pk)
        try:
            return self.visible(compact, access).get(pk=pk)
        except (Submission.DoesNotExist, ValueError, TypeError) as exc:
            raise Http404 from exc

    def represent(self, submission: Submission, code: int = status.HTTP_200_OK) -> Response:
        fresh = self.get_submission(submission.pk)
        return Response(self.get_serializer(fresh).data, status=code)

    def filters(self) -> dict[str, Any]:
        params = self.request.query_params
        found: dict[str, Any] = {}
        raw_status = params.get("status")
        if raw_status:
            if raw_status not in Submission.Status.values:
                raise serializers.ValidationError(
                    {
                        "status": [
                            _("Choose one of: %(choices)s.")
                            % {"choices": ", ".join(Submission.Status.values)}
                        ]
                    }
                )
            found["status"] = raw_status
        raw_period = params.get("period")
        if raw_period:
            try:
                found["period"] = parse_period(raw_period).code
            except Exception as exc:  # noqa: BLE001 - a Django ValidationError with the message
                raise serializers.ValidationError(
                    {"period": list(getattr(exc, "messages", [str(exc)]))}
                ) from exc
        for name in ("organisation", "definition"):
            raw = params.get(name)
            if raw not in (None, ""):
                found[name] = _integer(name, raw)
        return found

    def list(self, request: Request) -> Response:
        scope = self.list_compact()
        filters = self.filters()
        if scope is None:
            return self.empty_page()
        compact, access = scope
        qs = self.visible(compact, access, **filters).order_by(*ordering(Submission))
        page = self.paginate_queryset(qs)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    def retrieve(self, request: Request, pk: str | None = None) -> Response:
        return Response(self.get_serializer(self.get_submission(pk)).data)

    def create(self, request: Request) -> Response:
        serializer = s.SubmissionCreateSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        compact, access = self.record_compact(IndicatorDefinition, data["definition"])
        definition = selectors.get_definition(self.user, compact, data["definition"], access=access)
        submission = services.save_submission(
            user=self.user,
            definition=definition,
            period=data["period"],
            values=serializer.value_inputs(),
            comment=data.get("comment", ""),
            organisation=data.get("organisation"),
        )
        return self.represent(submission, status.HTTP_201_CREATED)

    def update(self, request: Request, pk: str | None = None, partial: bool = False) -> Response:
        submission = self.get_submission(pk)
        serializer = s.SubmissionUpdateSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        values = serializer.value_inputs()
        if values is None:
            values = [
                services.ValueInput(
                    category=v.category,
                    value=v.value,
                    numerator=v.numerator,
                    denominator=v.denominator,
                    text=v.text,
                )
                for v in submission.values.all()
            ]
        saved = services.save_submission(
            user=self.user,
            definition=submission.definition,
            period=data.get("period", submission.period),
            values=values,
            comment=data.get("comment", submission.comment),
            submission=submission,
            version=data["version"],
        )
        return self.represent(saved)

    def partial_update(self, request: Request, pk: str | None = None) -> Response:
        return self.update(request, pk, partial=True)

    def transition(self, request: Request, pk: str | None, step: str) -> Response:
        submission = self.get_submission(pk)
        serializer = s.WorkflowSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        comment = serializer.validated_data.get("comment", "")
        version = serializer.validated_data.get("version")
        if step == "submit":
            saved = services.submit(user=self.user, submission=submission, version=version)
        elif step == "approve":
            saved = services.approve(user=self.user, submission=submission, comment=comment, version=version)
        elif step == "return":
            saved = services.return_submission(
                user=self.user, submission=submission, comment=comment, version=version
            )
        else:
            saved = services.reopen(user=self.user, submission=submission, comment=comment, version=version)
        return self.represent(saved)

    @extend_schema(
        request=s.WorkflowSerializer,
        responses=WORKFLOW_RESPONSES,
        description=_("Submit a draft or returned submission for review (reporting organisation)."),
    )
    @action(detail=True, methods=["post"])
    def submit(self, request: Request, pk: str | None = None) -> Response:
        return self.transition(request, pk, "submit")

    @extend_schema(
        request=s.WorkflowSerializer,
        responses=WORKFLOW_RESPONSES,
        description=_("Approve a submitted submission: its values count from now on (reviewers)."),
    )
    @action(detail=True, methods=["post"])
    def approve(self, request: Request, pk: str | None = None) -> Response:
        return self.transition(request, pk, "approve")

    @extend_schema(
        request=s.WorkflowSerializer,
        responses=WORKFLOW_RESPONSES,
        description=_("Return a submitted submission for correction, with comments (reviewers)."),
    )
    @action(detail=True, methods=["post"], url_path="return", url_name="return")
    def return_for_correction(self, request: Request, pk: str | None = None) -> Response:
        return self.transition(request, pk, "return")

    @extend_schema(
        request=s.WorkflowSerializer,
        responses=WORKFLOW_RESPONSES,
        description=_("Reopen an approved submission of an unlocked period, with the reason (reviewers)."),
    )
    @action(detail=True, methods=["post"])
    def reopen(self, request: Request, pk: str | None = None) -> Response:
        return self.transition(request, pk, "reopen")
