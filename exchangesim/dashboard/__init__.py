"""The web dashboard: a static page over the native REST and WebSocket APIs, served at ``/``."""

from ._resource import dashboard_assets, dashboard_page

__all__ = ["dashboard_assets", "dashboard_page"]
