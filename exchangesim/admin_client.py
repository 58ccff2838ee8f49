"""A synchronous client of ``/api/v1/admin`` (stdlib ``urllib`` only): the pytest plugin's and the CLI's."""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping
from typing import Any, NamedTuple

__all__ = ["Account", "Admin", "AdminError", "account_in"]


class Account(NamedTuple):
    """An account opened for a test, with its keys; unpacks as ``name, api_key, api_secret``."""

    name: str
    api_key: str
    api_secret: str


def account_in(accounts: dict[str, Account], account: Account | tuple | str) -> Account:
    """``account`` as an Account: itself, a (name, key, secret) tuple, or the name of one in ``accounts``."""
    if isinstance(account, Account):
        return account
    if isinstance(account, tuple) and len(account) == 3:
        return Account(*account)
    try:
        return accounts[account]
    except KeyError:
        raise KeyError(f"no account {account!r} made by new_account; made: {list(accounts)}") from None


class AdminError(Exception):
    """The admin API refused a request: its status and the ``{"error": ...}`` body it answered (status
    None: it did not answer, and ``body`` says why)."""

    def __init__(self, method: str, path: str, status: int | None, body: Any) -> None:
        self.status = status
        self.body = body
        error = body.get("error", {}) if isinstance(body, dict) else {}
        self.code = error.get("code")
        answered = "no answer:" if status is None else status
        super().__init__(f"{method} {path}: {answered} {error.get('message', body)}")


class Admin:
    """Accounts, market control and faults of one daemon, with its admin token."""

    def __init__(self, base_url: str, token: str, timeout: float = 10.0) -> None:
        self.base_url = base_url
        self.token = token
        self.timeout = timeout

    # -- accounts ------------------------------------------------------------------------------------
    def accounts(self) -> list[dict[str, Any]]:
        return self.request("GET", "/accounts")["accounts"]

    def create_account(
        self,
        name: str,
        balances: Mapping[str, Any] | None = None,
        api_key: str | None = None,
        api_secret: str | None = None,
    ) -> dict[str, Any]:
        """Open an account; the answer has its ``api_key``, ``api_secret`` and ``balances``."""
        body: dict[str, Any] = {"name": name}
        if balances is not None:
            body["balances"] = {asset: str(amount) for asset, amount in balances.items()}
        if api_key is not None:
            body["api_key"] = api_key
        if api_secret is not None:
            body["api_secret"] = api_secret
        return self.request("POST", "/accounts", body)

    def remove_account(self, name: str) -> dict[str, Any]:
        """Remove an account made at run time: its orders canceled, its balances and keys gone."""
        return self.request("DELETE", f"/accounts/{_quote(name)}")

    def fund(self, name: str, asset: str, amount: Any) -> dict[str, Any]:
        return self.request("POST", f"/accounts/{_quote(name)}/fund", {"asset": asset, "amount": str(amount)})

    def reset_account(self, name: str, balances: Mapping[str, Any] | None = None) -> dict[str, Any]:
        body = {} if balances is None else {"balances": {a: str(v) for a, v in balances.items()}}
        return self.request("POST", f"/accounts/{_quote(name)}/reset", body)

    # -- the market ----------------------------------------------------------------------------------
    def markets(self) -> list[dict[str, Any]]:
        return self.request("GET", "/market")["markets"]

    def pause_market(self, symbol: str) -> dict[str, Any]:
        return self.request("POST", "/market/pause", {"symbol": symbol})

    def resume_market(self, symbol: str) -> dict[str, Any]:
        return self.request("POST", "/market/resume", {"symbol": symbol})

    def jump_market(self, symbol: str, fraction: float, duration_ms: int = 0) -> dict[str, Any]:
        """Move the fair price by ``fraction`` (-0.1: ten percent down) over ``duration_ms``."""
        body = {"symbol": symbol, "fraction": fraction, "duration_ms": duration_ms}
        return self.request("POST", "/market/jump", body)

    # -- faults --------------------------------------------------------------------------------------
    def faults(self) -> dict[str, Any]:
        """Whether faults are enabled, the seed, and every fault with its hits."""
        return self.request("GET", "/failures")

    def add_fault(self, name: str, mode: str, **keys: Any) -> dict[str, Any]:
        """Add one fault (``AdminError`` 409 if the name is taken); keys as in a ``[failure:NAME]``."""
        return self.request("POST", "/failures", {"name": name, "mode": mode, **_fault_keys(keys)})

    def put_fault(self, name: str, mode: str, **keys: Any) -> dict[str, Any]:
        """Create or replace one fault with exactly these keys."""
        return self.request("PUT", f"/failures/{_quote(name)}", {"mode": mode, **_fault_keys(keys)})

    def remove_fault(self, name: str) -> dict[str, Any]:
        return self.request("DELETE", f"/failures/{_quote(name)}")

    def apply_faults(self, faults: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
        """Replace every fault with ``{name: {keys}}``, all or nothing (``{}`` removes them all)."""
        body = {"faults": {name: _fault_keys(keys) for name, keys in faults.items()}}
        return self.request("PUT", "/failures", body)

    def halt_faults(self) -> dict[str, Any]:
        return self.request("POST", "/failures/halt")

    def resume_faults(self) -> dict[str, Any]:
        return self.request("POST", "/failures/resume")

    def events(self, after: int = 0, limit: int = 1000) -> list[dict[str, Any]]:
        """Audit events numbered after ``after``, oldest first."""
        return self.request("GET", f"/failures/events?after={after}&limit={limit}")["events"]

    def all_events(self, after: int = 0) -> list[dict[str, Any]]:
        """Every kept audit event after ``after``, page by page."""
        events: list[dict[str, Any]] = []
        while page := self.events(after, 10_000):
            events += page
            after = page[-1]["audit_seq"]
        return events

    # -- the wire ------------------------------------------------------------------------------------
    def request(self, method: str, path: str, body: Any = None) -> Any:
        """One admin request; the JSON answer, or ``AdminError``."""
        url = f"{self.base_url}/api/v1/admin{path}"
        headers = {"X-Admin-Token": self.token}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        elif method in ("POST", "PUT"):
            data = b""
        request = urllib.request.Request(url, data=data, headers=headers, method=method)
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                return json.load(response)
        except urllib.error.HTTPError as error:
            raw = error.read()
            try:
                answer = json.loads(raw)
            except ValueError:
                answer = raw.decode("utf-8", "replace")
            raise AdminError(method, path, error.code, answer) from None
        except (OSError, ValueError) as error:  # unreachable, timed out, or not JSON
            raise AdminError(method, path, None, str(error)) from None


def _fault_keys(keys: Mapping[str, Any]) -> dict[str, Any]:
    """Fault keys as the INI would give them: text (``True`` as ``true``), so every kind parses them."""
    return {
        key: (str(value).lower() if isinstance(value, bool) else str(value)) for key, value in keys.items()
    }


def _quote(name: str) -> str:
    return urllib.parse.quote(name, safe="")
