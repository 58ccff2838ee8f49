"""``twistd exchangesim``: option parsing, the service it builds, and how it refuses to start."""

import gc
import io
import os
import shutil
import tempfile
from contextlib import redirect_stderr, redirect_stdout

from twisted.application.service import IServiceMaker, MultiService
from twisted.internet.error import CannotListenError
from twisted.internet.testing import MemoryReactorClock
from twisted.plugin import getPlugins
from twisted.trial.unittest import SynchronousTestCase

from exchangesim import __version__
from exchangesim.process_exit import exit_with_status_at_exit
from exchangesim.tap import CONFIG_ERROR_EXIT, JOURNAL_FAILED_EXIT, Options, makeService


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
        printed = io.StringIO()
        with self.assertRaises(SystemExit) as caught, redirect_stderr(printed):
            Options().parseOptions(["--config", path])
        # a status of its own, so a supervisor (the systemd unit) does not restart it in vain
        self.assertEqual(caught.exception.code, CONFIG_ERROR_EXIT)
        message = printed.getvalue()
        self.assertEqual(caught.exception.message + "\n", message)
        self.assertIn(f"{path}, line 2: [exchange] seed = 'x': expected a whole number", message)
        self.assertIn(f"{path}, line 3: [exchange] fee: unknown key", message)
        self.assertNotIn("Usage:", message)

    def test_a_bad_listen_description_is_named(self):
        with self.assertRaises(SystemExit) as caught, redirect_stderr(io.StringIO()):
            Options().parseOptions(["--listen", "tcp:http"])
        self.assertEqual(caught.exception.code, CONFIG_ERROR_EXIT)
        self.assertIn(
            "--listen 'tcp:http': not a Twisted server endpoint description", caught.exception.message
        )

    def test_version_is_exchangesims(self):
        printed = io.StringIO()
        with self.assertRaises(SystemExit) as caught, redirect_stdout(printed):
            Options().parseOptions(["--version"])
        self.assertEqual(caught.exception.code, 0)
        self.assertTrue(
            printed.getvalue().startswith(f"exchangesim {__version__} (Twisted "), printed.getvalue()
        )


class MakeServiceTests(SynchronousTestCase):
    def setUp(self):
        self.addCleanup(gc.unfreeze)  # a started daemon freezes the objects of the process it runs in

    def _options(self, *argv):
        options = Options()
        options.parseOptions(list(argv))
        return options

    def test_once_started_what_the_daemon_holds_is_out_of_the_collectors_way(self):
        gc.unfreeze()
        service = makeService(self._options(), reactor=MemoryReactorClock())
        service.privilegedStartService()
        self.assertEqual(gc.get_freeze_count(), 0)
        service.startService()
        self.assertGreater(gc.get_freeze_count(), 0)
        self.successResultOf(service.stopService())

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

    def test_a_port_in_use_ends_the_process_naming_the_setting_and_the_option_that_change_it(self):
        service = makeService(self._options(), reactor=_BusyReactor())
        with self.assertRaises(SystemExit) as caught:
            service.privilegedStartService()
        self.assertEqual(
            caught.exception.code,
            "exchangesim: cannot listen on [server] endpoint = tcp:8765:interface=127.0.0.1: Address already"
            " in use: another process is listening on 127.0.0.1:8765; choose another port in [server]"
            " endpoint or with --listen, e.g. --listen tcp:9000:interface=127.0.0.1 (make run PORT=9000)",
        )

    def test_a_port_in_use_given_by_listen_names_the_option(self):
        options = self._options("--listen", "tcp:9000:interface=127.0.0.1")
        with self.assertRaises(SystemExit) as caught:
            makeService(options, reactor=_BusyReactor()).privilegedStartService()
        message = str(caught.exception.code)
        self.assertIn("cannot listen on --listen tcp:9000:interface=127.0.0.1: ", message)
        self.assertTrue(message.endswith("; choose another port with --listen"), message)

    def test_an_admin_port_in_use_names_admin_endpoint(self):
        config = _temp_path(self, "sim.ini")
        with open(config, "w") as file:
            file.write("[server]\nadmin_endpoint = tcp:8766:interface=127.0.0.1\n")

        class AdminPortBusy(MemoryReactorClock):
            def listenTCP(self, port, factory, backlog=50, interface=""):
                if port == 8766:
                    raise CannotListenError(interface, port, OSError(98, "Address already in use"))
                return super().listenTCP(port, factory, backlog, interface)

        service = makeService(self._options("--config", config), reactor=AdminPortBusy())
        with self.assertRaises(SystemExit) as caught:
            service.privilegedStartService()
        self.assertIn(
            "cannot listen on [server] admin_endpoint = tcp:8766:interface=127.0.0.1: ",
            str(caught.exception.code),
        )
        self.assertIn("; choose another port in [server] admin_endpoint", str(caught.exception.code))

    def test_a_journal_failure_stops_the_reactor_and_sets_status_74_for_after_the_shutdown(self):
        reactor = MemoryReactorClock()
        service = makeService(self._options(), reactor=reactor)
        service.journal_failed(OSError(28, "No space left on device"))
        after_shutdown = reactor.triggers["after"]["shutdown"]
        self.assertEqual(after_shutdown, [(exit_with_status_at_exit, (JOURNAL_FAILED_EXIT,), {})])
        self.assertFalse(reactor.hasStopped)  # not from inside the failing command
        reactor.advance(0)
        self.assertTrue(reactor.hasStopped)

    def test_fresh_moves_the_saved_state_aside_and_deletes_nothing(self):
        folder = _temp_path(self, "data")
        config = _temp_path(self, "sim.ini")
        with open(config, "w") as file:
            file.write(f"[persistence]\npath = {folder}\n")
        service = makeService(self._options("--config", config), reactor=MemoryReactorClock())
        service.privilegedStartService()
        service.startService()
        self.successResultOf(service.stopService())
        saved = sorted(os.listdir(folder))
        self.assertIn("snapshot-00000002", saved)

        service = makeService(self._options("--config", config, "--fresh"), reactor=MemoryReactorClock())
        service.privilegedStartService()
        service.startService()
        self.successResultOf(service.stopService())
        (aside,) = [name for name in os.listdir(os.path.dirname(folder)) if name.startswith("data.")]
        self.assertRegex(aside, r"^data\.\d{8}T\d{6}Z$")
        self.assertEqual(sorted(os.listdir(os.path.join(os.path.dirname(folder), aside))), saved)
        self.assertEqual(
            sorted(os.listdir(folder)),
            ["journal-00000001", "journal-00000002", "lock", "snapshot-00000001", "snapshot-00000002"],
        )


class DropinTests(SynchronousTestCase):
    def test_twistd_finds_the_exchangesim_plugin(self):
        makers = {maker.tapname: maker for maker in getPlugins(IServiceMaker)}
        self.assertIn("exchangesim", makers)
        self.assertIs(makers["exchangesim"].options, Options)
