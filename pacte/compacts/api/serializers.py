"""Serializers of the compacts API. They check types and that related ids exist and are visible to the
user; every business rule is checked by the services the viewsets call."""

from __future__ import annotations

from typing import Any, ClassVar

from django.db import models as db_models
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from .. import models
from ..permissions import Capability
from .fields import CommitteeScopeField, DownloadFileField, ScopeField, VisibleRelatedField, write_capability


class RecordSerializer(serializers.ModelSerializer):
    # Base of every record serializer: visible-only relations, the scope field, protected files.
    # (A comment, not a docstring: drf-spectacular would show it as every component's description.)
    serializer_related_field = VisibleRelatedField
    serializer_field_mapping = {
        **serializers.ModelSerializer.serializer_field_mapping,
        db_models.FileField: DownloadFileField,
    }
    #: The relation that places the record in a compact (see fields.ScopeField).
    scope: ClassVar[str] = "compact"

    def build_relational_field(self, field_name: str, relation_info: Any) -> tuple[type, dict[str, Any]]:
        field_class, kwargs = super().build_relational_field(field_name, relation_info)
        if field_name == self.scope:
            field_class = ScopeField
            kwargs["capability"] = write_capability(self.Meta.model)
        return field_class, kwargs

    def get_validators(self) -> list[Any]:
        # Uniqueness and every other rule are checked by the model and the services, in one place.
        return []


class PartySerializer(RecordSerializer):
    class Meta:
        model = models.Party
        fields = "__all__"


class ParticipationSerializer(RecordSerializer):
    class Meta:
        model = models.Participation
        fields = "__all__"


class MembershipSerializer(RecordSerializer):
    class Meta:
        model = models.Membership
        fields = "__all__"


class SignatorySerializer(RecordSerializer):
    class Meta:
        model = models.Signatory
        fields = "__all__"


class ObjectiveSerializer(RecordSerializer):
    class Meta:
        model = models.Objective
        fields = "__all__"
        extra_kwargs: ClassVar[dict[str, Any]] = {
            "number": {"required": False, "help_text": _("Given the next free number when left out.")}
        }


class ObjectiveChildSerializer(RecordSerializer):
    scope = "objective"
    compact = serializers.IntegerField(source="objective.compact_id", read_only=True, help_text=_("Compact."))


class ActivitySerializer(ObjectiveChildSerializer):
    class Meta:
        model = models.Activity
        fields = "__all__"


class IndicatorSerializer(ObjectiveChildSerializer):
    class Meta:
        model = models.Indicator
        fields = "__all__"


class CommitmentSerializer(RecordSerializer):
    class Meta:
        model = models.Commitment
        fields = "__all__"


class FocalPointSerializer(RecordSerializer):
    class Meta:
        model = models.FocalPoint
        fields = "__all__"


class FocalPointDataSerializer(RecordSerializer):
    # The new focal point, in a change of focal point.
    class Meta:
        model = models.FocalPoint
        fields = (
            "name",
            "organisation",
            "contact_person",
            "office",
            "phone",
            "fax",
            "email",
            "website",
            "address",
            "notes",
            "visibility",
            "order",
        )


class FocalPointChangeSerializer(RecordSerializer):
    notice_deadline = serializers.DateField(
        read_only=True,
        help_text=_("The other focal points are notified in writing within 30 days of the change."),
    )
    notification_late = serializers.BooleanField(
        read_only=True,
        help_text=_("The written notice came, or is still missing, more than 30 days after the change."),
    )

    class Meta:
        model = models.FocalPointChange
        fields = "__all__"
        read_only_fields = ("recorded_by", "compact", "party", "previous", "new", "changed_on")


class FocalPointChangeCreateSerializer(RecordSerializer):
    new = FocalPointDataSerializer(help_text=_("The new focal point."))

    class Meta:
        model = models.FocalPointChange
        fields = ("compact", "party", "previous", "new", "changed_on", "notified_on")


class FocalPointChangeNotifySerializer(serializers.Serializer):
    notified_on = serializers.DateField(help_text=_("Date of the written notice to the other focal points."))


class AmendmentSerializer(RecordSerializer):
    class Meta:
        model = models.Amendment
        fields = "__all__"
        read_only_fields = ("recorded_by",)


class CommitteeMemberSerializer(RecordSerializer):
    compact = CommitteeScopeField(
        source="committee",
        queryset=models.Compact.objects.all(),
        capability=Capability.RECORD_MEETINGS,
        help_text=_("Compact whose monitoring and evaluation committee the member sits on."),
    )

    class Meta:
        model = models.CommitteeMember
        exclude = ("committee",)


class MeetingSerializer(RecordSerializer):
    class Meta:
        model = models.Meeting
        fields = "__all__"


class CommunicationSerializer(RecordSerializer):
    class Meta:
        model = models.Communication
        fields = "__all__"
        read_only_fields = ("recorded_by",)


class DocumentSerializer(RecordSerializer):
    class Meta:
        model = models.Document
        fields = "__all__"
        read_only_fields = ("uploaded_by",)


# -- the compact itself ----------------------------------------------------------------------------
class CompactSerializer(serializers.ModelSerializer):
    serializer_related_field = VisibleRelatedField

    current_status = serializers.CharField(
        read_only=True,
        help_text=_(
            "The status today: as the status, except that a signed compact whose term has ended is expired."
        ),
    )
    current_status_display = serializers.CharField(source="get_current_status_display", read_only=True)
    country_name = serializers.CharField(read_only=True)
    days_left = serializers.IntegerField(
        read_only=True, allow_null=True, help_text=_("Days until the end of term, for a compact in force.")
    )
    ceiling_amount = serializers.DecimalField(
        max_digits=16,
        decimal_places=2,
        read_only=True,
        allow_null=True,
        help_text=_("United States ceiling (USD), subject to the availability of funds."),
    )
    committed_amount = serializers.DecimalField(
        max_digits=16,
        decimal_places=2,
        read_only=True,
        help_text=_("Funding recorded under the ceiling (USD)."),
    )
    us_party_name = serializers.CharField(
        write_only=True,
        required=False,
        allow_blank=True,
        max_length=300,
        help_text=_("Name of the United States party, on creation only."),
    )
    partner_party_name = serializers.CharField(
        write_only=True,
        required=False,
        allow_blank=True,
        max_length=300,
        help_text=_("Name of the partner-country party, on creation only."),
    )

    class Meta:
        model = models.Compact
        fields = (
            "id",
            "title",
            "country",
            "country_name",
            "purpose",
            "goal",
            "visibility",
            "status",
            "current_status",
            "current_status_display",
            "signature_date",
            "signature_place",
            "start_date",
            "end_date",
            "original_end_date",
            "terminated_on",
            "termination_reason",
            "days_left",
            "ceiling_amount",
            "committed_amount",
            "created_by",
            "created_at",
            "updated_at",
            "us_party_name",
            "partner_party_name",
        )
        read_only_fields = (
            "status",
            "signature_date",
            "terminated_on",
            "termination_reason",
            "created_by",
        )

    def get_validators(self) -> list[Any]:
        return []


class TransitionSerializer(serializers.Serializer):
    ACTIONS = (
        ("open_negotiation", _("Open negotiation")),
        ("return_to_draft", _("Return to draft")),
        ("sign", _("Sign")),
        ("terminate", _("Terminate")),
    )
    action = serializers.ChoiceField(choices=ACTIONS, help_text=_("The step in the life of the compact."))
    signature_date = serializers.DateField(
        required=False,
        allow_null=True,
        help_text=_("Date of signature (to sign); the compact enters into force."),
    )
    place = serializers.CharField(
        required=False, allow_blank=True, max_length=200, help_text=_("Place of signature (to sign).")
    )
    on = serializers.DateField(
        required=False, allow_null=True, help_text=_("Date of termination (to terminate).")
    )
    reason = serializers.CharField(
        required=False, allow_blank=True, help_text=_("Reason for termination (to terminate).")
    )

    def service_arguments(self) -> dict[str, Any]:
        """The keyword arguments of services.change_status for the chosen action."""
        data = self.validated_data
        if data["action"] == "sign":
            return {"signature_date": data.get("signature_date"), "place": data.get("place", "")}
        if data["action"] == "terminate":
            return {"on": data.get("on"), "reason": data.get("reason", "")}
        return {}
