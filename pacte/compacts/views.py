"""Web pages of the compacts app. Thin: selectors read, services write, forms collect the input.

Every page of a compact (``compact_view``) fetches it with ``selectors.get_compact`` (404 when the
user may not see it, whatever the HTTP method), then the record with ``selectors.get_compact_record``
(404 when it belongs to another compact or is non-public for this user), then checks the capability
(403).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Model
from django.db.models.fields.files import FieldFile
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods
from django_fsm import can_proceed
from django_htmx.http import HttpResponseClientRedirect, HttpResponseClientRefresh

from . import forms, selectors, services
from .models import (
    Activity,
    Amendment,
    Commitment,
    CommitteeMember,
    Communication,
    Compact,
    Document,
    FocalPoint,
    Indicator,
    Meeting,
    Membership,
    MonitoringCommittee,
    Objective,
    Participation,
    Party,
    Signatory,
)
from .permissions import Access, Capability, can_create_compact
from .templatetags.compact_tabs import extra_meeting_links
from .web import AuthedRequest, compact_view
from .web import require as _require

# 25 rows a page: light pages on slow connections, and half the rendering of 50.
PAGE_SIZE = 25


# -- shared helpers -----------------------------------------------------------------------------------
def _data(request: AuthedRequest) -> Any:
    """The submitted data, or None on GET (so that a POST with no fields still binds the form)."""
    return request.POST if request.method == "POST" else None


def _capabilities(access: Access) -> dict[str, bool]:
    """``caps.edit``, ``caps.communicate``… for the templates."""
    return {c.value: c in access for c in Capability}


def _page(request: AuthedRequest, template: str, context: dict[str, Any], status: int = 200) -> HttpResponse:
    compact = context.get("compact")
    access = context.get("access")
    if compact is not None and access is not None:
        context.setdefault("caps", _capabilities(access))
    return render(request, template, context, status=status)


def _done(request: AuthedRequest, url: str, message: str | None = None) -> HttpResponse:
    messages.success(request, message or _("Saved."))
    htmx = request.htmx
    if htmx:
        # Going to "#anchor" of the page already shown would not reload it: refresh it instead
        # (the browser keeps the scroll position, so the user sees the new record where it was added).
        current = urlsplit(htmx.current_url_abs_path or "").path
        if current == urlsplit(url).path:
            return HttpResponseClientRefresh()
        return HttpResponseClientRedirect(url)
    return redirect(url)


def _detail_url(compact: Compact, anchor: str = "") -> str:
    url = reverse("compacts:detail", args=[compact.pk])
    return f"{url}#{anchor}" if anchor else url


def _file_response(file: FieldFile) -> FileResponse:
    """Stream a stored file as a download; the storage path is never shown."""
    if not file or not file.name:
        raise Http404
    try:
        handle = file.storage.open(file.name, "rb")
    except FileNotFoundError as exc:
        raise Http404 from exc
    return FileResponse(handle, as_attachment=True, filename=os.path.basename(file.name))


# -- the kinds of records edited by the generic views --------------------------------------------------
@dataclass(frozen=True)
class RecordKind:
    model: type[Model]
    form_class: type[forms.CompactRecordForm]
    label: Any
    add_title: Any
    page: str = "compacts:detail"  # where the user lands after saving
    anchor: str = ""  # str.format()-ed with the record's attributes
    can_add: bool = True
    can_edit: bool = True
    can_delete: bool = True
    initial_from_query: tuple[str, ...] = ()

    @property
    def capability(self) -> Capability:
        return services.CAPABILITY_FOR[self.model]

    def new_instance(self, compact: Compact) -> Model:
        if self.model in (Activity, Indicator):
            return self.model()
        if self.model is CommitteeMember:
            try:
                return CommitteeMember(committee=compact.monitoring_committee)
            except MonitoringCommittee.DoesNotExist as exc:
                raise Http404 from exc
        return self.model(compact=compact)

    def return_url(self, compact: Compact, instance: Model) -> str:
        url = reverse(self.page, args=[compact.pk])
        anchor = self.anchor.format(record=instance)
        return f"{url}#{anchor}" if anchor else url


RECORD_KINDS: dict[str, RecordKind] = {
    "objective": RecordKind(
        Objective,
        forms.ObjectiveForm,
        gettext_lazy("objective"),
        gettext_lazy("Add an objective"),
        anchor="objective-{record.pk}",
    ),
    "activity": RecordKind(
        Activity,
        forms.ActivityForm,
        gettext_lazy("activity"),
        gettext_lazy("Add an activity"),
        anchor="objective-{record.objective_id}",
        initial_from_query=("objective",),
    ),
    "indicator": RecordKind(
        Indicator,
        forms.IndicatorForm,
        gettext_lazy("indicator"),
        gettext_lazy("Add an indicator"),
        anchor="objective-{record.objective_id}",
        initial_from_query=("objective",),
    ),
    "commitment": RecordKind(
        Commitment,
        forms.CommitmentForm,
        gettext_lazy("commitment"),
        gettext_lazy("Add a commitment"),
        anchor="funding",
        initial_from_query=("kind", "party"),
    ),
    "party": RecordKind(
        Party,
        forms.PartyForm,
        gettext_lazy("party"),
        gettext_lazy("Add a party"),
        anchor="parties",
        can_add=False,
        can_delete=False,
    ),
    "signatory": RecordKind(
        Signatory,
        forms.SignatoryForm,
        gettext_lazy("signatory"),
        gettext_lazy("Add a signatory"),
        anchor="parties",
        initial_from_query=("party",),
    ),
    "focal-point": RecordKind(
        FocalPoint,
        forms.FocalPointForm,
        gettext_lazy("focal point"),
        gettext_lazy("Add a focal point"),
        page="compacts:focal_points",
        initial_from_query=("party",),
    ),
    "document": RecordKind(
        Document,
        forms.DocumentForm,
        gettext_lazy("document"),
        gettext_lazy("Add a document"),
        page="compacts:documents",
    ),
    "meeting": RecordKind(
        Meeting,
        forms.MeetingForm,
        gettext_lazy("meeting"),
        gettext_lazy("Record a meeting"),
        page="compacts:meetings",
    ),
    "communication": RecordKind(
        Communication,
        forms.CommunicationForm,
        gettext_lazy("communication"),
        gettext_lazy("Record a communication"),
        page="compacts:communications",
    ),
    "committee": RecordKind(
        MonitoringCommittee,
        forms.CommitteeForm,
        gettext_lazy("monitoring and evaluation committee"),
        gettext_lazy("Set up the committee"),
        page="compacts:meetings",
        anchor="committee",
        can_delete=False,
    ),
    "committee-member": RecordKind(
        CommitteeMember,
        forms.CommitteeMemberForm,
        gettext_lazy("committee member"),
        gettext_lazy("Add a committee member"),
        page="compacts:meetings",
        anchor="committee",
    ),
    # Added through services.add_participation / grant_role on the access page; removed here.
    "participation": RecordKind(
        Participation,
        forms.ParticipationForm,
        gettext_lazy("participating organisation"),
        gettext_lazy("Add a participating organisation"),
        page="compacts:access",
        can_add=False,
        can_edit=False,
    ),
    "membership": RecordKind(
        Membership,
        forms.MembershipForm,
        gettext_lazy("role on a compact"),
        gettext_lazy("Give a role"),
        page="compacts:access",
        can_add=False,
        can_edit=False,
    ),
}


def _initial(request: AuthedRequest, kind: RecordKind) -> dict[str, str]:
    return {name: request.GET[name] for name in kind.initial_from_query if name in request.GET}


def _process_record_form(
    request: AuthedRequest, compact: Compact, access: Access, kind: RecordKind, instance: Model
) -> tuple[forms.CompactRecordForm, HttpResponse | None]:
    """Bind the form on POST and save through ``services.save_record``. Returns the form and, when
    saved, the redirect to answer with."""
    if request.method != "POST":
        form = kind.form_class(
            initial=_initial(request, kind), instance=instance, compact=compact, access=access
        )
        return form, None
    _require(access, kind.capability)
    form = kind.form_class(request.POST, request.FILES, instance=instance, compact=compact, access=access)
    if form.is_valid():
        data, m2m = form.service_data()
        try:
            services.save_record(user=request.user, instance=instance, data=data, m2m=m2m)
        except ValidationError as exc:
            forms.add_service_errors(form, exc)
        else:
            return form, _done(request, kind.return_url(compact, instance))
    return form, None


def _status(form: Any) -> int:
    return 400 if form is not None and form.is_bound and form.errors else 200


def _record_page(
    request: AuthedRequest, compact: Compact, access: Access, kind_name: str, instance: Model
) -> HttpResponse:
    kind = RECORD_KINDS[kind_name]
    form, response = _process_record_form(request, compact, access, kind, instance)
    if response is not None:
        return response
    template = "compacts/_record_form.html" if request.htmx else "compacts/record_form.html"
    context = {
        "compact": compact,
        "access": access,
        "form": form,
        "kind": kind,
        "kind_name": kind_name,
        "record": instance,
        "cancel_url": kind.return_url(compact, instance)
        if instance.pk
        else reverse(kind.page, args=[compact.pk]),
    }
    return _page(request, template, context, status=_status(form))


# -- generic views: add, edit and delete one record of a compact ----------------------------------------
@compact_view("GET", "POST")
def record_add(request: AuthedRequest, compact: Compact, access: Access, kind: str) -> HttpResponse:
    spec = RECORD_KINDS[kind]
    if not spec.can_add:
        raise Http404
    _require(access, spec.capability)
    if spec.model is MonitoringCommittee and selectors.compact_records(compact, access, spec.model).exists():
        raise Http404
    return _record_page(request, compact, access, kind, spec.new_instance(compact))


@compact_view("GET", "POST")
def record_edit(
    request: AuthedRequest, compact: Compact, access: Access, kind: str, record_pk: int
) -> HttpResponse:
    spec = RECORD_KINDS[kind]
    instance = selectors.get_compact_record(compact, access, spec.model, record_pk)
    if not spec.can_edit:
        raise Http404
    _require(access, spec.capability)
    return _record_page(request, compact, access, kind, instance)


@compact_view("GET", "POST")
def record_delete(
    request: AuthedRequest, compact: Compact, access: Access, kind: str, record_pk: int
) -> HttpResponse:
    spec = RECORD_KINDS[kind]
    instance = selectors.get_compact_record(compact, access, spec.model, record_pk)
    if not spec.can_delete:
        raise Http404
    _require(access, spec.capability)
    error = None
    if request.method == "POST":
        return_url = spec.return_url(compact, instance)
        try:
            services.delete_record(user=request.user, instance=instance)
        except ValidationError as exc:
            error = " ".join(exc.messages)
        else:
            return _done(request, return_url, _("Deleted."))
    context = {
        "compact": compact,
        "access": access,
        "kind": spec,
        "record": instance,
        "error": error,
        "cancel_url": spec.return_url(compact, instance),
    }
    return _page(request, "compacts/record_delete.html", context, status=400 if error else 200)


# -- compacts ---------------------------------------------------------------------------------------
@login_required
@require_http_methods(["GET"])
def compact_list(request: AuthedRequest) -> HttpResponse:
    status = request.GET.get("status", "")
    if status not in Compact.Status.values:
        status = ""
    # The table and its pagination, rendered once per process for this user, filter and page as the
    # compacts are now (selectors.compact_list_cache_key).
    key = selectors.compact_list_cache_key(request.user, f"html|{status}|{request.GET.get('page', '')}")
    body = cache.get(key)
    if body is None:
        body = _compact_list_body(request, status)
        cache.set(key, body, selectors.CACHE_SECONDS)
    context = {
        "body": body,
        "status": status,
        "statuses": Compact.Status.choices,
        "can_create": can_create_compact(request.user),
    }
    return render(request, "compacts/compact_list.html", context)


def _compact_list_body(request: AuthedRequest, status: str) -> str:
    compacts = selectors.visible_compacts(request.user).order_by("-start_date", "title", "pk")
    if status:
        compacts = compacts.filter(**{"status_now": status})  # annotated by visible_compacts
    page = Paginator(compacts, PAGE_SIZE).get_page(request.GET.get("page"))
    # The rows, rendered once per process for these compacts as they are now, whoever sees them.
    rows = list(page.object_list)
    key = selectors.compact_rows_cache_key(rows)
    rows_html = cache.get(key) if rows else ""
    if rows_html is None:
        rows_html = render_to_string("compacts/_compact_rows.html", {"compacts": rows})
        cache.set(key, rows_html, selectors.CACHE_SECONDS)
    return render_to_string(
        "compacts/_compact_list_body.html", {"page": page, "rows_html": rows_html, "status": status}
    )


@login_required
@require_http_methods(["GET", "POST"])
def compact_create(request: AuthedRequest) -> HttpResponse:
    if not can_create_compact(request.user):
        raise PermissionDenied
    form = forms.CompactForm(_data(request))
    if request.method == "POST" and form.is_valid():
        try:
            compact = services.create_compact(user=request.user, data=form.service_data())
        except ValidationError as exc:
            forms.add_service_errors(form, exc)
        else:
            return _done(request, _detail_url(compact), _("The compact was created."))
    context = {"form": form, "title": _("New compact"), "cancel_url": reverse("compacts:list")}
    return render(request, "compacts/compact_form.html", context, status=_status(form))


@compact_view("GET", "POST")
def compact_edit(request: AuthedRequest, compact: Compact, access: Access) -> HttpResponse:
    _require(access, Capability.EDIT)
    form = forms.CompactEditForm(_data(request), instance=compact)
    if request.method == "POST" and form.is_valid():
        try:
            services.update_compact(user=request.user, compact=compact, data=form.service_data())
        except ValidationError as exc:
            forms.add_service_errors(form, exc)
        else:
            return _done(request, _detail_url(compact))
    context = {
        "compact": compact,
        "access": access,
        "form": form,
        "title": _("Edit the compact"),
        "cancel_url": _detail_url(compact),
    }
    return _page(request, "compacts/compact_form.html", context, status=_status(form))


def _available_actions(compact: Compact, access: Access) -> list[tuple[str, Any]]:
    if Capability.CHANGE_STATUS not in access:
        return []
    return [
        (action, label)
        for action, label in forms.STATUS_ACTIONS.items()
        if can_proceed(getattr(compact, action))
    ]


@compact_view("GET", "POST")
def compact_status(request: AuthedRequest, compact: Compact, access: Access, action: str) -> HttpResponse:
    _require(access, Capability.CHANGE_STATUS)
    form = forms.StatusForm(action, _data(request))
    if request.method == "POST" and form.is_valid():
        try:
            services.change_status(user=request.user, compact=compact, action=action, **form.cleaned_data)
        except ValidationError as exc:
            forms.add_service_errors(form, exc)
        else:
            return _done(request, _detail_url(compact), _("The status of the compact was changed."))
    context = {
        "compact": compact,
        "access": access,
        "form": form,
        "action": action,
        "action_label": forms.STATUS_ACTIONS[action],
        "allowed": can_proceed(getattr(compact, action)),
    }
    return _page(request, "compacts/compact_status.html", context, status=_status(form))


@compact_view("GET")
def compact_detail(request: AuthedRequest, compact: Compact, access: Access) -> HttpResponse:
    """The compact page: a header (status, days left, buttons), then the overview of the compact. Both
    are rendered once and cached per process under a key that changes with the compact's content
    version, the language, the date and the user's capabilities (``selectors.overview_cache_key``)."""
    key = selectors.overview_cache_key(compact, access)
    overview_html = cache.get(key)
    if overview_html is None:
        overview_html = render_to_string("compacts/_overview.html", _overview_context(compact, access))
        cache.set(key, overview_html, selectors.CACHE_SECONDS)
    context = {"compact": compact, "access": access, "overview_html": overview_html}
    return _page(request, "compacts/compact_detail.html", context)


def _overview_context(compact: Compact, access: Access) -> dict[str, Any]:
    """What compacts/_overview.html shows. Rendered without the request: nothing about the user but
    their capabilities may appear in it, since it is shared by every user with the same ones."""
    overview = selectors.compact_overview(compact, access)
    # Attach what the page shows next to each pillar, objective and party (no extra queries).
    for pillar in overview.pillars:
        pillar.gap_messages = []  # type: ignore[attr-defined]
        for objective in pillar.objectives:
            objective.gap_messages = []  # type: ignore[attr-defined]
    for gap in overview.gaps:
        if gap.objective is not None:
            gap.objective.gap_messages.append(gap)  # type: ignore[attr-defined]
    # The overview lists one "pillar without objective" gap per empty pillar, in pillar order.
    empty_pillars = [p for p in overview.pillars if not p.objectives]
    pillar_gaps = [g for g in overview.gaps if g.objective is None]
    for pillar, gap in zip(empty_pillars, pillar_gaps, strict=False):
        pillar.gap_messages.append(gap)  # type: ignore[attr-defined]
    for party in overview.parties:
        party.signatory_list = [s for s in overview.signatories if s.party_id == party.pk]  # type: ignore[attr-defined]
        party.focal_point_list = [f for f in overview.focal_points if f.party_id == party.pk]  # type: ignore[attr-defined]
    by_kind: dict[str, list[Commitment]] = {}
    for commitment in overview.commitments:
        by_kind.setdefault(commitment.kind, []).append(commitment)
    return {
        "compact": compact,
        "caps": _capabilities(access),
        "actions": _available_actions(compact, access),
        "o": overview,
        "funding": by_kind.get(Commitment.Kind.FUNDING, []),
        "contributions": by_kind.get(Commitment.Kind.IN_KIND, [])
        + by_kind.get(Commitment.Kind.FINANCIAL, []),
        "extensions": [a for a in overview.amendments if a.kind == Amendment.Kind.EXTENSION],
    }


# -- pages with a list and a form: communications, meetings, documents ---------------------------------
def _list_and_form(
    request: AuthedRequest,
    compact: Compact,
    access: Access,
    kind_name: str,
    template: str,
    extra: Callable[[Compact, Access], dict[str, Any]],
) -> HttpResponse:
    kind = RECORD_KINDS[kind_name]
    form = None
    if kind.capability in access or request.method == "POST":
        form, response = _process_record_form(request, compact, access, kind, kind.new_instance(compact))
        if response is not None:
            return response
    context = {
        "compact": compact,
        "access": access,
        "form": form,
        "kind": kind,
        "kind_name": kind_name,
        **extra(compact, access),
    }
    return _page(request, template, context, status=_status(form))


@compact_view("GET", "POST")
def communications(request: AuthedRequest, compact: Compact, access: Access) -> HttpResponse:
    return _list_and_form(
        request,
        compact,
        access,
        "communication",
        "compacts/communications.html",
        lambda compact, access: {"communications": selectors.communications_for(compact, access)},
    )


@compact_view("GET", "POST")
def meetings(request: AuthedRequest, compact: Compact, access: Access) -> HttpResponse:
    def extra(compact: Compact, access: Access) -> dict[str, Any]:
        committee = selectors.compact_records(compact, access, MonitoringCommittee).first()
        meetings = list(selectors.meetings_for(compact, access))
        links = extra_meeting_links(compact, meetings)
        for meeting in meetings:
            meeting.extra_links = links.get(meeting.pk, [])  # type: ignore[attr-defined]
        return {
            "meetings": meetings,
            "committee": committee,
            "members": selectors.committee_members(compact) if committee else [],
        }

    return _list_and_form(request, compact, access, "meeting", "compacts/meetings.html", extra)


@compact_view("GET", "POST")
def documents(request: AuthedRequest, compact: Compact, access: Access) -> HttpResponse:
    return _list_and_form(
        request,
        compact,
        access,
        "document",
        "compacts/documents.html",
        lambda compact, access: {
            "documents": selectors.compact_records(compact, access, Document).select_related("uploaded_by")
        },
    )


@compact_view("GET")
def document_download(
    request: AuthedRequest, compact: Compact, access: Access, record_pk: int
) -> FileResponse:
    document = selectors.get_compact_record(compact, access, Document, record_pk)
    return _file_response(document.file)


@compact_view("GET")
def communication_attachment(
    request: AuthedRequest, compact: Compact, access: Access, record_pk: int
) -> FileResponse:
    communication = selectors.get_compact_record(compact, access, Communication, record_pk)
    return _file_response(communication.attachment)


# -- amendments and extensions ------------------------------------------------------------------------
@compact_view("GET", "POST")
def amendment_add(
    request: AuthedRequest, compact: Compact, access: Access, amendment_kind: str
) -> HttpResponse:
    _require(access, services.CAPABILITY_FOR[Amendment])
    instance = Amendment(compact=compact, kind=amendment_kind)
    form = forms.AmendmentForm(
        _data(request), instance=instance, compact=compact, access=access, kind=amendment_kind
    )
    if request.method == "POST" and form.is_valid():
        data, _m2m = form.service_data()
        try:
            services.record_amendment(user=request.user, compact=compact, data=data)
        except ValidationError as exc:
            forms.add_service_errors(form, exc)
        else:
            return _done(request, _detail_url(compact, "amendments"))
    context = {
        "compact": compact,
        "access": access,
        "form": form,
        "amendment_kind": amendment_kind,
        "kind_label": Amendment.Kind(amendment_kind).label,
    }
    return _page(request, "compacts/amendment_form.html", context, status=_status(form))


# -- focal points ---------------------------------------------------------------------------------------
@compact_view("GET")
def focal_points(request: AuthedRequest, compact: Compact, access: Access) -> HttpResponse:
    points, changes = selectors.focal_point_history(compact, access)
    context = {"compact": compact, "access": access, "focal_points": points, "changes": changes}
    return _page(request, "compacts/focal_points.html", context)


@compact_view("GET", "POST")
def focal_point_change(request: AuthedRequest, compact: Compact, access: Access) -> HttpResponse:
    _require(access, Capability.EDIT)
    form = forms.FocalPointChangeForm(
        _data(request),
        instance=FocalPoint(compact=compact),
        compact=compact,
        access=access,
        initial={k: request.GET[k] for k in ("party", "previous") if k in request.GET},
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.change_focal_point(user=request.user, compact=compact, **form.service_kwargs())
        except ValidationError as exc:
            forms.add_service_errors(form, exc)
        else:
            return _done(request, reverse("compacts:focal_points", args=[compact.pk]))
    context = {"compact": compact, "access": access, "form": form}
    return _page(request, "compacts/focal_point_change.html", context, status=_status(form))


@compact_view("GET", "POST")
def record_notification(
    request: AuthedRequest, compact: Compact, access: Access, record_pk: int
) -> HttpResponse:
    _points, changes = selectors.focal_point_history(compact, access)
    change = next((c for c in changes if c.pk == record_pk), None)
    if change is None:
        raise Http404
    _require(access, Capability.EDIT)
    form = forms.NotificationForm(_data(request), initial={"notified_on": change.notified_on})
    if request.method == "POST" and form.is_valid():
        try:
            services.record_notification(user=request.user, change=change, **form.cleaned_data)
        except ValidationError as exc:
            forms.add_service_errors(form, exc)
        else:
            return _done(request, reverse("compacts:focal_points", args=[compact.pk]))
    context = {"compact": compact, "access": access, "form": form, "change": change}
    return _page(request, "compacts/notification_form.html", context, status=_status(form))


# -- participating organisations and roles --------------------------------------------------------------
def _access_page(
    request: AuthedRequest, compact: Compact, access: Access, bound: str | None = None
) -> HttpResponse:
    _require(access, Capability.MANAGE_ACCESS)
    data = request.POST if request.method == "POST" else None
    participation_form = forms.AddParticipationForm(
        data if bound == "organisation" else None, compact=compact
    )
    role_form = forms.GrantRoleForm(data if bound == "role" else None, compact=compact)
    if bound == "organisation" and participation_form.is_valid():
        try:
            services.add_participation(user=request.user, compact=compact, **participation_form.cleaned_data)
        except ValidationError as exc:
            forms.add_service_errors(participation_form, exc)
        else:
            return _done(request, reverse("compacts:access", args=[compact.pk]))
    if bound == "role" and role_form.is_valid():
        try:
            services.grant_role(
                user=request.user,
                compact=compact,
                member=role_form.cleaned_data["user"],
                role=role_form.cleaned_data["role"],
            )
        except ValidationError as exc:
            forms.add_service_errors(role_form, exc)
        else:
            return _done(request, reverse("compacts:access", args=[compact.pk]))
    participations, memberships = selectors.access_records(compact)
    context = {
        "compact": compact,
        "access": access,
        "participations": participations,
        "memberships": memberships,
        "participation_form": participation_form,
        "role_form": role_form,
    }
    status = max(_status(participation_form), _status(role_form))
    return _page(request, "compacts/access.html", context, status=status)


@compact_view("GET")
def access_page(request: AuthedRequest, compact: Compact, access: Access) -> HttpResponse:
    return _access_page(request, compact, access)


@compact_view("POST")
def access_add_organisation(request: AuthedRequest, compact: Compact, access: Access) -> HttpResponse:
    return _access_page(request, compact, access, "organisation")


@compact_view("POST")
def access_grant_role(request: AuthedRequest, compact: Compact, access: Access) -> HttpResponse:
    return _access_page(request, compact, access, "role")
