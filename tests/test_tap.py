"""``twistd exchangesim``: option parsing, the service it builds, and how it refuses to start."""

import os
import shutil
import tempfile

from twisted.application.service import IServiceMaker, MultiService
from twisted.internet.error import CannotListenError
from twisted.internet.testing import MemoryReactorClock
from twisted.plugin import getPlugins
from twisted.trial.unittest import SynchronousTestCase

from exchangesim.tap import Options, makeService


def _temp_path(case, name):
    """A path in a fresh directory removed after the test (trial's mktemp writes into the cwd)."""
    directory = tempfile.mkdtemp()
    case.addCleanup(shutil.rmtree, directory)
    return os.path.join(directory, name)


class _BusyReactor(MemoryReactorClock):
    def listenTCP(self, port, factory, backlog=50, interface=""):
        raise CannotListenError(interface, port, OSError(98, "Address already in use"))


class OptionsTests(SynchronousTestCase):
    def test_defaults_need_no_file(self):
        options = Options()
        options.parseOptions([])
        self.assertEqual(options["settings"].server.endpoint, "tcp:8765:interface=127.0.0.1")

    def test_config_files_layer_and_listen_overrides_the_endpoint(self):
        first, second = _temp_path(self, "a.ini"), _temp_path(self, "b.ini")
        with open(first, "w") as file:
            file.write("[server]\nendpoint = tcp:9000\n[exchange]\nseed = 1\n")
        with open(second, "w") as file:
            file.write("[exchange]\nseed = 2\n")
        options = Options()
        options.parseOptions(["--config", first, "--config", second, "--listen", "tcp:0:interface=127.0.0.1"])
        self.assertEqual(options["settings"].exchange.seed, 2)
        self.assertEqual(options["settings"].server.endpoint, "tcp:0:interface=127.0.0.1")

    def test_a_bad_file_exits_with_every_problem_and_no_usage_text(self):
        path = _temp_path(self, "sim.ini")
        with open(path, "w") as file:
            file.write("[exchange]\nseed = x\nfee = 1\n")
        with self.assertRaises(SystemExit) as caught:
            Options().parseOptions(["--config", path])
        message = str(caught.exception.code)
        self.assertIn(f"{path}: [exchange] seed = 'x': expected a whole number", message)
        self.assertIn(f"{path}: [exchange] fee: unknown key", message)
        self.assertNotIn("Usage:", message)

    def test_a_bad_listen_description_is_named(self):
        with self.assertRaises(SystemExit) as caught:
            Options().parseOptions(["--listen", "tcp:http"])
        self.assertIn(
            "--listen 'tcp:http': not a Twisted server endpoint description", str(caught.exception.code)
        )


class MakeServiceTests(SynchronousTestCase):
    def _options(self, *argv):
        options = Options()
        options.parseOptions(list(argv))
        return options

    def test_listens_on_the_configured_endpoint(self):
        reactor = MemoryReactorClock()
        service = makeService(self._options(), reactor=reactor)
        self.assertIsInstance(service, MultiService)
        service.privilegedStartService()
        service.startService()
        [(port, _factory, _backlog, interface)] = reactor.tcpServers
        self.assertEqual((port, interface), (8765, "127.0.0.1"))
        self.successResultOf(service.stopService())

    def test_writes_the_port_file(self):
        port_file = _temp_path(self, "port")
        service = makeService(self._options("--port-file", port_file), reactor=MemoryReactorClock())
        service.privilegedStartService()
        with open(port_file) as file:
            self.assertEqual(file.read(), "8765\n")

    def test_a_port_in_use_ends_the_process_with_the_reason(self):
        service = makeService(self._options(), reactor=_BusyReactor())
        with self.assertRaises(SystemExit) as caught:
            service.privilegedStartService()
        message = str(caught.exception.code)
        self.assertIn("cannot listen on tcp:8765:interface=127.0.0.1", message)
        self.assertIn("Address already in use", message)


class DropinTests(SynchronousTestCase):
    def test_twistd_finds_the_exchangesim_plugin(self):
        makers = {maker.tapname: maker for maker in getPlugins(IServiceMaker)}
        self.assertIn("exchangesim", makers)
        self.assertIs(makers["exchangesim"].options, Options)
