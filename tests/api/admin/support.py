"""A venue on a fake clock with the native REST API, the admin API mounted at ``/admin``, in memory."""

from ..native.support import RestCase


class AdminCase(RestCase):
    """A ``RestCase`` with ``self.admin(...)``: a request under ``/admin`` with the admin token."""

    def admin(self, method, path, body=None, token=None):
        return self.call(
            method, f"/admin{path}", body, headers={"X-Admin-Token": token or self.venue.admin_token}
        )
