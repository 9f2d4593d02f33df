"""Admin site for every compact model. Site administrators only; the admin site requires two-factor login."""

from typing import Any

from django.contrib import admin
from django.db.models import Model, QuerySet
from simple_history.admin import SimpleHistoryAdmin

from . import models, services


def _bump(obj: Model) -> None:
    compact = obj if isinstance(obj, models.Compact) else services.compact_of(obj)
    if compact.pk is not None:
        services.bump_content_version(compact)


class ContentVersionMixin:
    """The admin site writes outside the services: every change it makes bumps the compact's content
    version, so that the cached compact page and the results pages show it at once."""

    def save_related(self, request: Any, form: Any, formsets: Any, change: bool) -> None:
        super().save_related(request, form, formsets, change)  # type: ignore[misc]
        _bump(form.instance)

    def delete_model(self, request: Any, obj: Model) -> None:
        compact = None if isinstance(obj, models.Compact) else services.compact_of(obj)
        super().delete_model(request, obj)  # type: ignore[misc]
        if compact is not None:
            services.bump_content_version(compact)

    def delete_queryset(self, request: Any, queryset: QuerySet[Any]) -> None:
        compacts = {services.compact_of(obj).pk for obj in queryset if not isinstance(obj, models.Compact)}
        super().delete_queryset(request, queryset)  # type: ignore[misc]
        for pk in compacts:
            services.bump_content_version(models.Compact(pk=pk))


class HistoryAdmin(ContentVersionMixin, SimpleHistoryAdmin):  # type: ignore[type-arg]
    pass


class PlainAdmin(ContentVersionMixin, admin.ModelAdmin):  # type: ignore[type-arg]
    pass


class ActivityInline(admin.TabularInline):
    model = models.Activity
    extra = 0


class IndicatorInline(admin.TabularInline):
    model = models.Indicator
    extra = 0


class PartyInline(admin.TabularInline):
    model = models.Party
    extra = 0


class ParticipationInline(admin.TabularInline):
    model = models.Participation
    extra = 0
    autocomplete_fields = ("organisation",)


class MembershipInline(admin.TabularInline):
    model = models.Membership
    extra = 0
    autocomplete_fields = ("user",)


@admin.register(models.Compact)
class CompactAdmin(HistoryAdmin):
    list_display = ("title", "country", "status", "start_date", "end_date", "visibility")
    list_filter = ("status", "visibility", "country")
    search_fields = ("title",)
    inlines = [PartyInline, ParticipationInline, MembershipInline]


@admin.register(models.Objective)
class ObjectiveAdmin(HistoryAdmin):
    list_display = ("__str__", "compact", "pillar", "visibility")
    list_filter = ("pillar", "visibility")
    inlines = [ActivityInline, IndicatorInline]


@admin.register(models.Activity)
class ActivityAdmin(HistoryAdmin):
    list_display = ("__str__", "objective", "order", "illustrative", "visibility")
    list_filter = ("objective__pillar", "visibility")
    search_fields = ("description",)


@admin.register(models.Indicator)
class IndicatorAdmin(HistoryAdmin):
    list_display = ("__str__", "objective", "level", "illustrative", "visibility")
    list_filter = ("level", "objective__pillar", "visibility")
    search_fields = ("name",)


@admin.register(models.Commitment)
class CommitmentAdmin(HistoryAdmin):
    list_display = ("__str__", "compact", "party", "kind", "amount", "currency", "visibility")
    list_filter = ("kind", "visibility")


@admin.register(models.FocalPoint)
class FocalPointAdmin(HistoryAdmin):
    list_display = ("name", "compact", "party", "email", "phone", "is_active", "visibility")
    list_filter = ("is_active", "visibility")
    search_fields = ("name", "email")


@admin.register(models.Amendment)
class AmendmentAdmin(HistoryAdmin):
    list_display = ("title", "compact", "kind", "request_date", "effective_date", "new_end_date")
    list_filter = ("kind",)


@admin.register(models.Membership)
class MembershipAdmin(HistoryAdmin):
    list_display = ("user", "compact", "role")
    list_filter = ("role",)
    autocomplete_fields = ("user",)


for model, display in [
    (models.Party, ("name", "compact", "kind")),
    (models.Participation, ("organisation", "compact", "role", "party")),
    (models.Signatory, ("name", "compact", "party", "signed_on")),
    (models.FocalPointChange, ("compact", "party", "changed_on", "notified_on")),
    (models.MonitoringCommittee, ("compact", "established_on")),
    (models.CommitteeMember, ("name", "committee", "organisation", "role")),
    (models.Meeting, ("compact", "kind", "date", "location", "visibility")),
    (models.Communication, ("subject", "compact", "sent_on", "sender", "visibility")),
    (models.Document, ("title", "compact", "kind", "visibility")),
]:
    admin.site.register(model, PlainAdmin, list_display=display)
