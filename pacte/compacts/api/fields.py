"""Serializer fields that accept only what the requesting user may see.

* ``VisibleRelatedField`` replaces DRF's ``PrimaryKeyRelatedField`` on every relation: its choices
  come from the selectors, so an id the user may not see answers 400 "invalid pk", exactly like an
  id that does not exist.
* ``ScopeField`` is the relation that places a record in a compact (``compact``, or ``objective`` for
  activities and indicators): one the user may not see answers 404, one they see without the right
  to write answers 403, before any other validation.
* ``DownloadFileField`` uploads a file and answers the permission-checked download URL, never the
  media URL.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ObjectDoesNotExist
from django.db.models import Model, QuerySet
from django.http import Http404
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from pacte.accounts.models import Organisation

from .. import selectors, services
from ..models import Compact, FocalPointChange, MonitoringCommittee
from ..permissions import Capability, require


def write_capability(model: type[Model]) -> Capability:
    """The capability a write of ``model`` needs, as the services check it (changes of focal point
    are written by ``services.change_focal_point``, which requires EDIT)."""
    if model is FocalPointChange:
        return Capability.EDIT
    return services.CAPABILITY_FOR[model]


def visible_queryset(user: Any, model: type[Model]) -> QuerySet[Any]:
    """The records of ``model`` that ``user`` may refer to in a write."""
    from django.contrib.auth import get_user_model

    if model is Compact:
        return selectors.visible_compacts(user)
    if model is Organisation:
        return selectors.organisation_choices()
    if model is get_user_model():
        return selectors.assignable_users(user)
    return selectors.visible_records(user, model)


class VisibleRelatedField(serializers.PrimaryKeyRelatedField):
    def get_queryset(self) -> QuerySet[Any]:
        request = self.context.get("request")
        assert self.queryset is not None
        return visible_queryset(getattr(request, "user", None), self.queryset.model)


class ScopeField(VisibleRelatedField):
    """The compact (or objective) a record is written to: 404 when the user may not see it, 403 when
    they may see it but not write there."""

    def __init__(self, *, capability: Capability, **kwargs: Any) -> None:
        self.capability = capability
        super().__init__(**kwargs)

    def to_internal_value(self, data: Any) -> Any:
        try:
            if isinstance(data, bool):
                raise TypeError
            scope = self.get_queryset().get(pk=data)
        except ObjectDoesNotExist as exc:
            raise Http404 from exc
        except (TypeError, ValueError):
            self.fail("incorrect_type", data_type=type(data).__name__)
        compact = scope if isinstance(scope, Compact) else services.compact_of(scope)
        require(self.context["request"].user, compact, self.capability)
        return scope


class CommitteeScopeField(ScopeField):
    """Committee members are written with the compact's id and stored on its monitoring committee."""

    def use_pk_only_optimization(self) -> bool:
        return False

    def to_internal_value(self, data: Any) -> MonitoringCommittee:
        compact = super().to_internal_value(data)
        try:
            return compact.monitoring_committee
        except MonitoringCommittee.DoesNotExist as exc:
            raise serializers.ValidationError(_("This compact has no monitoring committee yet.")) from exc

    def to_representation(self, value: Any) -> int:
        # A committee when reading a member; a compact when listing the choices (browsable API).
        return value.pk if isinstance(value, Compact) else value.compact_id


class DownloadFileField(serializers.FileField):
    """A file uploaded with the record (multipart); read back as the URL of the ``download`` action of
    the record's endpoint, which checks permissions before sending it."""

    def to_representation(self, value: Any) -> str | None:
        if not value:
            return None
        instance = value.instance
        url = reverse(f"api:{instance._meta.model_name}-download", kwargs={"pk": instance.pk})
        request = self.context.get("request")
        return request.build_absolute_uri(url) if request is not None else url
