"""The admin API client the plugin hands out: ``exchangesim.admin_client``, shared with the CLI."""

from ..admin_client import Admin, AdminError

__all__ = ["Admin", "AdminError"]
