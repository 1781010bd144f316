"""The API's documentation pages, with no network: Swagger UI at ``/docs``, ReDoc at ``/redoc``.

FastAPI's own pages load Swagger UI and ReDoc from a CDN (and a favicon from fastapi.tiangolo.com),
so on a machine offline (a training room, CI) they are blank. The same files ship in the
``fastapi-offline`` package: Swagger UI 5, which reads the OpenAPI 3.1 that FastAPI writes (4.x,
the one in swagger-ui-bundle's latest release, shows "Unable to render this definition"), and
ReDoc 2. They are served here from that package's folder, under :data:`ASSETS`, with FastAPI's
own HTML helpers pointed at them, on the plain ``FastAPI`` app. Nothing on these pages needs a
token: the auth middleware asks for one only under ``/tenants/``.

Both pages also carry a Content-Security-Policy that lets them load nothing from another origin,
so the browser itself keeps them on the machine. ReDoc needs it: its sidebar always asks
cdn.redoc.ly for Redocly's logo, and hides the logo when that is refused.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.staticfiles import StaticFiles
from starlette.responses import HTMLResponse

ASSETS = "/docs-assets"  # outside /tenants/, like /docs and /openapi.json: no token asked
SWAGGER_JS, SWAGGER_CSS, FAVICON = "swagger-ui-bundle.js", "swagger-ui.css", "favicon.png"
REDOC_JS = "redoc.standalone.js"
# Same origin only; inline script and style for the helpers' pages, data: icons, ReDoc's blob: worker.
CSP = (
    "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self' data:; worker-src 'self' blob:; connect-src 'self'"
)


def assets_folder() -> Path:
    """Where ``fastapi-offline`` keeps Swagger UI's and ReDoc's files (its ``static`` package data)."""
    return Path(str(files("fastapi_offline") / "static"))


def add_docs(app: FastAPI, docs_url: str = "/docs", redoc_url: str = "/redoc") -> None:
    """Serve the assets and both pages; ``app`` must be made with ``docs_url=None, redoc_url=None``."""
    app.mount(ASSETS, StaticFiles(directory=assets_folder()), name="docs-assets")
    openapi_url = app.openapi_url or "/openapi.json"

    @app.get(docs_url, include_in_schema=False)
    async def swagger_ui(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "")
        page = get_swagger_ui_html(
            openapi_url=root + openapi_url,
            title=f"{app.title} - Swagger UI",
            swagger_js_url=f"{root}{ASSETS}/{SWAGGER_JS}",
            swagger_css_url=f"{root}{ASSETS}/{SWAGGER_CSS}",
            swagger_favicon_url=f"{root}{ASSETS}/{FAVICON}",
            oauth2_redirect_url=None,  # bearer tokens only: no OAuth2 flow to come back from
            swagger_ui_parameters=app.swagger_ui_parameters,
        )
        page.headers["Content-Security-Policy"] = CSP
        return page

    @app.get(redoc_url, include_in_schema=False)
    async def redoc(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "")
        page = get_redoc_html(
            openapi_url=root + openapi_url,
            title=f"{app.title} - ReDoc",
            redoc_js_url=f"{root}{ASSETS}/{REDOC_JS}",
            redoc_favicon_url=f"{root}{ASSETS}/{FAVICON}",
            with_google_fonts=False,  # fonts.googleapis.com is off the machine too
        )
        page.headers["Content-Security-Policy"] = CSP
        return page
