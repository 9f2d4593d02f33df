"""/compacts/: the web interface of compacts (see views.py)."""

import re

from django.urls import path, register_converter

from . import views
from .forms import STATUS_ACTIONS
from .models import Amendment

app_name = "compacts"


class ChoiceConverter:
    """A path segment limited to a fixed set of words (so that reverse() refuses unknown ones)."""

    words: tuple[str, ...] = ()
    regex = ""

    def __init_subclass__(cls) -> None:
        cls.regex = "|".join(re.escape(w) for w in sorted(cls.words, key=len, reverse=True))

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


class RecordKindConverter(ChoiceConverter):
    words = tuple(views.RECORD_KINDS)


class StatusActionConverter(ChoiceConverter):
    words = tuple(STATUS_ACTIONS)


class AmendmentKindConverter(ChoiceConverter):
    words = tuple(Amendment.Kind.values)


register_converter(RecordKindConverter, "record_kind")
register_converter(StatusActionConverter, "status_action")
register_converter(AmendmentKindConverter, "amendment_kind")

urlpatterns = [
    path("", views.compact_list, name="list"),
    path("new/", views.compact_create, name="create"),
    path("<int:pk>/", views.compact_detail, name="detail"),
    path("<int:pk>/edit/", views.compact_edit, name="edit"),
    path("<int:pk>/status/<status_action:action>/", views.compact_status, name="status"),
    path(
        "<int:pk>/amendments/new/<amendment_kind:amendment_kind>/", views.amendment_add, name="amendment_add"
    ),
    path("<int:pk>/focal-points/", views.focal_points, name="focal_points"),
    path("<int:pk>/focal-points/change/", views.focal_point_change, name="focal_point_change"),
    path(
        "<int:pk>/focal-point-changes/<int:record_pk>/notification/",
        views.record_notification,
        name="record_notification",
    ),
    path("<int:pk>/access/", views.access_page, name="access"),
    path("<int:pk>/access/organisations/new/", views.access_add_organisation, name="access_add_organisation"),
    path("<int:pk>/access/roles/new/", views.access_grant_role, name="access_grant_role"),
    path("<int:pk>/communications/", views.communications, name="communications"),
    path(
        "<int:pk>/communications/<int:record_pk>/attachment/",
        views.communication_attachment,
        name="communication_attachment",
    ),
    path("<int:pk>/meetings/", views.meetings, name="meetings"),
    path("<int:pk>/documents/", views.documents, name="documents"),
    path("<int:pk>/documents/<int:record_pk>/download/", views.document_download, name="document_download"),
    # Generic pages for every other record of a compact (objectives, activities, indicators…).
    path("<int:pk>/<record_kind:kind>/new/", views.record_add, name="record_add"),
    path("<int:pk>/<record_kind:kind>/<int:record_pk>/edit/", views.record_edit, name="record_edit"),
    path("<int:pk>/<record_kind:kind>/<int:record_pk>/delete/", views.record_delete, name="record_delete"),
]
