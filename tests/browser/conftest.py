"""Browser tests: a real headless Chromium (Debian's /usr/bin/chromium) driven by Playwright against
pytest-django's live server. Screenshots are kept in test-artifacts/screenshots/.

Playwright's sync API runs an event loop in the test thread; Django refuses database access from a thread
with a running loop unless told it is safe, which it is here (one test thread, the server in its own).
"""

import os
from collections.abc import Iterator
from io import StringIO
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, Request, Response, sync_playwright

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = os.environ.get("PACTE_CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"Browser tests need Debian's chromium at {CHROMIUM}; `make test` installs it.")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture
def page(browser: Browser, live_server) -> Iterator[Page]:  # type: ignore[no-untyped-def]
    context = browser.new_context(
        base_url=live_server.url, locale="en-US", viewport={"width": 1280, "height": 900}
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    # Broken pages fail the test even when its assertions pass: a script error, or a stylesheet, script,
    # font or icon of /static/ that does not load (the pages would then show unstyled or without htmx).
    problems: list[str] = []

    def on_response(response: Response) -> None:
        if "/static/" in response.url and response.status >= 400:
            problems.append(f"{response.status} for {response.url}")

    def on_request_failed(request: Request) -> None:
        if "/static/" in request.url:
            problems.append(f"request failed: {request.url} ({request.failure})")

    page.on("pageerror", lambda error: problems.append(f"JavaScript error: {error}"))
    page.on("response", on_response)
    page.on("requestfailed", on_request_failed)
    yield page
    context.close()
    assert not problems, "\n".join(problems)


@pytest.fixture
def screenshot(page: Page, request: pytest.FixtureRequest):  # type: ignore[no-untyped-def]
    """screenshot("name") saves a full-page PNG under test-artifacts/screenshots/<test>-<name>.png."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)

    def take(name: str) -> Path:
        path = ARTIFACTS / f"{request.node.name}-{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take


# -- demo data and helpers shared by the browser tests ---------------------------------------------------
@pytest.fixture
def demo_compact(transactional_db):  # type: ignore[no-untyped-def]
    """The demo data (``manage.py load_demo``), committed so that the live server sees it; returns the
    Côte d'Ivoire compact. ``transactional_db`` empties the database again after the test."""
    from django.core.management import call_command

    from pacte.compacts.management.commands.load_demo import find_demo_compact

    call_command("load_demo", stdout=StringIO(), stderr=StringIO())
    compact = find_demo_compact()
    assert compact is not None
    return compact


@pytest.fixture
def login(page: Page):  # type: ignore[no-untyped-def]
    """login("officer"): sign in through the real login form with the demo password."""
    from pacte.compacts.demo import DEMO_PASSWORD

    def sign_in(username: str, password: str = DEMO_PASSWORD) -> Page:
        page.goto("/accounts/login/")
        page.locator("#id_username").fill(username)
        page.locator("#id_password").fill(password)
        page.locator("#login-submit").click()
        page.wait_for_url(lambda url: "/accounts/login/" not in url)
        return page

    return sign_in
