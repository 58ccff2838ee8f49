"""``twistd exchangesim``: command-line options and the service twistd runs."""

from __future__ import annotations

from typing import Any

from twisted.internet.interfaces import IReactorCore
from twisted.python import usage
from twisted.python.failure import Failure

from .config import ConfigError, SettingError, load_config, seal
from .service import ExchangeService

__all__ = ["Options", "makeService"]


class Options(usage.Options):
    """Options of ``twistd exchangesim``; the configuration is read and checked while parsing them."""

    optParameters = [
        ["listen", None, None, "Twisted endpoint to listen on (overrides [server] endpoint), e.g. tcp:0."],
        ["port-file", None, None, "Write the port the daemon bound to this file once it listens."],
    ]

    def __init__(self) -> None:
        super().__init__()
        self["config"] = []

    def opt_config(self, path: str) -> None:
        """INI file (or the seed's .json) to read; repeat to layer files, later ones winning.
        Without it the packaged defaults apply."""
        self["config"].append(path)

    def postOptions(self) -> None:
        # Errors end the process with the whole report, without twistd's usage text or a traceback.
        try:
            config = load_config(self["config"])
        except ConfigError as error:
            raise SystemExit(f"exchangesim: {error}") from None
        if self["listen"] is not None:
            try:
                config.server.endpoint = self["listen"]
            except SettingError as error:
                raise SystemExit(f"exchangesim: --listen {self['listen']!r}: {error.reason}") from None
        self["settings"] = seal(config)


class _DaemonService(ExchangeService):
    """The service under twistd: failing to listen ends the process with the reason."""

    def privilegedStartService(self) -> None:
        super().privilegedStartService()
        failures: list[Failure] = []
        self.web.listening.addErrback(failures.append)
        if failures:
            raise SystemExit(
                f"exchangesim: cannot listen on {self.web.description}: {failures[0].getErrorMessage()}"
            )


def makeService(options: Any, reactor: IReactorCore | None = None) -> ExchangeService:
    """Build the daemon's service from parsed ``Options``; ``reactor`` is the test seam."""
    if reactor is None:
        from twisted.internet import reactor
    return _DaemonService(options["settings"], reactor, port_file=options["port-file"])
