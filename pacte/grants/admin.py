"""Admin site for grants. Site administrators only (the admin site requires two-factor login).

The admin site writes outside ``pacte.grants.services``, which hold every rule that needs other records:
the opportunity's and the compact's ceilings, commitments within the award's amount, the rate of a
currency, the award period, conflicts of interest before scores, the workflows. So:

* **money records are read-only here**: awards (and their sectors), budgets and transactions. A sum
  changed in the admin would slip past the ceiling checks and the stored ``amount_usd``; corrections go
  through Pacte (``update_award``, ``set_budget``, ``record_transaction``), which keep the history;
* **review records are read-only**: conflict of interest declarations and scores (a score edited here
  could belong to a reviewer who declared a conflict);
* **statuses are read-only**: opportunities, applications and emergency requests change state only
  through the services (publish, submit, refuse, decide…), which check the deadlines and stamp who
  and when;
* the rest (texts, criteria, reviewers, budget lines, documents) may be corrected here.
"""

from typing import Any

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from . import models


class ReadOnlyMixin:
    """Viewable, never added, changed or deleted in the admin (see the module docstring)."""

    def has_add_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return False


class ReadOnlyInline(ReadOnlyMixin, admin.TabularInline):  # type: ignore[type-arg]
    extra = 0


# -- opportunities ---------------------------------------------------------------------------------


class MeritCriterionInline(admin.TabularInline):  # type: ignore[type-arg]
    model = models.MeritCriterion
    extra = 0


class ReviewerAssignmentInline(admin.TabularInline):  # type: ignore[type-arg]
    model = models.ReviewerAssignment
    extra = 0
    raw_id_fields = ("reviewer",)


@admin.register(models.FundingOpportunity)
class FundingOpportunityAdmin(SimpleHistoryAdmin):  # type: ignore[type-arg]
    list_display = (
        "reference",
        "title",
        "programme_type",
        "compact",
        "ceiling",
        "deadline",
        "status",
        "is_demo",
    )
    list_filter = ("status", "programme_type", "is_demo")
    search_fields = ("reference", "title")
    list_select_related = ("compact",)
    raw_id_fields = ("compact", "created_by")
    filter_horizontal = ("objectives",)
    readonly_fields = ("status", "published_at")
    inlines = [MeritCriterionInline, ReviewerAssignmentInline]


@admin.register(models.MeritCriterion)
class MeritCriterionAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("name", "opportunity", "weight", "order")
    search_fields = ("name", "opportunity__reference")
    list_select_related = ("opportunity",)
    raw_id_fields = ("opportunity",)


@admin.register(models.ReviewerAssignment)
class ReviewerAssignmentAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("reviewer", "opportunity")
    search_fields = ("reviewer__username", "reviewer__last_name", "opportunity__reference")
    list_select_related = ("reviewer", "opportunity")
    raw_id_fields = ("opportunity", "reviewer")


# -- applications and their review -------------------------------------------------------------------


class BudgetLineInline(admin.TabularInline):  # type: ignore[type-arg]
    model = models.ApplicationBudgetLine
    extra = 0
    raw_id_fields = ("objective",)


class ApplicationDocumentInline(admin.TabularInline):  # type: ignore[type-arg]
    model = models.ApplicationDocument
    extra = 0
    raw_id_fields = ("uploaded_by",)


@admin.register(models.Application)
class ApplicationAdmin(SimpleHistoryAdmin):  # type: ignore[type-arg]
    list_display = ("title", "organisation", "opportunity", "status", "submitted_at", "is_demo")
    list_filter = ("status", "is_demo")
    search_fields = ("title", "organisation__name", "opportunity__reference")
    list_select_related = ("organisation", "opportunity")
    raw_id_fields = ("opportunity", "organisation", "created_by")
    readonly_fields = ("status", "submitted_at", "refusal_reason", "version")
    inlines = [BudgetLineInline, ApplicationDocumentInline]


@admin.register(models.ApplicationBudgetLine)
class ApplicationBudgetLineAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("application", "year", "objective", "amount")
    list_filter = ("year",)
    list_select_related = ("application__organisation", "objective")
    raw_id_fields = ("application", "objective")


@admin.register(models.ApplicationDocument)
class ApplicationDocumentAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("title", "application", "uploaded_by", "created_at")
    search_fields = ("title",)
    list_select_related = ("application__organisation", "uploaded_by")
    raw_id_fields = ("application", "uploaded_by")


@admin.register(models.ConflictDeclaration)
class ConflictDeclarationAdmin(ReadOnlyMixin, admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("application", "reviewer", "has_conflict", "created_at")
    list_filter = ("has_conflict",)
    list_select_related = ("application__organisation", "reviewer")


@admin.register(models.Score)
class ScoreAdmin(ReadOnlyMixin, admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("application", "criterion", "reviewer", "score")
    list_select_related = ("application__organisation", "criterion", "reviewer")


# -- awards and money (read-only) ---------------------------------------------------------------------


class SectorShareInline(ReadOnlyInline):
    model = models.SectorShare


class BudgetInline(ReadOnlyInline):
    model = models.Budget


class TransactionInline(ReadOnlyInline):
    model = models.Transaction
    fields = ("kind", "date", "amount", "currency", "rate_to_usd", "amount_usd", "reference", "created_by")
    readonly_fields = ("amount_usd",)


@admin.register(models.Award)
class AwardAdmin(ReadOnlyMixin, SimpleHistoryAdmin):  # type: ignore[type-arg]
    list_display = (
        "reference",
        "title",
        "organisation",
        "compact",
        "programme_type",
        "instrument",
        "amount",
        "start_date",
        "end_date",
        "status",
        "is_demo",
    )
    list_filter = ("programme_type", "instrument", "status", "is_demo")
    search_fields = ("reference", "title", "organisation__name")
    list_select_related = ("organisation", "compact")
    inlines = [SectorShareInline, BudgetInline, TransactionInline]


@admin.register(models.SectorShare)
class SectorShareAdmin(ReadOnlyMixin, admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("award", "code", "percentage")
    list_filter = ("code",)
    list_select_related = ("award",)


@admin.register(models.Budget)
class BudgetAdmin(ReadOnlyMixin, admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("award", "kind", "period_start", "period_end", "amount", "currency", "rate_to_usd")
    list_filter = ("kind", "currency")
    list_select_related = ("award",)


@admin.register(models.Transaction)
class TransactionAdmin(ReadOnlyMixin, SimpleHistoryAdmin):  # type: ignore[type-arg]
    list_display = ("award", "kind", "date", "amount", "currency", "amount_usd", "reference")
    readonly_fields = ("amount_usd", "created_at", "updated_at")
    list_filter = ("kind", "currency")
    search_fields = ("award__reference", "reference", "description")
    list_select_related = ("award",)
    date_hierarchy = "date"


# -- emergency victim assistance -------------------------------------------------------------------------


@admin.register(models.EmergencyRequest)
class EmergencyRequestAdmin(SimpleHistoryAdmin):  # type: ignore[type-arg]
    list_display = (
        "title",
        "organisation",
        "country",
        "amount_requested",
        "received_on",
        "decision_due",
        "status",
        "is_demo",
    )
    list_filter = ("status", "country", "is_demo")
    search_fields = ("title", "organisation__name")
    list_select_related = ("organisation",)
    raw_id_fields = ("organisation", "created_by")
    readonly_fields = ("status", "decision_due", "decided_on", "decided_by", "decision_note", "award")
