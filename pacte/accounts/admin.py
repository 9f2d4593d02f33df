from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils.translation import gettext_lazy as _

from .models import Organisation, User


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ("name", "acronym", "org_type", "partner_kind", "country", "is_active")
    list_filter = ("org_type", "partner_kind", "is_active")
    search_fields = ("name", "acronym")


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    list_display = (
        "username",
        "email",
        "first_name",
        "last_name",
        "organisation",
        "is_superuser",
        "is_active",
    )
    list_filter = ("is_superuser", "is_active", "organisation__org_type")
    list_select_related = ("organisation",)
    fieldsets = (
        *(DjangoUserAdmin.fieldsets or ()),
        (_("Pacte"), {"fields": ("organisation", "job_title", "phone", "language")}),
    )
    add_fieldsets = (
        *DjangoUserAdmin.add_fieldsets,
        (_("Pacte"), {"fields": ("organisation", "email", "first_name", "last_name", "language")}),
    )
