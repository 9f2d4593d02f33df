"""Admin site for every compact model. Site administrators only; the admin site requires two-factor login."""

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from . import models


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
class CompactAdmin(SimpleHistoryAdmin):
    list_display = ("title", "country", "status", "start_date", "end_date", "visibility")
    list_filter = ("status", "visibility", "country")
    search_fields = ("title",)
    inlines = [PartyInline, ParticipationInline, MembershipInline]


@admin.register(models.Objective)
class ObjectiveAdmin(SimpleHistoryAdmin):
    list_display = ("__str__", "compact", "pillar", "visibility")
    list_filter = ("pillar", "visibility")
    inlines = [ActivityInline, IndicatorInline]


@admin.register(models.Activity)
class ActivityAdmin(SimpleHistoryAdmin):
    list_display = ("__str__", "objective", "order", "illustrative", "visibility")
    list_filter = ("objective__pillar", "visibility")
    search_fields = ("description",)


@admin.register(models.Indicator)
class IndicatorAdmin(SimpleHistoryAdmin):
    list_display = ("__str__", "objective", "level", "illustrative", "visibility")
    list_filter = ("level", "objective__pillar", "visibility")
    search_fields = ("name",)


@admin.register(models.Commitment)
class CommitmentAdmin(SimpleHistoryAdmin):
    list_display = ("__str__", "compact", "party", "kind", "amount", "currency", "visibility")
    list_filter = ("kind", "visibility")


@admin.register(models.FocalPoint)
class FocalPointAdmin(SimpleHistoryAdmin):
    list_display = ("name", "compact", "party", "email", "phone", "is_active", "visibility")
    list_filter = ("is_active", "visibility")
    search_fields = ("name", "email")


@admin.register(models.Amendment)
class AmendmentAdmin(SimpleHistoryAdmin):
    list_display = ("title", "compact", "kind", "request_date", "effective_date", "new_end_date")
    list_filter = ("kind",)


@admin.register(models.Membership)
class MembershipAdmin(SimpleHistoryAdmin):
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
    admin.site.register(model, list_display=display)
