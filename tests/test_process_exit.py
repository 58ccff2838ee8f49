"""How the daemon's process ends: SIGTERM stops the reactor once, without the signal's exit status, and a
status set at exit replaces the one Python settled on (the daemon's own: tests/e2e)."""

import signal
import subprocess
import sys

from twisted.internet.error import ReactorNotRunning
from twisted.internet.interfaces import IReactorFromThreads
from twisted.internet.testing import MemoryReactorClock
from twisted.logger import capturedLogs
from twisted.trial.unittest import SynchronousTestCase
from zope.interface import implementer

from exchangesim.process_exit import stop_on_sigterm


@implementer(IReactorFromThreads)
class _Reactor(MemoryReactorClock):
    """Runs a call from a signal handler at once, and refuses a second stop as a real reactor does."""

    def callFromThread(self, f, *args, **kwargs):
        f(*args, **kwargs)

    def stop(self):
        if self.hasStopped:
            raise ReactorNotRunning("Can't stop reactor that isn't running.")
        super().stop()


class StopOnSigtermTests(SynchronousTestCase):
    def setUp(self):
        self.before = signal.getsignal(signal.SIGTERM)
        self.addCleanup(signal.signal, signal.SIGTERM, self.before)

    def test_the_handler_comes_once_the_reactor_runs_after_its_own(self):
        reactor = _Reactor()
        stop_on_sigterm(reactor)
        self.assertIs(signal.getsignal(signal.SIGTERM), self.before)
        for hook, args, kwargs in reactor.whenRunningHooks:  # what the reactor calls once it runs
            hook(*args, **kwargs)
        self.assertIsNot(signal.getsignal(signal.SIGTERM), self.before)

    def test_sigterm_stops_the_reactor_and_one_more_while_it_stops_changes_nothing(self):
        reactor = _Reactor()
        stop_on_sigterm(reactor)
        for hook, args, kwargs in reactor.whenRunningHooks:
            hook(*args, **kwargs)
        handler = signal.getsignal(signal.SIGTERM)
        with capturedLogs() as events:
            handler(signal.SIGTERM, None)
            self.assertTrue(reactor.hasStopped)
            handler(signal.SIGTERM, None)
        said = [(event["log_format"], event["reason"]) for event in events]
        self.assertEqual(
            said, [("{reason}: stopping in order", "SIGTERM"), ("{reason}: already stopping", "SIGTERM")]
        )


def test_a_status_set_at_exit_replaces_the_one_python_settled_on_and_output_is_flushed():
    script = (
        "from exchangesim.process_exit import exit_with_status_at_exit\n"
        "exit_with_status_at_exit(74)\n"
        "print('written before the end')\n"  # stdout is a pipe here: buffered until flushed
        "raise SystemExit(0)\n"
    )
    finished = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert (finished.returncode, finished.stdout, finished.stderr) == (74, "written before the end\n", "")
