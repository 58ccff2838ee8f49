"""The dashboard's files as twisted.web resources: the page, its static assets and plotly.js.

plotly.js comes from the installed ``plotly`` package, so the page works offline (no CDN).
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from twisted.web.iweb import IRequest
from twisted.web.pages import notFound
from twisted.web.resource import IResource, Resource
from twisted.web.static import File

__all__ = ["STATIC", "dashboard_assets", "dashboard_page"]

STATIC = Path(__file__).with_name("static")
PLOTLY_JS = "plotly.min.js"
# Revalidated on every load against Last-Modified: an upgrade shows at once, an unchanged file costs a 304.
_CACHE = b"no-cache"


class _Asset(File):
    """One static file that a browser keeps but revalidates (plotly.js is ~5 MB)."""

    isLeaf = True

    def render_GET(self, request: IRequest) -> bytes | int:
        request.setHeader(b"cache-control", _CACHE)
        return super().render_GET(request)


class _Assets(Resource):
    """The folder of assets: its named children, and 404 for anything else."""

    def getChild(self, path: bytes, request: IRequest) -> IResource:
        return notFound()


def dashboard_page() -> Resource:
    """The page itself (``index.html``), served for ``/`` to browsers."""
    return File(str(STATIC / "index.html"), defaultType="text/html")


def dashboard_assets() -> Resource:
    """``/dashboard/<file>``: the page's scripts and styles, and ``plotly.min.js`` from the plotly package.

    Each file is a child of its own, so there is no directory listing and no path outside these files.
    """
    assets = _Assets()
    for path in sorted(STATIC.iterdir()):
        if path.is_file() and path.name != "index.html":
            assets.putChild(path.name.encode("utf-8"), _Asset(str(path)))
    plotly_js = resources.files("plotly") / "package_data" / PLOTLY_JS
    assets.putChild(PLOTLY_JS.encode("ascii"), _Asset(str(plotly_js)))
    return assets
