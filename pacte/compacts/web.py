"""What every web page of one compact shares, in the compacts app and in the domain apps that add pages
to a compact (results, grants, …): the signed-in request type, the ``compact_view`` decorator and the
capability check. Public: other apps import it, rather than writing their own."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponseNotAllowed
from django.http.response import HttpResponseBase

from . import selectors
from .permissions import Access, Capability

if TYPE_CHECKING:
    from django_htmx.middleware import HtmxDetails

    from pacte.accounts.models import User

    class AuthedRequest(HttpRequest):
        """What the middleware adds to a request of a signed-in user (login_required on every view)."""

        user: User
        htmx: HtmxDetails
else:
    AuthedRequest = HttpRequest

View = Callable[..., HttpResponseBase]


def compact_view(*methods: str) -> Callable[[View], View]:
    """A page of one compact: login required, then the compact (404 when the user may not see it,
    whatever the method), then the HTTP method (405). The view receives ``compact`` and ``access``."""

    def decorator(view: View) -> View:
        @login_required
        @functools.wraps(view)
        def wrapper(request: AuthedRequest, pk: int, **kwargs: Any) -> HttpResponseBase:
            compact, access = selectors.get_compact(request.user, pk)
            allowed = {*methods, "HEAD"} if "GET" in methods else set(methods)
            if request.method not in allowed:
                return HttpResponseNotAllowed(methods)
            return view(request, compact, access, **kwargs)

        return wrapper

    return decorator


def require(access: Access, capability: Capability) -> None:
    """403 unless the user's access to the compact has ``capability``."""
    if capability not in access:
        raise PermissionDenied
