"""The controller: the set of faults changing at run time, applied to every connection and request."""

import pytest
from twisted.internet.task import Clock

from exchangesim.config import FailuresConfig
from exchangesim.failures.answers import FaultRefusedError
from exchangesim.failures.connections import FaultyConnection
from exchangesim.failures.controller import FaultController
from exchangesim.failures.mode import FailureMode
from exchangesim.failures.registry import mode_for
from exchangesim.failures.stream import StreamEffect
from exchangesim.failures.testing import received_request


class WatchEffect(StreamEffect):
    """Passes everything, noting each turn of its fault's schedule."""

    def __init__(self, fault, scope, downstream):
        super().__init__(fault, scope, downstream)
        self.turns = []

    def inject(self, data):
        self.downstream(data)

    def schedule_changed(self, live):
        self.turns.append((round(self.clock.seconds(), 6), live))


class Watch(FailureMode):
    name = "watch"
    layers = ("ws",)

    def stream_effect(self, fault, scope, downstream):
        return WatchEffect(fault, scope, downstream)


def lookup(name):
    return Watch() if name == "watch" else mode_for(name)


class Link:
    """A FaultyConnection whose sinks, close and abort are lists."""

    def __init__(self, layer="ws", account=None):
        self.out, self.inbound, self.closed, self.aborted = [], [], [], []
        self.connection = FaultyConnection(
            layer,
            "127.0.0.1:50000",
            {"out": self.out.append, "in": self.inbound.append},
            lambda data: {},
            lambda code, reason: self.closed.append(code),
            lambda: self.aborted.append(True),
        )
        self.connection.account = account

    def send(self, *messages, direction="out"):
        for data in messages:
            self.connection.pipelines[direction].send(data)


def make_controller(clock=None, **settings):
    settings = {"enabled": True, **settings}
    return FaultController(FailuresConfig(**settings), clock or Clock(), 7, lookup)


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def controller(clock):
    return make_controller(clock)


def connected(controller, layer="ws", account=None):
    link = Link(layer, account)
    controller.connect(link.connection)
    return link


def run_timers_until(clock, end):
    """Advance the clock timer by timer, each to the moment it is due, up to ``end``."""
    while (due := min((call.getTime() for call in clock.getDelayedCalls()), default=end)) < end:
        clock.advance(due - clock.seconds())
    clock.advance(end - clock.seconds())


def specs(controller, **faults):
    return [controller.parse(name, raw) for name, raw in faults.items()]


DELAY = {"mode": "delay", "layer": "ws", "base_ms": "100"}
DROP = {"mode": "drop", "layer": "ws"}


# -- connections -------------------------------------------------------------------------------------


def test_connections_are_numbered_per_layer(controller):
    links = [connected(controller, layer) for layer in ("ws", "ws", "tcp", "ws")]
    assert [link.connection.id for link in links] == ["ws-1", "ws-2", "tcp-1", "ws-3"]
    assert [link.connection.ordinal for link in links] == [1, 2, 1, 3]
    assert list(controller.connections) == ["ws-1", "ws-2", "tcp-1", "ws-3"]
    controller.disconnect(links[1].connection)
    assert list(controller.connections) == ["ws-1", "tcp-1", "ws-3"]
    assert connected(controller).connection.id == "ws-4"  # an ordinal is never reused


def test_a_disconnected_connection_drops_what_faults_held_for_it(controller, clock):
    controller.apply(specs(controller, lag=DELAY))
    link = connected(controller)
    link.send(b"a")
    controller.disconnect(link.connection)
    clock.advance(1)
    assert link.out == []
    assert clock.getDelayedCalls() == []


def test_a_fault_acts_on_connections_made_before_and_after_it(controller, clock):
    before = connected(controller)
    controller.apply(specs(controller, lag=DELAY))
    after = connected(controller)
    for link in (before, after):
        link.send(b"a")
        assert link.out == []
        assert link.connection.held == 1
    clock.advance(0.1)
    assert before.out == after.out == [b"a"]


def test_faults_target_their_layer_direction_and_connection_ordinal(controller):
    controller.apply(
        specs(
            controller,
            out_only={**DROP, "direction": "out"},
            second_tcp={"mode": "delay", "layer": "tcp", "connection": "2"},
        )
    )
    ws, tcp_1, tcp_2 = connected(controller), connected(controller, "tcp"), connected(controller, "tcp")

    def names(link, direction):
        return [effect.fault.name for effect in link.connection.pipelines[direction].effects]

    assert (names(ws, "out"), names(ws, "in")) == (["out_only"], [])
    assert (names(tcp_1, "out"), names(tcp_1, "in")) == ([], [])
    assert (names(tcp_2, "out"), names(tcp_2, "in")) == (["second_tcp"], ["second_tcp"])
    ws.send(b"lost")
    ws.send(b"kept", direction="in")
    assert (ws.out, ws.inbound) == ([], [b"kept"])


# -- changing the set of faults ----------------------------------------------------------------------


def test_apply_replaces_every_fault_at_once(controller, clock):
    link = connected(controller)
    controller.apply(specs(controller, lag=DELAY, lose=DROP))
    link.send(b"a")
    controller.apply(specs(controller, other={**DELAY, "base_ms": "1s"}))
    assert list(controller.faults) == ["other"]
    assert [effect.fault.name for effect in link.connection.effects()] == ["other", "other"]
    assert link.out == [b"a"]  # released by lag, not lost to lose: both went together
    controller.apply([])
    assert controller.faults == {}
    assert link.connection.pipelines["out"].send == link.out.append


def test_put_adds_a_fault_and_replaces_one_of_the_same_name(controller, clock):
    link = connected(controller)
    controller.put(controller.parse("lag", DELAY))
    link.send(b"a", b"b")
    controller.put(controller.parse("lose", DROP))
    assert list(controller.faults) == ["lag", "lose"]
    assert link.connection.held == 2
    controller.put(controller.parse("lag", {**DELAY, "base_ms": "500"}))
    assert link.out == []  # released by the old lag, in order, into lose
    assert [event["action"] for event in controller.audit.recent] == ["delay", "delay", "drop", "drop"]
    controller.remove("lose")
    link.send(b"c")
    clock.advance(0.499)
    assert link.out == []
    clock.advance(0.002)
    assert link.out == [b"c"]


def test_removing_a_fault_releases_what_it_held_in_order(controller, clock):
    link = connected(controller)
    controller.apply(specs(controller, lag={**DELAY, "jitter_ms": "500"}))
    link.send(b"1", b"2", b"3", b"4")
    assert link.connection.held == 4
    controller.remove("lag")
    assert link.out == [b"1", b"2", b"3", b"4"]
    assert clock.getDelayedCalls() == []
    with pytest.raises(KeyError):
        controller.remove("lag")


def test_halt_releases_everything_and_stops_acting_until_resume(controller, clock):
    link = connected(controller)
    controller.apply(specs(controller, lag=DELAY, lose=DROP))
    link.send(b"1", b"2")
    controller.halt()
    assert link.out == [b"1", b"2"]
    assert controller.faults.keys() == {"lag", "lose"}
    assert link.connection.effects() == []
    link.send(b"3")
    assert link.out == [b"1", b"2", b"3"]
    assert controller.describe()["enabled"] is False
    controller.resume()
    link.send(b"4")
    assert link.connection.held == 1
    clock.advance(0.1)
    assert link.out == [b"1", b"2", b"3"]  # delayed, then lost


def test_disabled_in_the_config_starts_halted(clock):
    controller = make_controller(clock, enabled=False)
    controller.apply(specs(controller, lose=DROP))
    link = connected(controller)
    link.send(b"a")
    assert link.out == [b"a"]
    assert controller.rest_faults == []
    controller.resume()
    link.send(b"b")
    assert link.out == [b"a"]


def test_rest_faults_follow_the_set_and_keep_their_effect_while_kept(controller):
    controller.apply(specs(controller, ack_loss={"mode": "drop", "layer": "rest", "stage": "post_engine"}))
    [(fault, scope, effect)] = controller.rest_faults
    assert (fault.name, scope.layer, scope.key) == ("ack_loss", "rest", "rest")
    controller.put(controller.parse("lag", {"mode": "delay", "layer": "rest, ws"}))
    assert [entry[0].name for entry in controller.rest_faults] == ["ack_loss", "lag"]
    assert controller.rest_faults[0][2] is effect
    controller.put(controller.parse("lose", DROP))
    assert len(controller.rest_faults) == 2
    controller.halt()
    assert controller.rest_faults == []


def test_room_for_counts_installed_faults_against_the_cap(clock):
    controller = make_controller(clock, max_active_faults=3)
    controller.apply(specs(controller, a=DROP, b=DELAY))
    assert controller.room_for(1)
    assert not controller.room_for(2)


# -- schedules ---------------------------------------------------------------------------------------


def test_schedule_turns_reach_the_effects_on_time(controller, clock):
    link = connected(controller)
    controller.apply(
        specs(controller, flap={"mode": "watch", "start": "100ms", "duration": "200ms", "period": "0.5s"})
    )
    out_effect = link.connection.pipelines["out"].effects[0]
    run_timers_until(clock, 1.5)
    assert out_effect.turns == [
        (0.1, True),
        (0.3, False),
        (0.6, True),
        (0.8, False),
        (1.1, True),
        (1.3, False),
    ]
    in_effect = link.connection.pipelines["in"].effects[0]
    assert in_effect.turns == out_effect.turns


def test_a_fault_that_ends_stops_its_timer(controller, clock):
    controller.apply(specs(controller, once={"mode": "watch", "duration": "200ms"}))
    link = connected(controller)
    clock.advance(0.2)
    assert link.connection.effects()[0].turns == [(0.2, False)]
    assert clock.getDelayedCalls() == []


def test_removal_and_halt_cancel_the_schedule_timers(controller, clock):
    controller.apply(specs(controller, flap={"mode": "watch", "duration": "100ms", "period": "1s"}))
    assert len(clock.getDelayedCalls()) == 1
    controller.halt()
    assert clock.getDelayedCalls() == []
    controller.resume()
    assert len(clock.getDelayedCalls()) == 1
    controller.remove("flap")
    assert clock.getDelayedCalls() == []


def test_stop_cancels_timers_and_closes_the_audit_file(tmp_path, clock):
    path = tmp_path / "audit.jsonl"
    controller = make_controller(clock, audit_file=str(path))
    controller.start()
    controller.apply(specs(controller, lose=DROP, flap={"mode": "watch", "duration": "1s"}))
    connected(controller).send(b"a")
    controller.stop()
    assert clock.getDelayedCalls() == []
    assert '"fault":"lose"' in path.read_text(encoding="utf-8")


# -- reports -----------------------------------------------------------------------------------------


def test_describe_reports_each_fault_live_hits_and_held(controller, clock):
    link = connected(controller)
    controller.apply(specs(controller, lag={**DELAY, "first": "2"}, later={**DROP, "start": "1s"}))
    link.send(b"a", b"b", b"c")
    described = controller.describe()
    assert (described["enabled"], described["seed"], described["max_active_faults"]) == (True, 7, 64)
    lag, later = described["faults"]
    assert (lag["name"], lag["live"], lag["hits"], lag["held"]) == ("lag", True, 2, 3)
    assert (later["name"], later["live"], later["hits"], later["held"]) == ("later", False, 0, 0)
    assert link.connection.describe_json()["faults"] == ["lag", "later"]


# -- per-request faults from headers -----------------------------------------------------------------


def request_with(**headers):
    return received_request(
        "POST", "/api/v1/orders", {name.replace("_", "-"): value for name, value in headers.items()}
    )


def test_headers_are_ignored_without_allow_header_control(controller):
    assert controller.header_faults(request_with(X_Sim_Fault_Mode="delay")) == []


def test_a_header_fault_acts_on_its_own_request_and_is_listed_until_it_ends(clock):
    controller = make_controller(clock, allow_header_control=True, max_active_faults=1)
    assert controller.header_faults(request_with(Accept="application/json")) == []
    request = request_with(
        X_Sim_Fault_Mode="delay", X_Sim_Fault_Base_Ms="250", X_Sim_Fault_Stage="post_engine"
    )
    [(fault, scope, _effect)] = controller.header_faults(request)
    assert (fault.name, fault.spec.mode, fault.spec.layers, fault.spec.stage) == (
        "header-1",
        "delay",
        ("rest",),
        "post_engine",
    )
    assert fault.spec.params["base_ms"] == 250.0
    assert scope.layer == "rest"
    assert "header-1" not in controller.faults
    assert controller.room_for(1)  # header faults have a bound of their own
    assert [header["name"] for header in controller.describe()["header_faults"]] == ["header-1"]
    request.finish()
    assert controller.describe()["header_faults"] == []


def test_a_bad_fault_header_is_a_400_naming_the_header(clock):
    controller = make_controller(clock, allow_header_control=True)
    with pytest.raises(FaultRefusedError) as caught:
        controller.header_faults(request_with(X_Sim_Fault_Mode="delay", X_Sim_Fault_Base_Ms="soon"))
    error = caught.value.error
    assert (error.status, error.code, error.field) == (400, "INVALID_FAULT_HEADER", "x-sim-fault-base-ms")
    assert "base_ms: expected a duration" in error.message
    with pytest.raises(FaultRefusedError) as caught:
        controller.header_faults(request_with(X_Sim_Fault_Mode="dorp"))
    assert (caught.value.error.status, caught.value.error.field) == (400, "x-sim-fault-mode")
    assert "did you mean 'drop'?" in caught.value.error.message
    assert controller.header_active == {}  # nothing was counted


def test_a_header_fault_of_a_mode_without_rest_blames_the_mode_header(clock):
    controller = make_controller(clock, allow_header_control=True)
    with pytest.raises(FaultRefusedError) as caught:
        controller.header_faults(request_with(X_Sim_Fault_Mode="reorder"))
    assert (caught.value.error.status, caught.value.error.field) == (400, "x-sim-fault-mode")
    assert "mode reorder does not act on rest" in caught.value.error.message


def test_header_faults_are_capped_by_max_header_faults_not_max_active_faults(clock):
    controller = make_controller(clock, allow_header_control=True, max_active_faults=1, max_header_faults=1)
    controller.apply(specs(controller, lose=DROP))
    controller.header_faults(request_with(X_Sim_Fault_Mode="delay"))
    with pytest.raises(FaultRefusedError) as caught:
        controller.header_faults(request_with(X_Sim_Fault_Mode="delay"))
    assert (caught.value.error.status, caught.value.error.code) == (429, "TOO_MANY_FAULTS")
    assert "[failures] max_header_faults" in caught.value.error.message
