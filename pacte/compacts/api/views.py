"""Viewsets of the compacts API: reads through the selectors, writes through the services.

* A record the user may not see answers 404, whether it exists or not; lists hold only what the user
  may see (``selectors.visible_records`` / ``visible_compacts``).
* A write on a compact the user sees without the capability answers 403 (checked before the data, and
  again by the service); a business rule broken answers 400 with the field's name
  (``pacte.core.api.exception_handler``).
* Lists take a fixed number of queries, whatever the number of rows.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, cast

from django.core.cache import cache
from django.db.models import Model, Prefetch, QuerySet
from django.http import FileResponse, Http404
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.request import Request
from rest_framework.response import Response

from .. import models, selectors, services
from ..permissions import Capability, can_create_compact, require
from . import serializers as s
from .fields import write_capability

if TYPE_CHECKING:
    from pacte.accounts.models import User

NOT_FOUND = OpenApiResponse(description=_("Not found, or not visible to you."))
FORBIDDEN = OpenApiResponse(description=_("You may see this compact but not do this."))
FILTER_HELP = {
    "compact": _("Only the records of this compact."),
    "objective": _("Only the records of this objective."),
}


def stable_order(qs: QuerySet[Any]) -> QuerySet[Any]:
    """The model's ordering, then the id: pages never repeat or skip rows that tie."""
    ordering = list(qs.model._meta.ordering)
    return qs if {"id", "pk", "-id", "-pk"} & set(ordering) else qs.order_by(*ordering, "pk")


class ReadViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    # List and retrieve the records of ``model`` the user may see, filtered by ``?compact=<id>`` and the
    # ``query_filters``. (Comments, not docstrings, in base classes: drf-spectacular would repeat them
    # as the description of every operation.)

    model: ClassVar[type[Model]]
    select_related: ClassVar[tuple[str, ...]] = ()
    #: Many-to-many relations to prefetch, each restricted to the related records the user may see.
    prefetch_visible: ClassVar[dict[str, type[Model]]] = {}
    #: Query parameters besides ``compact``: name → lookup.
    query_filters: ClassVar[dict[str, str]] = {}
    #: Actions that change the record fetched by get_object (403 before validation without the capability).
    write_actions: ClassVar[frozenset[str]] = frozenset({"update", "partial_update", "destroy"})

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "model" in cls.__dict__:
            verbose = cls.model._meta.verbose_name_plural
            parameters = [
                OpenApiParameter(name, OpenApiTypes.INT, description=FILTER_HELP[name])
                for name in cls.filters()
            ]
            extend_schema_view(
                list=extend_schema(
                    parameters=parameters,
                    description=format_lazy(_("The {records} you may see."), records=verbose),
                ),
            )(cls)

    @property
    def user(self) -> User:
        """The signed-in user (IsAuthenticated runs before any handler)."""
        return cast("User", self.request.user)

    @classmethod
    def filters(cls) -> dict[str, str]:
        return {"compact": selectors.compact_path(cls.model), **cls.query_filters}

    def base_queryset(self) -> QuerySet[Any]:
        return selectors.visible_records(self.user, self.model)

    def get_queryset(self) -> QuerySet[Any]:
        if getattr(self, "swagger_fake_view", False):  # schema generation
            return self.model._default_manager.none()
        qs = self.base_queryset()
        if self.select_related:
            qs = qs.select_related(*self.select_related)
        for name, related in self.prefetch_visible.items():
            qs = qs.prefetch_related(Prefetch(name, queryset=selectors.visible_records(self.user, related)))
        if self.action == "list":
            qs = self.filter_by_query(qs)
        return stable_order(qs)

    def filter_by_query(self, qs: QuerySet[Any]) -> QuerySet[Any]:
        for name, lookup in self.filters().items():
            raw = self.request.query_params.get(name)
            if raw in (None, ""):
                continue
            try:
                value = serializers.IntegerField().run_validation(raw)
            except serializers.ValidationError as exc:
                raise serializers.ValidationError({name: exc.detail}) from exc
            qs = qs.filter(**{lookup: value})
        return qs

    def get_object(self) -> Any:
        record = super().get_object()
        if self.action in self.write_actions:
            require(self.user, services.compact_of(record), write_capability(self.model))
        return record

    def refetch(self, record: Model) -> Any:
        """The record as the API shows it (annotations, visible relations) after a service wrote it."""
        return self.get_queryset().filter(pk=record.pk).first() or record


class RecordViewSet(mixins.CreateModelMixin, mixins.UpdateModelMixin, mixins.DestroyModelMixin, ReadViewSet):
    # Create, update and delete through services.save_record and services.delete_record.

    def perform_create(self, serializer: serializers.BaseSerializer) -> None:
        serializer.instance = self.save_record(self.model(), serializer.validated_data)

    def perform_update(self, serializer: serializers.BaseSerializer) -> None:
        serializer.instance = self.save_record(cast(Model, serializer.instance), serializer.validated_data)

    def perform_destroy(self, instance: Model) -> None:
        services.delete_record(user=self.user, instance=instance)

    def save_record(self, instance: Model, validated_data: dict[str, Any]) -> Any:
        data = dict(validated_data)
        m2m = {f.name: data.pop(f.name) for f in self.model._meta.many_to_many if f.name in data}
        saved = services.save_record(user=self.user, instance=instance, data=data, m2m=m2m)
        return self.refetch(saved)


class DownloadMixin:
    # ``GET …/{id}/download/``: the record's file, after the same visibility check as the record.

    file_field: ClassVar[str]

    @extend_schema(
        description=_("The file, if you may see the record."),
        responses={(200, "application/octet-stream"): OpenApiTypes.BINARY, 404: NOT_FOUND},
    )
    @action(detail=True, methods=["get"])
    def download(self, request: Request, pk: str | None = None) -> FileResponse:
        record = self.get_object()  # type: ignore[attr-defined]
        file = getattr(record, self.file_field)
        if not file:
            raise Http404
        try:
            handle = file.open("rb")
        except FileNotFoundError as exc:
            raise Http404 from exc
        return FileResponse(handle, as_attachment=True, filename=Path(file.name).name)


# -- the compact -----------------------------------------------------------------------------------
@extend_schema_view(
    list=extend_schema(description=_("The compacts you may see.")),
    create=extend_schema(
        description=_("Open a compact (programme officers of a donor office); it starts as a draft."),
        responses={201: s.CompactSerializer, 403: FORBIDDEN},
    ),
)
class CompactViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    serializer_class = s.CompactSerializer
    capability_for_action: ClassVar[dict[str, Capability]] = {
        "update": Capability.EDIT,
        "partial_update": Capability.EDIT,
        "transition": Capability.CHANGE_STATUS,
    }

    @property
    def user(self) -> User:
        """The signed-in user (IsAuthenticated runs before any handler)."""
        return cast("User", self.request.user)

    def get_queryset(self) -> QuerySet[models.Compact]:
        if getattr(self, "swagger_fake_view", False):
            return models.Compact.objects.none()
        return stable_order(selectors.visible_compacts(self.user))

    def get_object(self) -> models.Compact:
        compact = super().get_object()
        capability = self.capability_for_action.get(self.action)
        if capability is not None:
            require(self.user, compact, capability)
        return compact

    # Every compact the API shows carries ceiling_amount and committed_amount (selectors.attach_amounts:
    # one or two queries for a whole page, instead of correlated subqueries in the query of the list).
    # The page is serialised once per process for this user and URL as the compacts are now
    # (selectors.compact_list_cache_key), then rendered in the format asked for.
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        key = selectors.compact_list_cache_key(self.user, "api|" + request.build_absolute_uri())
        data = cache.get(key)
        if data is None:
            queryset = self.filter_queryset(self.get_queryset())
            page = self.paginate_queryset(queryset)
            rows = selectors.attach_amounts(self.user, list(queryset if page is None else page))
            serialized = self.get_serializer(rows, many=True).data
            data = serialized if page is None else self.get_paginated_response(serialized).data
            cache.set(key, data, selectors.CACHE_SECONDS)
        return Response(data)

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        compact = selectors.attach_amounts(self.user, [self.get_object()])[0]
        return Response(self.get_serializer(compact).data)

    def refetch(self, compact: models.Compact) -> models.Compact:
        fresh = self.get_queryset().filter(pk=compact.pk).first() or compact
        return selectors.attach_amounts(self.user, [fresh])[0]

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        if not can_create_compact(self.user):
            raise PermissionDenied
        return super().create(request, *args, **kwargs)

    def perform_create(self, serializer: serializers.BaseSerializer) -> None:
        data = dict(serializer.validated_data)
        names = {key: data.pop(key, "") for key in ("us_party_name", "partner_party_name")}
        compact = services.create_compact(user=self.user, data=data, **names)
        serializer.instance = self.refetch(compact)

    def perform_update(self, serializer: serializers.BaseSerializer) -> None:
        data = dict(serializer.validated_data)
        for key in ("us_party_name", "partner_party_name"):
            data.pop(key, None)
        compact = services.update_compact(
            user=self.user, compact=cast(models.Compact, serializer.instance), data=data
        )
        serializer.instance = self.refetch(compact)

    @extend_schema(
        request=s.TransitionSerializer,
        responses={
            200: s.CompactSerializer,
            400: OpenApiResponse(description=_("Not possible now.")),
            403: FORBIDDEN,
            404: NOT_FOUND,
        },
        description=_(
            "Move the compact through its life: open_negotiation, return_to_draft, sign (signature_date, "
            "place) or terminate (on, reason)."
        ),
    )
    @action(detail=True, methods=["post"], serializer_class=s.TransitionSerializer)
    def transition(self, request: Request, pk: str | None = None) -> Response:
        compact = self.get_object()
        serializer = s.TransitionSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        compact = services.change_status(
            user=self.user,
            compact=compact,
            action=serializer.validated_data["action"],
            **serializer.service_arguments(),
        )
        return Response(
            s.CompactSerializer(self.refetch(compact), context=self.get_serializer_context()).data
        )


# -- records of a compact --------------------------------------------------------------------------
class PartyViewSet(RecordViewSet):
    model = models.Party
    serializer_class = s.PartySerializer


class ParticipationViewSet(RecordViewSet):
    model = models.Participation
    serializer_class = s.ParticipationSerializer


class MembershipViewSet(RecordViewSet):
    model = models.Membership
    serializer_class = s.MembershipSerializer


class SignatoryViewSet(RecordViewSet):
    model = models.Signatory
    serializer_class = s.SignatorySerializer


class ObjectiveViewSet(RecordViewSet):
    model = models.Objective
    serializer_class = s.ObjectiveSerializer


class ActivityViewSet(RecordViewSet):
    model = models.Activity
    serializer_class = s.ActivitySerializer
    select_related = ("objective",)
    query_filters: ClassVar[dict[str, str]] = {"objective": "objective"}


class IndicatorViewSet(RecordViewSet):
    model = models.Indicator
    serializer_class = s.IndicatorSerializer
    select_related = ("objective",)
    query_filters: ClassVar[dict[str, str]] = {"objective": "objective"}


class CommitmentViewSet(RecordViewSet):
    model = models.Commitment
    serializer_class = s.CommitmentSerializer


class FocalPointViewSet(RecordViewSet):
    model = models.FocalPoint
    serializer_class = s.FocalPointSerializer


class CommitteeMemberViewSet(RecordViewSet):
    model = models.CommitteeMember
    serializer_class = s.CommitteeMemberSerializer
    select_related = ("committee",)


class MeetingViewSet(RecordViewSet):
    model = models.Meeting
    serializer_class = s.MeetingSerializer
    prefetch_visible: ClassVar[dict[str, type[Model]]] = {"validated_activities": models.Activity}


class CommunicationViewSet(DownloadMixin, RecordViewSet):
    model = models.Communication
    serializer_class = s.CommunicationSerializer
    prefetch_visible: ClassVar[dict[str, type[Model]]] = {"recipients": models.FocalPoint}
    file_field = "attachment"


class DocumentViewSet(DownloadMixin, RecordViewSet):
    model = models.Document
    serializer_class = s.DocumentSerializer
    file_field = "file"


class AmendmentViewSet(mixins.CreateModelMixin, ReadViewSet):
    """Amendments and extensions are part of the legal record: recorded, never changed or deleted."""

    model = models.Amendment
    serializer_class = s.AmendmentSerializer

    def perform_create(self, serializer: serializers.BaseSerializer) -> None:
        data = dict(serializer.validated_data)
        compact = data.pop("compact")
        amendment = services.record_amendment(user=self.user, compact=compact, data=data)
        serializer.instance = self.refetch(amendment)


class FocalPointChangeViewSet(ReadViewSet):
    """A change of focal point creates the new focal point; the date of the written notice to the
    other focal points may be recorded afterwards (PATCH)."""

    model = models.FocalPointChange
    write_actions = frozenset({"partial_update"})

    def base_queryset(self) -> QuerySet[Any]:
        return selectors.visible_focal_point_changes(self.user)

    def get_serializer_class(self) -> type[serializers.BaseSerializer]:
        method = getattr(self.request, "method", "GET")
        if method == "POST":
            return s.FocalPointChangeCreateSerializer
        if method == "PATCH":
            return s.FocalPointChangeNotifySerializer
        return s.FocalPointChangeSerializer

    def represent(self, change: models.FocalPointChange) -> dict[str, Any]:
        return s.FocalPointChangeSerializer(self.refetch(change), context=self.get_serializer_context()).data

    @extend_schema(
        request=s.FocalPointChangeCreateSerializer,
        responses={201: s.FocalPointChangeSerializer, 403: FORBIDDEN, 404: NOT_FOUND},
    )
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        change = services.change_focal_point(
            user=self.user,
            compact=data["compact"],
            party=data["party"],
            new_data=data["new"],
            changed_on=data["changed_on"],
            previous=data.get("previous"),
            notified_on=data.get("notified_on"),
        )
        return Response(self.represent(change), status=status.HTTP_201_CREATED)

    @extend_schema(
        request=s.FocalPointChangeNotifySerializer,
        responses={200: s.FocalPointChangeSerializer, 403: FORBIDDEN, 404: NOT_FOUND},
    )
    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        change = self.get_object()
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.record_notification(
            user=self.user, change=change, notified_on=serializer.validated_data["notified_on"]
        )
        return Response(self.represent(change))
