"""Fair-price models: a base class advanced tick by tick, and the built-in stochastic processes.

Random numbers come from one numpy Generator per symbol, drawn a whole block of ticks at a time and consumed
in order; each model carries its state so that a tick follows from the previous one in exactly the same
floating-point operations however the ticks are grouped. So ``path(10**6)`` and a thousand ``advance(1000)``
calls give the same prices, bit for bit, and a stalled reactor that catches up lands on the same path.

``advance`` works the path out ahead, up to ``ahead`` ticks at a time at the present drift and volatility,
so that a tick at a time costs a few attribute reads. The random numbers of those ticks are kept until the
ticks run: a change of the parameters, or a jump, works the rest out again from the same numbers and the
state reached. So when a change comes makes no difference to the path either.
"""

from __future__ import annotations

import math
from typing import ClassVar

import attrs
import numpy as np

__all__ = [
    "YEAR_SECONDS",
    "ArithmeticRandomWalk",
    "GeometricBrownianMotion",
    "GeometricRandomWalk",
    "MertonJumpDiffusion",
    "ModelSettings",
    "OrnsteinUhlenbeck",
    "PriceModel",
    "StochasticVolatility",
    "rng_for",
]

YEAR_SECONDS = 365 * 24 * 3600  # volatility and drift are per year
MAX_VOLATILITY = 100.0  # per year: 10,000% is past any market, and keeps exp() of a step finite
MAX_DRIFT = 100.0  # per year, either way
MAX_JUMP = 100.0  # a jump multiplies the price by at most 1 + MAX_JUMP


def _finite(instance: object, attribute: attrs.Attribute, value: float) -> None:
    """Refuse NaN and infinities, which the comparison validators let through in part."""
    if not math.isfinite(value):
        raise ValueError(f"{attribute.name!r} must be a finite number, got {value!r}")


_positive = [_finite, attrs.validators.gt(0)]
_non_negative = [_finite, attrs.validators.ge(0)]


@attrs.frozen
class ModelSettings:
    """What every model is built from (floats are fine here: this is a model of a fair price, not money)."""

    initial_price: float = attrs.field(validator=_positive)
    tick_seconds: float = attrs.field(validator=_positive)
    tick_size: float = attrs.field(validator=_positive)
    drift: float = attrs.field(
        default=0.0, validator=[_finite, attrs.validators.ge(-MAX_DRIFT), attrs.validators.le(MAX_DRIFT)]
    )
    volatility: float = attrs.field(
        default=0.8, validator=[*_non_negative, attrs.validators.le(MAX_VOLATILITY)]
    )
    jump_rate: float = attrs.field(default=0.0, validator=_non_negative)
    jump_mean: float = attrs.field(default=0.0, validator=_finite)
    jump_stdev: float = attrs.field(default=0.0, validator=_non_negative)
    reversion_rate: float = attrs.field(default=1.0, validator=_non_negative)
    mean_price: float | None = attrs.field(default=None, validator=attrs.validators.optional(_positive))
    replay_file: str | None = None
    replay_speed: float = attrs.field(default=1.0, validator=_positive)
    vol_of_vol: float = attrs.field(default=0.7, validator=[*_non_negative, attrs.validators.le(3.0)])
    vol_half_life_s: float = attrs.field(default=20.0, validator=_positive)
    vol_jump_rate: float = attrs.field(default=0.3, validator=_non_negative)
    vol_jump_share: float = attrs.field(default=0.3, validator=[*_non_negative, attrs.validators.lt(1.0)])


def rng_for(seed: int, symbol: str) -> np.random.Generator:
    """Generator(PCG64) seeded from the exchange seed and the symbol, the same in every run and process."""
    # The spawn key follows the entropy padded to the pool size, so (seed, symbol) pairs never collide.
    sequence = np.random.SeedSequence(seed, spawn_key=tuple(symbol.encode()))
    return np.random.Generator(np.random.PCG64(sequence))


class PriceModel:
    """Base class: a fair-price path advanced tick by tick.

    Subclass it the seed's way, overriding ``next_price(current)``, which ``advance`` and ``path`` then call
    once per tick; or the vectorized way of the built-ins, overriding ``_states`` (and ``_draw``,
    ``_state_of``, ``_price_of`` as needed). A model may read ``settings``, ``rng`` (its symbol's
    Generator), ``dt`` (one tick in years), ``price`` and the live ``drift`` and ``volatility``.
    """

    name: ClassVar[str] = ""
    block: ClassVar[int] = 4096  # random numbers are drawn this many ticks at a time
    ahead: ClassVar[int] = 1024  # advance works out this many ticks ahead at most

    def __init__(self, settings: ModelSettings, rng: np.random.Generator) -> None:
        self.settings = settings
        self.rng = rng
        self.drift = settings.drift
        self.volatility = settings.volatility
        self.dt = settings.tick_seconds / YEAR_SECONDS  # one tick, in years
        self._one_by_one = _steps_by_next_price(type(self))
        self._draws = self._draw(0)  # drawn, not used by a tick yet: an empty array of the model's shape
        self._clear_ahead()
        self._move_to(settings.initial_price)

    def __getstate__(self) -> dict[str, object]:
        """Pickled as the present state and the random numbers kept, without the ticks worked out ahead."""
        state = {name: value for name, value in self.__dict__.items() if name not in _AHEAD}
        state["_draws"] = self._draws[:, self._next :]
        return state

    def __setstate__(self, state: dict[str, object]) -> None:
        self.__dict__.update(state)
        self._clear_ahead()

    def calculate_trend(self) -> float:
        """The expected relative change over one tick (drift * dt), as the seed's models use it."""
        return self.drift * self.dt

    def next_price(self, current: float) -> float:
        """One tick of the model from ``current``, using up that tick's random numbers (the seed's hook)."""
        return self._price_of(self._states(self._state_of(current), self._take(1))).item()

    def advance(self, ticks: int) -> float:
        """Move ``ticks`` ticks (a catch-up draws every tick's increments) and return the new price.

        Ticks come from the path worked out ahead, twice as far each time it runs out (up to ``ahead``)
        and from one tick again after a change: a model changed every tick works out just that tick.
        """
        if ticks < 0:
            raise ValueError(f"cannot move {ticks} ticks")
        end = self._next + ticks
        if end > len(self._prices_ahead):
            if self._one_by_one or ticks > self.ahead:
                self.path(ticks)
                return self.price
            self._look_ahead(max(ticks, min(self.ahead, 2 * self._next)))
            end = ticks
        if ticks:
            self._next = end
            self.price = self._prices_ahead[end - 1]
            self._state = self._states_ahead[end - 1]
        return self.price

    def path(self, n: int) -> np.ndarray:
        """The next ``n`` prices (float64), advancing the model."""
        if n < 0:
            raise ValueError(f"cannot move {n} ticks")
        if self._one_by_one:
            prices = np.empty(n)
            for i in range(n):
                self.price = prices[i] = float(self.next_price(self.price))
            return prices
        states = self._states(self._state, self._take(n))
        if n:
            self._state = states[-1].item()  # before _price_of, which may reuse the array
        prices = self._price_of(states)
        if n:
            self.price = prices[-1].item()
        return prices

    def set_parameters(self, *, drift: float | None = None, volatility: float | None = None) -> None:
        """Change the drift or volatility (per year) from the next tick on."""
        if drift is not None and not -MAX_DRIFT <= drift <= MAX_DRIFT:
            raise ValueError(f"drift must be between {-MAX_DRIFT} and {MAX_DRIFT}, got {drift!r}")
        if volatility is not None and not 0 <= volatility <= MAX_VOLATILITY:
            raise ValueError(f"volatility must be between 0 and {MAX_VOLATILITY}, got {volatility!r}")
        self._forget_ahead()
        if drift is not None:
            self.drift = drift
        if volatility is not None:
            self.volatility = volatility

    def jump(self, fraction: float) -> None:
        """Multiply the price by (1 + fraction) now (a crash is negative); the path goes on from there."""
        if not -1 < fraction <= MAX_JUMP:
            raise ValueError(
                f"a jump must leave the price positive (-1 < fraction <= {MAX_JUMP}), got {fraction!r}"
            )
        self._forget_ahead()
        self._move_to(self.price * (1.0 + fraction))

    def _move_to(self, price: float) -> None:
        """Set the price, and the state it implies."""
        self._state = self._state_of(price)
        self.price = price

    def _state_of(self, price: float) -> float:
        """The model's state at ``price`` (the price itself unless the model walks on another scale)."""
        return price

    def _price_of(self, states: np.ndarray) -> np.ndarray:
        """The prices at ``states`` (a model may write them over ``states``)."""
        return states

    def _states(self, start: float, draws: np.ndarray) -> np.ndarray:
        """The states of the ticks after ``start`` whose random numbers are ``draws`` (a column a tick,
        the caller's to overwrite)."""
        raise NotImplementedError(f"{type(self).__name__} must override next_price(current)")

    def _draw(self, n: int) -> np.ndarray:
        """Fresh random numbers for ``n`` ticks, one row per kind (standard normals here)."""
        return self.rng.standard_normal((1, n))

    def _take(self, n: int) -> np.ndarray:
        """The next ``n`` ticks' random numbers, used up: the caller's to overwrite."""
        kept = self._kept(n)
        rest = kept[:, n:]
        self._draws = rest.copy() if n > self.block else rest  # a long path's draws are not kept alive
        return kept[:, :n]

    def _kept(self, n: int) -> np.ndarray:
        """The random numbers of the next ``n`` ticks or more (drawn a whole block at a time), kept."""
        self._forget_ahead()
        kept = self._draws
        missing = n - kept.shape[1]
        if missing > 0:
            blocks = (self._draw(self.block) for _ in range(-(-missing // self.block)))
            self._draws = kept = np.concatenate([kept, *blocks], axis=1)
        return kept

    def _look_ahead(self, n: int) -> None:
        """Work out the next ``n`` ticks at the present parameters, keeping their random numbers."""
        states = self._states(self._state, self._kept(n)[:, :n].copy())
        self._states_ahead = states.tolist()  # before _price_of, which may reuse the array
        self._prices_ahead = self._price_of(states).tolist()

    def _forget_ahead(self) -> None:
        """Drop the ticks worked out ahead (they no longer hold once the price or a parameter changes),
        and the random numbers of those of them already run."""
        if self._prices_ahead:
            self._draws = self._draws[:, self._next :]
            self._clear_ahead()

    def _clear_ahead(self) -> None:
        self._prices_ahead: list[float] = []  # the next ticks' prices and states, worked out ahead ...
        self._states_ahead: list[float] = []
        self._next = 0  # ... of which this many have run (their random numbers are still in _draws)


_AHEAD = ("_prices_ahead", "_states_ahead", "_next")  # what a pickled model leaves out


def _steps_by_next_price(cls: type) -> bool:
    """Whether ``cls`` overrides next_price below the class that vectorizes its steps (the seed's way)."""
    for klass in cls.__mro__:
        if "_states" in vars(klass):
            return False
        if "next_price" in vars(klass):
            return True
    return False


def _accumulate(start: float, steps: np.ndarray) -> np.ndarray:
    """``start`` plus the running sums of ``steps`` (a fresh array), added one at a time as ticks do."""
    if steps.size:
        steps[0] += start
    return np.cumsum(steps, out=steps)


_RUN = 4096  # ticks summed at a time by _accumulate_floored
_NEAR_FLOOR = 64  # ticks it steps one at a time after the floor stopped one


def _accumulate_floored(start: float, steps: np.ndarray, floor: float) -> np.ndarray:
    """``start`` plus the running sums of ``steps``, each stopped at ``floor``, written over ``steps``.

    Each state is max(previous + step, floor). A running sum adds the steps one at a time exactly as that
    does while it stays at or above the floor, so runs of ticks are summed at once, and only from a tick
    that crossed the floor is a stretch stepped one tick at a time. Every state is the same float either
    way, so the path does not depend on how its ticks are grouped. (The closed form
    floor + S_k - min(...) over the running sums S would round differently from one grouping to another.)
    """
    n = steps.size
    done = 0
    previous = start
    while done < n:
        run = steps[done : done + _RUN]
        raw = run.copy()  # the steps after a crossing, which the running sum overwrites
        _accumulate(previous, run)
        crossed = run < floor
        if not crossed.any():
            previous = run[-1].item()
            done += run.size
            continue
        first = int(crossed.argmax())
        stop = min(first + _NEAR_FLOOR, run.size)
        stretch = raw[first:stop].tolist()
        previous = stretch[0] = floor
        for i in range(1, len(stretch)):
            previous = stretch[i] = max(previous + stretch[i], floor)
        run[first:stop] = stretch
        run[stop:] = raw[stop:]  # summed again from the stretch's end
        done += stop
    return steps


class _LogWalk(PriceModel):
    """A walk of the log price: each tick adds (drift - volatility^2/2) dt + volatility sqrt(dt) * shock."""

    def _state_of(self, price: float) -> float:
        return math.log(price)

    def _price_of(self, states: np.ndarray) -> np.ndarray:
        return np.exp(states, out=states)

    def _states(self, start: float, draws: np.ndarray) -> np.ndarray:
        return _accumulate(start, self._log_steps(draws))

    def _log_steps(self, draws: np.ndarray) -> np.ndarray:
        """The log-returns of the ticks whose random numbers are ``draws`` (shocks in row 0)."""
        sigma = self.volatility
        steps = draws[0]  # overwritten in place: a long path allocates no more than it must
        steps *= sigma * math.sqrt(self.dt)
        steps += (self.drift - sigma * sigma / 2) * self.dt
        return steps


class GeometricBrownianMotion(_LogWalk):
    """Geometric Brownian motion, stepped exactly: normal log-returns of mean (mu - sigma^2/2) dt."""

    name = "gbm"


class GeometricRandomWalk(_LogWalk):
    """A binomial walk (Cox-Ross-Rubinstein): GBM's log step with a fair coin's +-1 in place of the normal.

    Every tick moves the log price by (drift - volatility^2/2) dt +- volatility sqrt(dt), so the log-returns
    have GBM's mean and variance; prices are not rounded to the tick grid.
    """

    name = "geometric_walk"

    def _draw(self, n: int) -> np.ndarray:
        return self.rng.integers(0, 2, (1, n), dtype=np.int8) * 2.0 - 1.0


class MertonJumpDiffusion(_LogWalk):
    """GBM plus Poisson jumps with normal log sizes J; drift is the expected growth, jumps included.

    The drift is compensated: between jumps the price moves as GBM with drift - jump_rate * E[e^J - 1],
    which offsets what the jumps are expected to do, so E[price after t] = price * exp(drift * t). With
    jumps that lose on average (E[e^J] < 1, as a negative jump_mean gives), the diffusion's drift is raised
    above drift: the price climbs between jumps by design, and the jumps take it back on average.

    The diffusion draws come first in each block and no jump draws are made when jump_rate is 0, so the
    path then equals GBM's for the same seed.
    """

    name = "jump_diffusion"

    def _draw(self, n: int) -> np.ndarray:
        shocks = self.rng.standard_normal(n)
        jumps = np.zeros(n)  # the sum of the log jump sizes in each tick
        settings = self.settings
        if settings.jump_rate > 0:
            counts = self.rng.poisson(settings.jump_rate * self.dt, n)
            hit = np.flatnonzero(counts)
            count = counts[hit]
            sizes = self.rng.standard_normal(hit.size)
            jumps[hit] = count * settings.jump_mean + np.sqrt(count) * settings.jump_stdev * sizes
        return np.stack((shocks, jumps))

    def _log_steps(self, draws: np.ndarray) -> np.ndarray:
        settings = self.settings
        mean_jump = math.expm1(settings.jump_mean + settings.jump_stdev**2 / 2)  # E[exp(J)] - 1
        steps = super()._log_steps(draws)
        steps += draws[1]
        steps -= settings.jump_rate * mean_jump * self.dt
        return steps


class StochasticVolatility(_LogWalk):
    """GBM whose volatility wanders, with jumps that come more often in stormy spells.

    log(sigma_t / base) follows a mean-reverting (Ornstein-Uhlenbeck) process of standard deviation
    ``vol_of_vol`` that halves its distance from its mean in ``vol_half_life_s`` seconds; base =
    volatility * exp(-vol_of_vol^2), so the long-run mean of sigma^2 is volatility^2 and the configured
    volatility stays the long-run annualised volatility. A share ``vol_jump_share`` of each moment's
    variance comes as jumps, ``vol_jump_rate`` a second, their size in proportion to sigma_t. Calm and
    stormy spells follow one another, which gives short-horizon returns their heavy tails and their
    volatility clustering (Cont's stylized facts).

    The volatility path is drawn a block at a time, in the same order however ticks are grouped; it is
    stored relative to ``volatility``, so ``set_parameters(volatility=...)`` rescales it from the next tick.
    """

    name = "stochastic_volatility"

    def __init__(self, settings: ModelSettings, rng: np.random.Generator) -> None:
        self._log_vol = rng.standard_normal() * settings.vol_of_vol  # a draw from its long-run law
        super().__init__(settings, rng)

    def _draw(self, n: int) -> np.ndarray:
        """Price shocks (row 0), each tick's sigma / volatility (row 1) and jump shocks (row 2: 0 for a
        tick without a jump)."""
        settings = self.settings
        draws = self.rng.standard_normal((3, n))
        jumps = self.rng.random(n) >= settings.vol_jump_rate * settings.tick_seconds
        draws[2][jumps] = 0.0
        s = settings.vol_of_vol
        decay = 0.5 ** (settings.tick_seconds / settings.vol_half_life_s)
        innovation = s * math.sqrt(1 - decay * decay)
        log_vol = self._log_vol
        scales = draws[1].tolist()
        for i, shock in enumerate(scales):  # each tick's log volatility follows from the one before
            log_vol = decay * log_vol + innovation * shock
            scales[i] = log_vol
        self._log_vol = log_vol
        draws[1] = np.exp(np.asarray(scales) - s * s)
        return draws

    def _log_steps(self, draws: np.ndarray) -> np.ndarray:
        settings = self.settings
        share = settings.vol_jump_share if settings.vol_jump_rate > 0 else 0.0
        sigma = draws[1] * self.volatility
        steps = draws[0]
        steps *= math.sqrt((1 - share) * self.dt)
        if share:
            jumps = draws[2]
            jumps *= math.sqrt(share / (settings.vol_jump_rate * YEAR_SECONDS))
            steps += jumps
        steps *= sigma
        sigma *= sigma
        sigma *= self.dt / 2
        steps -= sigma
        steps += self.drift * self.dt
        return steps


class ArithmeticRandomWalk(PriceModel):
    """An arithmetic walk of the price, floored at one tick: each tick adds a normal step in price units.

    The step's mean is drift * initial_price * dt and its stdev volatility * initial_price * sqrt(dt). The
    price is a float, not rounded to the tick grid (quotes are rounded where they are made), so steps far
    smaller than a tick still add up, and the volatility per unit of time does not depend on the tick
    length. The price never goes below one tick_size: a step, or a jump, that would cross that floor stops
    on it.
    """

    name = "random_walk"

    def _move_to(self, price: float) -> None:
        super()._move_to(price)
        self.price = self._state  # floored

    def _state_of(self, price: float) -> float:
        return max(price, self.settings.tick_size)

    def _states(self, start: float, draws: np.ndarray) -> np.ndarray:
        initial_price = self.settings.initial_price
        steps = draws[0]
        steps *= self.volatility * math.sqrt(self.dt) * initial_price
        steps += self.drift * self.dt * initial_price
        return _accumulate_floored(start, steps, self.settings.tick_size)


class OrnsteinUhlenbeck(PriceModel):
    """Mean reversion of the log price toward log(mean_price), stepped exactly.

    d(log X) = reversion_rate (log mean_price - log X) dt + volatility dW: the price stays positive,
    volatility means what it means for GBM, and mean_price is the median of the long-run distribution.
    There is no drift term. Each tick depends on the one before, so the path is a Python loop per tick.
    """

    name = "ornstein_uhlenbeck"

    def __init__(self, settings: ModelSettings, rng: np.random.Generator) -> None:
        self._log_mean = math.log(settings.mean_price or settings.initial_price)
        super().__init__(settings, rng)

    def _state_of(self, price: float) -> float:
        return math.log(price) - self._log_mean  # the distance from the mean, carried exactly tick to tick

    def _price_of(self, states: np.ndarray) -> np.ndarray:
        states += self._log_mean
        return np.exp(states, out=states)

    def _states(self, start: float, draws: np.ndarray) -> np.ndarray:
        theta = self.settings.reversion_rate
        decay = math.exp(-theta * self.dt)
        variance = -math.expm1(-2 * theta * self.dt) / (2 * theta) if theta > 0 else self.dt
        states = draws[0]
        states *= self.volatility * math.sqrt(variance)
        state = start
        for begin in range(0, states.size, self.block):  # a block at a time, as Python floats
            chunk = states[begin : begin + self.block].tolist()
            for i, shock in enumerate(chunk):
                state = decay * state + shock
                chunk[i] = state
            states[begin : begin + len(chunk)] = chunk
        return states
