"""The configuration sections as attrs classes: the one place where every key, default and doc lives."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

import attrs

from ._kinds import (
    ACCOUNT_NAME,
    BALANCES,
    BOOLEAN,
    DECIMAL,
    ENDPOINT,
    INTEGER,
    PATH,
    REAL,
    SYMBOL,
    SYMBOLS,
    TEXT,
    TIMESTAMP,
    Kind,
    SettingError,
    at_least,
    between,
    one_of,
    setting,
    to_decimal,
)
from ._liquidity import LiquidityConfig
from ._section import section

__all__ = ()

DEFAULT_ACCOUNT = "default"
"""The account that serves requests naming no API key; ``[accounts] default_balance`` funds it."""

FEE_ACCOUNT = "fees"
MAKER_ACCOUNT = "agent-maker"
TAKER_ACCOUNT = "agent-taker"
LIMIT_ACCOUNT = "agent-limit"
RESERVED_ACCOUNTS = {
    DEFAULT_ACCOUNT: "the account [accounts] default_balance funds",
    FEE_ACCOUNT: "the account that collects every fee",
    MAKER_ACCOUNT: "the market maker's account",
    TAKER_ACCOUNT: "the takers' account",
    LIMIT_ACCOUNT: "the limit-order traders' account",
}
"""Account names the simulator uses itself, and what for."""

CLOCKS = ("wall", "manual")
"""What drives the market time (``[exchange] clock``)."""

_API_KEY = re.compile(r"^[A-Za-z0-9_-]{8,128}$")


@section
class ServerConfig:
    """[server]: where and how the daemon listens."""

    endpoint: str = setting(
        ENDPOINT,
        "tcp:8765:interface=127.0.0.1",
        "Twisted server endpoint description the daemon listens on; REST, WebSocket and metrics share it."
        " Loopback only unless you open it, e.g. tcp:8765:interface=0.0.0.0;"
        " tcp:0 picks a free port and logs it. --listen overrides it.",
    )
    admin_token: str = setting(
        TEXT,
        "",
        "Token that admin requests carry in X-Admin-Token; empty generates one at start and logs it.",
        secret=True,
    )
    admin_endpoint: str | None = setting(
        ENDPOINT,
        None,
        "A second endpoint that serves only the admin API (/api/v1/admin/...) and /api/v1/health, untouched"
        " by any fault, so the operator always has a way in, e.g. tcp:8766:interface=127.0.0.1; empty:"
        " none (the main endpoint serves the admin API either way).",
    )
    admin_allow_remote: bool = setting(
        BOOLEAN, False, "Accept admin requests from peers other than loopback (they still need the token)."
    )
    allow_anonymous: bool = setting(
        BOOLEAN, True, "Serve requests without X-API-Key as the default account; false answers them 401."
    )
    require_signature: bool = setting(
        BOOLEAN, False, "Require an HMAC-SHA256 X-Signature on every request that names an API key."
    )
    recv_window_ms: int = setting(
        INTEGER,
        5000,
        "How far X-Timestamp of a signed request may be from the server's clock.",
        between(1, 600_000),
    )
    max_body_bytes: int = setting(
        INTEGER, 65536, "Largest request body accepted; larger ones are answered 413.", between(256, 64 << 20)
    )
    max_connections: int = setting(
        INTEGER,
        10000,
        "TCP connections (HTTP and WebSocket together) served at once; one more is answered 503 and"
        " closed. The process's open-file limit must allow as many.",
        between(1, 1_000_000),
    )
    max_connections_per_address: int = setting(
        INTEGER,
        128,
        "TCP connections one client address may hold at once (every address counts alone, 127.0.0.1"
        " and 127.0.0.2 too); one more is answered 503 and closed, so one client cannot take every slot"
        " of max_connections.",
        between(1, 1_000_000),
    )
    request_head_timeout_s: int = setting(
        INTEGER,
        10,
        "Seconds a client has to send a whole request head (request line and headers, a WebSocket"
        " upgrade's too), counted from connecting or, on a keep-alive connection, from the next"
        " request's first byte; a slower one is answered 408 and closed. Unlike idle_timeout_s,"
        " trickling bytes does not extend it.",
        between(1, 600),
    )
    request_rate_limit: int = setting(
        INTEGER,
        6000,
        "Request weight one key (API key, else client address) may spend per minute, both dialects"
        " together: a /api/v1 request weighs 1, /api/v3 routes and /ws-api/v3 requests weigh as on"
        " Binance. Past it /api/v1 answers 429 with Retry-After; /api/v3 and /ws-api/v3 answer 429,"
        " then 418 until the minute ends.",
        between(1, 100_000_000),
    )
    idle_timeout_s: int = setting(
        INTEGER,
        120,
        "Seconds an HTTP keep-alive connection may wait for its next request, and a WebSocket client"
        " holding no subscription may send nothing (pings count), before it is closed (WebSocket: 1000).",
        between(1, 86_400),
    )
    ws_max_subscriptions: int = setting(
        INTEGER, 100, "Subscriptions one WebSocket connection may hold.", between(1, 100_000)
    )
    ws_max_message_bytes: int = setting(
        INTEGER, 65536, "Largest WebSocket message a client may send.", between(256, 16 << 20)
    )
    ws_max_messages_per_second: int = setting(
        INTEGER,
        100,
        "Messages per second a client may send; faster clients are closed with 1008.",
        between(1, 1_000_000),
    )
    ws_send_queue_limit: int = setting(
        INTEGER,
        10000,
        "Messages queued for a slow WebSocket client before it is closed with 1013.",
        between(10, 10_000_000),
    )


@section
class ExchangeConfig:
    """[exchange]: what is traded, the seed, the clock and the fees."""

    symbols: tuple[str, ...] = setting(
        SYMBOLS,
        ("BTC/USD", "ETH/USD"),
        "Symbols traded, comma-separated; each needs a [symbol:NAME] section with its initial_price"
        " (the two default symbols have one built in).",
    )
    seed: int = setting(
        INTEGER,
        42,
        "Seed of every random choice (price paths, agents, faults), so a run can be replayed.",
        at_least(0),
    )
    tick_interval_ms: int = setting(
        INTEGER,
        1,
        "Milliseconds of market time between price ticks (the programmatic form also takes seconds:"
        " tick_interval).",
        between(1, 3_600_000),
    )
    start_time: int | None = setting(
        TIMESTAMP,
        None,
        "Market time at start, ISO 8601 (2024-01-01T00:00:00Z) or epoch milliseconds; empty: the wall"
        " clock at start. Fixed, a run's market timestamps repeat exactly, not only relative to the start.",
        between(0, 253_402_300_799_999),
    )
    clock: str = setting(
        TEXT,
        "wall",
        "wall: the market time runs with the wall clock (times [market_data] speed); manual: it starts"
        " paused and moves only when POST /api/v1/admin/clock advances it (or resumes it), so a test"
        " steps the market between its own actions.",
        one_of(CLOCKS),
    )
    maker_fee: Decimal = setting(
        DECIMAL,
        Decimal("0.001"),
        "Fee rate charged to the resting side of a trade, in the asset it receives (0.001 = 0.1%).",
        between(Decimal(0), Decimal("0.1")),
    )
    taker_fee: Decimal = setting(
        DECIMAL,
        Decimal("0.001"),
        "Fee rate charged to the aggressing side of a trade, in the asset it receives.",
        between(Decimal(0), Decimal("0.1")),
    )

    @property
    def tick_interval(self) -> Decimal:
        """The tick interval in seconds, as the seed's configuration states it."""
        return Decimal(self.tick_interval_ms) / 1000

    @tick_interval.setter
    def tick_interval(self, seconds: Any) -> None:
        try:
            milliseconds = to_decimal(seconds) * 1000
        except ValueError as error:
            raise SettingError("tick_interval", str(error)) from None
        if milliseconds != milliseconds.to_integral_value():
            raise SettingError("tick_interval", "must be a whole number of milliseconds")
        self.tick_interval_ms = int(milliseconds)


@section
class SymbolConfig:
    """[symbol:NAME]: one instrument's starting price, steps and limits."""

    initial_price: Decimal | None = setting(
        DECIMAL,
        None,
        "Price the market starts at; required, on the tick_size grid.",
        at_least(0, exclusive=True),
    )
    tick_size: Decimal = setting(
        DECIMAL,
        Decimal("0.01"),
        "Price step; prices off this grid are rejected.",
        at_least(0, exclusive=True),
    )
    lot_size: Decimal = setting(
        DECIMAL,
        Decimal("0.0001"),
        "Quantity step; quantities off this grid are rejected.",
        at_least(0, exclusive=True),
    )
    min_qty: Decimal = setting(
        DECIMAL,
        Decimal("0.0001"),
        "Smallest order quantity; a multiple of lot_size.",
        at_least(0, exclusive=True),
    )
    max_qty: Decimal = setting(
        DECIMAL,
        Decimal("1000"),
        "Largest order quantity; a multiple of lot_size.",
        at_least(0, exclusive=True),
    )
    min_notional: Decimal = setting(
        DECIMAL, Decimal("1"), "Smallest price x quantity of an order, in the quote asset.", at_least(0)
    )
    maker_fee: Decimal | None = setting(
        DECIMAL,
        None,
        "Maker fee rate for this symbol; empty uses [exchange] maker_fee.",
        between(0, Decimal("0.1")),
    )
    taker_fee: Decimal | None = setting(
        DECIMAL,
        None,
        "Taker fee rate for this symbol; empty uses [exchange] taker_fee.",
        between(0, Decimal("0.1")),
    )
    tick_interval_ms: int | None = setting(
        INTEGER,
        None,
        "Milliseconds between this symbol's ticks; empty uses [exchange].",
        between(1, 3_600_000),
    )
    model: str | None = setting(TEXT, None, "Price model of this symbol; empty uses [market_data] model.")
    drift: float | None = setting(
        REAL, None, "Annualised drift of this symbol; empty uses [market_data].", between(-100.0, 100.0)
    )
    volatility: float | None = setting(
        REAL, None, "Annualised volatility of this symbol; empty uses [market_data].", between(0.0, 100.0)
    )
    mean_price: Decimal | None = setting(
        DECIMAL,
        None,
        "Long-run price the ornstein_uhlenbeck model reverts to; empty: initial_price.",
        at_least(0, exclusive=True),
    )
    replay_file: str | None = setting(
        PATH,
        None,
        "CSV the csv model replays for this symbol (required by it): timestamp,price rows (epoch ms), or a"
        " Binance public-data klines or aggTrades file as unzipped; relative to this file's folder.",
    )

    def problems(self) -> list[tuple[str, str]]:
        """(key, reason) pairs for values that are fine alone but do not fit together."""
        found = []
        if self.initial_price is None:
            found.append(("initial_price", "required for a traded symbol"))
        elif self.initial_price % self.tick_size:
            found.append(("initial_price", f"not on the tick_size grid ({self.tick_size})"))
        for key in ("min_qty", "max_qty"):
            if getattr(self, key) % self.lot_size:
                found.append((key, f"not a multiple of lot_size ({self.lot_size})"))
        if self.min_qty > self.max_qty:
            found.append(("min_qty", f"greater than max_qty ({self.max_qty})"))
        return found


def _default_symbols() -> dict[str, SymbolConfig]:
    return {
        "BTC/USD": SymbolConfig(initial_price=Decimal("50000.00")),
        "ETH/USD": SymbolConfig(
            initial_price=Decimal("3000.00"),
            lot_size=Decimal("0.001"),
            min_qty=Decimal("0.001"),
            max_qty=Decimal("10000"),
        ),
    }


@section
class AccountsConfig:
    """[accounts]: the accounts every run starts with."""

    default_balance: dict[str, Decimal] = setting(
        BALANCES,
        attrs.Factory(lambda: {"USD": Decimal("100000"), "BTC": Decimal("10"), "ETH": Decimal("100")}),
        "Balances of the default account, which serves requests that name no API key: ASSET:AMOUNT, ...",
    )


@section
class AccountConfig:
    """[account:NAME]: an account with its API key, secret and starting balances."""

    api_key: str | None = setting(TEXT, None, "API key that selects this account (X-API-Key); required.")
    api_secret: str | None = setting(
        TEXT,
        None,
        "Secret that signs this account's requests; required when [server] require_signature is on.",
        secret=True,
    )
    balances: dict[str, Decimal] | None = setting(
        BALANCES, None, "Starting balances, ASSET:AMOUNT, ...; empty uses [accounts] default_balance."
    )
    maker_fee: Decimal | None = setting(
        DECIMAL,
        None,
        "This account's maker fee rate on every symbol, overriding the symbols' rates (a fee tier of its"
        " own); empty with taker_fee set: [exchange] maker_fee; both empty: the symbols' own rates.",
        between(0, Decimal("0.1")),
    )
    taker_fee: Decimal | None = setting(
        DECIMAL,
        None,
        "This account's taker fee rate on every symbol, likewise (empty with maker_fee set: [exchange]'s).",
        between(0, Decimal("0.1")),
    )

    def problems(self) -> list[tuple[str, str]]:
        """(key, reason) pairs for a key that is missing or malformed."""
        if self.api_key is None:
            return [("api_key", "required")]
        if not _API_KEY.match(self.api_key):
            return [("api_key", "must be 8 to 128 characters of [A-Za-z0-9_-]")]
        return []


@section
class MarketDataConfig:
    """[market_data]: the price model that moves every symbol (a [symbol:NAME] may override it)."""

    model: str = setting(
        TEXT,
        "stochastic_volatility",
        "Price model: stochastic_volatility, gbm, random_walk, geometric_walk, jump_diffusion,"
        " ornstein_uhlenbeck, csv, or one a plugin registers in the exchangesim.price_models entry point"
        " group.",
    )
    drift: float = setting(
        REAL, 0.0, "Annualised drift of the price model (0.05 = +5% a year).", between(-100.0, 100.0)
    )
    volatility: float = setting(
        REAL, 0.8, "Annualised volatility of the price model (0.8 = 80% a year).", between(0.0, 100.0)
    )
    speed: float = setting(
        REAL,
        1.0,
        "How fast market time runs against the wall clock (10: ten seconds of market a second); ticks,"
        " agents and candles keep pace. Authentication windows and rate limits stay on the wall clock.",
        between(0.001, 1_000_000.0),
    )
    jump_rate: float = setting(
        REAL,
        0.0,
        "jump_diffusion: expected jumps a year. The drift is compensated: the price's expected growth"
        " stays drift, so with falling jumps (jump_mean < 0) it climbs between them by design.",
        between(0.0, 1_000_000_000.0),
    )
    jump_mean: float = setting(REAL, 0.0, "jump_diffusion: mean of the log jump size (-0.05: 5% drops).")
    jump_stdev: float = setting(
        REAL, 0.0, "jump_diffusion: standard deviation of the log jump size.", at_least(0.0)
    )
    reversion_rate: float = setting(
        REAL, 1.0, "ornstein_uhlenbeck: speed of reversion to mean_price, per year.", at_least(0.0)
    )
    replay_speed: float = setting(
        REAL, 1.0, "csv: how fast the recording plays (2: twice as fast).", between(0.001, 1_000_000.0)
    )
    vol_of_vol: float = setting(
        REAL,
        0.7,
        "stochastic_volatility: how far the volatility wanders (the standard deviation of its log); the"
        " long-run annualised volatility stays volatility.",
        between(0.0, 3.0),
    )
    vol_half_life_s: float = setting(
        REAL,
        20.0,
        "stochastic_volatility: seconds of market time in which a calm or stormy spell halves its distance"
        " from the usual volatility.",
        between(0.001, 31_536_000.0),
    )
    vol_jump_rate: float = setting(
        REAL,
        0.3,
        "stochastic_volatility: jumps a second of market time, on average (0: none).",
        between(0.0, 1000.0),
    )
    vol_jump_share: float = setting(
        REAL,
        0.3,
        "stochastic_volatility: share of the variance that comes as jumps, each in proportion to the"
        " volatility of its moment, so they cluster in stormy spells.",
        between(0.0, 0.99),
    )


FSYNC_POLICIES = ("always", "batch", "off")
"""When the journal is forced to disk: after every record, within fsync_batch_ms of a write, or never."""


def _not_blank(value: str) -> None:
    if not value.strip():
        raise ValueError("must name a folder")


@section
class PersistenceConfig:
    """[persistence]: the journal and snapshots a restarted daemon resumes from."""

    enabled: bool = setting(
        BOOLEAN,
        True,
        "Journal every change of state and snapshot it, and resume from them at start; false keeps the"
        " run in memory only.",
    )
    path: str = setting(
        TEXT,
        "exchangesim-data",
        "Folder of the journal and snapshots (created 0700); a relative path is relative to the daemon's"
        " working directory. One daemon at a time may use it. twistd exchangesim --fresh (make run"
        " FRESH=1) moves it aside, deleting nothing, to start afresh.",
        _not_blank,
    )
    fsync: str = setting(
        TEXT,
        "batch",
        "When the journal is forced to disk: always (each change, before it is acknowledged), batch"
        " (within fsync_batch_ms of a change) or off (the OS decides). Every change is written to the OS"
        " before it is acknowledged, so a killed process loses nothing with any of them.",
        one_of(FSYNC_POLICIES),
    )
    fsync_batch_ms: int = setting(
        INTEGER, 5, "batch: the longest a written change waits to be forced to disk.", between(1, 10_000)
    )
    snapshot_interval: int = setting(
        INTEGER,
        60,
        "Seconds between snapshots, each of which starts a new journal file (older files are deleted);"
        " 0 snapshots only at start and shutdown.",
        between(0, 86_400),
    )


@section
class FailuresConfig:
    """[failures]: fault injection as a whole; each fault is a [failure:NAME] section."""

    enabled: bool = setting(
        BOOLEAN,
        False,
        "Apply the configured faults; false starts them halted (POST /api/v1/admin/failures/resume"
        " starts them).",
    )
    seed: int | None = setting(
        INTEGER, None, "Seed of the fault decisions; empty derives it from [exchange] seed.", at_least(0)
    )
    audit_file: str | None = setting(
        PATH, None, "Append one JSON line per injected fault to this file; empty keeps no file."
    )
    allow_header_control: bool = setting(
        BOOLEAN,
        False,
        "Let a request carry its own one-off fault in X-Sim-Fault-* headers (X-Sim-Fault-Mode: delay, ...).",
    )
    max_active_faults: int = setting(
        INTEGER,
        64,
        "Most faults active at once, configured and added at run time together (header faults have"
        " their own bound, max_header_faults).",
        between(1, 10_000),
    )
    max_header_faults: int = setting(
        INTEGER,
        16,
        "Most one-off faults from X-Sim-Fault-* headers at once (each lasts while its request is open);"
        " one more is answered 429.",
        between(1, 10_000),
    )
    max_fault_duration: int = setting(
        INTEGER,
        3600,
        "Seconds: the longest any duration key of a fault may be (duration, start, period, hold_ms,"
        " base_ms, ...), and the longest a fault holds a message or request; longer values are refused.",
        between(1, 604_800),
    )
    audit_max_bytes: int = setting(
        INTEGER,
        64 << 20,
        "Size of audit_file past which it is rotated to audit_file.1 (one rotated file is kept).",
        between(4096, 1 << 40),
    )


FAILURE_EXAMPLE = """\
# [failure:NAME]: one fault. `mode` names a failure mode (python -m exchangesim.failures lists
# them with their parameters); the common keys target it (layer, stage, route, channel, symbol, account,
# connection, direction), schedule it (start, duration, period) and trigger it (probability, first,
# nth, after, count); the mode's own parameters follow. For example, lose a fifth of order acks:
# [failure:ack-loss]
# mode = drop
# layer = rest
# stage = post_engine
# route = POST /api/v1/orders
# probability = 0.2
"""


@section
class Config:
    """The whole configuration; ``Config()`` holds the defaults, ``config_checks.load_config`` reads files
    into it."""

    server: ServerConfig = attrs.field(factory=ServerConfig)
    exchange: ExchangeConfig = attrs.field(factory=ExchangeConfig)
    symbols: dict[str, SymbolConfig] = attrs.field(factory=_default_symbols)
    accounts: AccountsConfig = attrs.field(factory=AccountsConfig)
    named_accounts: dict[str, AccountConfig] = attrs.field(factory=dict)
    market_data: MarketDataConfig = attrs.field(factory=MarketDataConfig)
    liquidity: LiquidityConfig = attrs.field(factory=LiquidityConfig)
    persistence: PersistenceConfig = attrs.field(factory=PersistenceConfig)
    failures: FailuresConfig = attrs.field(factory=FailuresConfig)
    faults: dict[str, dict[str, Any]] = attrs.field(factory=dict)
    """[failure:NAME] sections: the keys as given, checked against the mode's schema by the failures
    package's validator."""
    conditions: dict[str, dict[str, Any]] = attrs.field(factory=dict)
    """[condition:NAME] sections: market conditions, the keys as given, checked by the market data's
    validator."""

    def traded_symbols(self) -> dict[str, SymbolConfig]:
        """The [symbol:NAME] sections of the symbols [exchange] lists, in that order."""
        return {name: self.symbols[name] for name in self.exchange.symbols if name in self.symbols}


CONDITION_PREFIX = "condition"
"""[condition:NAME] sections: market conditions, kept as given in ``Config.conditions``."""

CONDITION_EXAMPLE = """\
# [condition:NAME]: a market condition, scheduled like a fault in market time: kind = volatility |
# liquidity | spread (factor multiplies it), halt (no factor), crash (factor: the fraction the price
# moves over duration), trend (factor: the drift a year); symbol (empty: every symbol); start,
# duration, period. For example, a storm of twice the volatility for a minute every ten:
# [condition:storm]
# kind = volatility
# factor = 2
# start = 5m
# duration = 1m
# period = 10m
"""

FAILURE_PREFIX = "failure"
"""[failure:NAME] sections: their keys depend on the mode, so they are kept as given in ``Config.faults``."""

SECTIONS: dict[str, str] = {
    "server": "server",
    "exchange": "exchange",
    "accounts": "accounts",
    "market_data": "market_data",
    "liquidity": "liquidity",
    "persistence": "persistence",
    "failures": "failures",
}
"""INI section name -> ``Config`` attribute, for the sections that appear once."""

NAMED_SECTIONS: dict[str, tuple[str, type, Kind]] = {
    "symbol": ("symbols", SymbolConfig, SYMBOL),
    "account": ("named_accounts", AccountConfig, ACCOUNT_NAME),
}
"""INI section prefix (``[symbol:BTC/USD]``) -> ``Config`` attribute holding a dict, its class, and the
kind of the name after the colon."""
