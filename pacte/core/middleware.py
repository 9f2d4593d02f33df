"""Language selection: French unless the user chose otherwise.

Pages: the language cookie set by the language switcher, then the signed-in user's preferred
language, then French. Browsers' own Accept-Language is deliberately ignored for pages: the programme's
working language is French.
API (/api/…): an Accept-Language header naming a supported language wins (a script asks for the
language of its messages explicitly); without one, the same order as pages.
"""

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import translation
from django.utils.translation.trans_real import parse_accept_lang_header

SUPPORTED = {code for code, _name in settings.LANGUAGES}


def choose_language(request: HttpRequest) -> str:
    if request.path.startswith("/api/"):
        asked = header_language(request.headers.get("Accept-Language", ""))
        if asked:
            return asked
    cookie = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
    if cookie in SUPPORTED:
        return cookie
    user = getattr(request, "user", None)
    preferred = getattr(user, "language", "") if user is not None and user.is_authenticated else ""
    if preferred in SUPPORTED:
        return preferred
    return settings.LANGUAGE_CODE


def header_language(header: str) -> str | None:
    """The supported language an Accept-Language header prefers, if it names one."""
    for language, _quality in parse_accept_lang_header(header):
        base = language.split("-")[0].lower()
        if base in SUPPORTED:
            return base
    return None


class UserLanguageMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        language = choose_language(request)
        translation.activate(language)
        request.LANGUAGE_CODE = language  # type: ignore[attr-defined]
        response = self.get_response(request)
        response.headers.setdefault("Content-Language", language)
        response.headers["Vary"] = ", ".join(
            v for v in [response.headers.get("Vary", ""), "Cookie", "Accept-Language"] if v
        )
        return response
