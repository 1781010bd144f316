"""``/docs`` (Swagger UI) and ``/redoc`` (ReDoc) work with no network: every file they load is the sandbox's own.

Over plain HTTP: each page references only the sandbox's own assets, and each answers 200 with
its content type without a token. In headless Chromium: each page, with every request off
loopback aborted and recorded, shows every operation of ``/openapi.json``, and no request off
loopback is even attempted. Screenshots go to ``tests/browser-screenshots/<test>/``.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests

from zen_nb import sandbox

from browser import INSTALL, SCREENSHOTS, chromium_or_skip, launched_chromium

LOOPBACK = {"127.0.0.1", "localhost"}
FLOWS = "/tenants/{tenantId}/clusters/{planeId}/delivery-flows"
PAGES = ("/docs", "/redoc")
# ReDoc's sidebar asks for this logo whatever its options; the page's CSP refuses it, and ReDoc then hides it.
REDOC_LOGO = "https://cdn.redoc.ly/redoc/logo-mini.svg"
CONTENT_TYPES = {".js": ("text/javascript", "application/javascript"), ".css": ("text/css",), ".png": ("image/png",)}
TIMEOUT_MS = 15_000  # for a page to render; each takes about a second
# Every Content-Security-Policy violation on the page, recorded before the page's own scripts run.
RECORD_BLOCKED = (
    "window.blocked = [];"
    "document.addEventListener('securitypolicyviolation', (e) => window.blocked.push(e.blockedURI));"
)


@pytest.fixture(scope="module")
def box() -> Iterator[sandbox.Sandbox]:
    with sandbox.start(port=0) as running:
        yield running


@pytest.fixture(scope="module")
def operations(box: sandbox.Sandbox) -> list[tuple[str, str]]:
    """Every (METHOD, path) of the sandbox's ``/openapi.json``, sorted."""
    spec = requests.get(f"{box.base_url}/openapi.json", timeout=30).json()
    return sorted((method.upper(), path) for path, item in spec["paths"].items() for method in item)


class _References(HTMLParser):
    """The ``src`` and ``href`` of every element of a page."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.urls += [value for name, value in attrs if name in ("src", "href") and value]


def references(html: str) -> list[str]:
    """The URLs a page's HTML loads (scripts, style sheets, icon)."""
    parser = _References()
    parser.feed(html)
    return parser.urls


@pytest.mark.parametrize("page", PAGES)
def test_each_docs_page_loads_only_the_sandbox_s_own_assets_without_a_token(box: sandbox.Sandbox, page: str) -> None:
    response = requests.get(f"{box.base_url}{page}", timeout=30)
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/html")
    assert "://" not in response.text, "the page names another origin"
    assert "default-src 'self'" in response.headers["content-security-policy"]
    assets = references(response.text)
    expected = {".js", ".css", ".png"} if page == "/docs" else {".js", ".png"}  # ReDoc brings its own styles
    assert {Path(urlsplit(url).path).suffix for url in assets} == expected
    for url in [*assets, "/openapi.json"]:
        for headers in ({}, {"Authorization": "Bearer not_a_token"}):  # a token, even a wrong one, changes nothing
            asset = requests.get(f"{box.base_url}{url}", headers=headers, timeout=30)
            assert asset.status_code == 200, (url, asset.status_code, asset.text[:200])
            kind = asset.headers["content-type"].split(";")[0]
            assert kind in CONTENT_TYPES.get(Path(url).suffix, ("application/json",)), (url, kind)
            assert asset.content and "x-ratelimit-limit" in asset.headers and "x-request-id" in asset.headers


def test_a_missing_docs_asset_is_the_api_s_404(box: sandbox.Sandbox) -> None:
    response = requests.get(f"{box.base_url}/docs-assets/no-such-file.js", timeout=30)
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


@pytest.fixture(scope="module")
def chromium(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    pytest.importorskip("playwright.sync_api", reason=f"the browser tests need Playwright and Chromium: {INSTALL}")
    with launched_chromium(chromium_or_skip(), tmp_path_factory.mktemp("chromium")) as launched:
        yield launched


class GuardedPage:
    """A page whose requests off loopback are aborted and recorded, as are the ones its CSP refused."""

    def __init__(self, chromium: Any, folder: Path) -> None:
        self.context = chromium.new_context(viewport={"width": 1280, "height": 900})
        self.context.set_default_timeout(TIMEOUT_MS)
        self.page = self.context.new_page()
        self.folder = folder
        self.off_loopback: list[str] = []
        self.page.add_init_script(RECORD_BLOCKED)
        self.page.route("**/*", self._guard)

    def _guard(self, route: Any) -> None:
        if urlsplit(route.request.url).hostname in LOOPBACK:
            route.continue_()
        else:
            self.off_loopback.append(route.request.url)
            route.abort()

    def blocked(self) -> list[str]:
        """What the page's Content-Security-Policy refused to load."""
        return self.page.evaluate("window.blocked")

    @contextmanager
    def showing(self, name: str) -> Iterator[None]:
        """Wait for the page to render; screenshot it either way; a failure also says what was kept off the machine."""
        try:
            yield
        except AssertionError as error:
            kept_off = f"aborted off loopback: {self.off_loopback}; refused by the CSP: {self.blocked()}"
            raise AssertionError(f"{error}\n{kept_off}") from error
        finally:
            self.page.screenshot(path=str(self.folder / f"{name}.png"))


@pytest.fixture
def guarded(chromium: Any, request: pytest.FixtureRequest) -> Iterator[GuardedPage]:
    folder = SCREENSHOTS / request.node.name
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    request.node.user_properties.append(("screenshots", str(folder)))  # listed at the end by conftest.py
    page = GuardedPage(chromium, folder)
    try:
        yield page
    finally:
        page.context.close()


@pytest.mark.browser
def test_swagger_ui_at_docs_shows_every_operation_in_chromium_with_no_request_off_loopback(
    box: sandbox.Sandbox, operations: list[tuple[str, str]], guarded: GuardedPage
) -> None:
    from playwright.sync_api import expect

    page = guarded.page
    page.goto(f"{box.base_url}/docs")
    with guarded.showing("docs"):
        expect(page.locator(".opblock")).to_have_count(len(operations), timeout=TIMEOUT_MS)
        expect(page.locator(f'.opblock-summary-path[data-path="{FLOWS}"]').first).to_be_visible()
    shown = page.eval_on_selector_all(
        ".opblock",
        # A deprecated operation (the .../targets alias of .../destinations) has its own path class.
        """blocks => blocks.map(b => [b.querySelector('.opblock-summary-method').textContent,
                                      b.querySelector('[data-path]').dataset.path])""",
    )
    assert sorted(map(tuple, shown)) == operations
    assert guarded.off_loopback == [], "the page tried to leave the machine"
    assert guarded.blocked() == [], "the page's CSP had to refuse a load"


@pytest.mark.browser
def test_redoc_at_redoc_shows_every_operation_in_chromium_with_no_request_off_loopback(
    box: sandbox.Sandbox, operations: list[tuple[str, str]], guarded: GuardedPage
) -> None:
    from playwright.sync_api import expect

    page = guarded.page
    page.goto(f"{box.base_url}/redoc")
    with guarded.showing("redoc"):
        expect(page.locator('[data-section-id^="operation/"]')).to_have_count(len(operations), timeout=TIMEOUT_MS)
        expect(page.get_by_text(FLOWS, exact=True).first).to_be_attached()
    assert guarded.off_loopback == [], "the page tried to leave the machine"
    assert set(guarded.blocked()) <= {REDOC_LOGO}, "the page's CSP refused more than ReDoc's logo"
    expect(page.get_by_alt_text("redocly logo")).to_have_count(0)  # refused, so ReDoc hides it: no broken image
