"""The dashboard in a real browser (Debian's chromium driven by Playwright) against a daemon on loopback.

The market runs as ``make run`` has it (1 ms ticks, liquidity agents on), so the page is checked under
load: the chart draws candles, the ladder fills, an order placed from the form shows in open orders and
is canceled from there, a refused order shows the API's own message, a drop fault added from the fault
panel moves the BOOK gap counter, and the page keeps drawing at least 20 frames a second (DESIGN §10.14,
measured with the page's own frame counter). One screenshot per run goes to ``tests/e2e/screenshots/``
(ignored by git). The layout at four widths is checked in ``test_dashboard_layout.py``, the fault and
condition controls under clicks and keys in ``test_dashboard_controls.py``; both use this module's
configuration and helpers.
"""

from __future__ import annotations

import json
import re
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from exchangesim.admin_client import Admin, AdminError
from exchangesim.client.dashboard import dashboard_url

from .daemon import Daemon, running

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-quic",
    "--no-first-run",
    "--disable-sync",
]
ADMIN_TOKEN = "dashboard-admin-token"
API_KEY = "dashboard-trader-key"
CONFIG = f"""
[server]
admin_token = {ADMIN_TOKEN}
[exchange]
tick_interval_ms = 1
[liquidity]
enabled = true
[failures]
enabled = true
[account:trader]
api_key = {API_KEY}
api_secret = dashboard-trader-secret
balances = USD:100000, BTC:10, ETH:100

[symbol:ETH/USD]
initial_price = 3000.000
tick_size = 0.001
lot_size = 0.00001
"""
BOOK_GAPS_SHOWN = """(() => {
  const rows = [...document.querySelectorAll("#health-channels tr")];
  const row = rows.find((tr) => tr.cells[0].textContent === "BOOK");
  return row ? Number(row.cells[3].textContent) : null;
})()"""
"""The BOOK row's gap count as the health panel shows it (null before the row is drawn)."""
SCREENSHOTS = Path(__file__).with_name("screenshots")
SCREENSHOT = SCREENSHOTS / "dashboard.png"
WAIT_MS = 20_000  # for any one thing the page should show
FPS_WINDOW_MS = 2_000
MIN_FPS = 20
READY = """() => {
  const hook = window.exchangesimDashboard;
  if (!hook) return false;
  const s = hook.stats();
  return s.chartRenders.price > 0 && s.book !== null && s.book.state === "live" && s.ws.state === "open";
}"""


@contextmanager
def dashboard_daemon(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Daemon]:
    """A daemon as ``make run`` has it (the liquid market at 1 ms ticks, faults enabled), for a module."""
    with running(tmp_path_factory.mktemp("dashboard"), CONFIG) as daemon:
        yield daemon


@contextmanager
def chromium() -> Iterator[Browser]:
    """Debian's chromium, headless, driven by Playwright."""
    assert Path(CHROMIUM).exists(), f"{CHROMIUM} is missing: `make test` installs Debian's chromium package"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@contextmanager
def live_dashboard(
    browser: Browser,
    daemon: Daemon,
    width: int = 1600,
    height: int = 1000,
    session: dict[str, str] | None = None,
) -> Iterator[Page]:
    """A fresh browser context (its own sessionStorage, seeded with ``session``) on the dashboard, once
    it is live; no page error may happen meanwhile."""
    context = browser.new_context(viewport={"width": width, "height": height})
    if session:
        context.add_init_script(
            "".join(f"sessionStorage.setItem({json.dumps(k)}, {json.dumps(v)});" for k, v in session.items())
        )
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(daemon.base_url + "/")
    try:
        page.wait_for_function(READY, timeout=WAIT_MS)
    except PlaywrightTimeout:
        shown = page.evaluate("window.exchangesimDashboard && window.exchangesimDashboard.stats()")
        pytest.fail(f"the dashboard did not go live: {shown}, page errors {errors}")
    try:
        yield page
    finally:
        context.close()
    assert not errors, errors


@pytest.fixture(scope="module")
def daemon(tmp_path_factory):
    with dashboard_daemon(tmp_path_factory) as daemon:
        yield daemon


@pytest.fixture(scope="module")
def browser():
    with chromium() as browser:
        yield browser


@pytest.fixture
def page(browser: Browser, daemon: Daemon):
    with live_dashboard(browser, daemon) as page:
        yield page


@pytest.fixture(scope="module")
def admin(daemon: Daemon) -> Admin:
    return Admin(daemon.base_url, ADMIN_TOKEN)


def stats(page: Page) -> dict:
    return page.evaluate("window.exchangesimDashboard.stats()")


def unlock_faults(page: Page) -> None:
    page.locator("#fault-unlock input[name=token]").fill(ADMIN_TOKEN)
    page.locator("#fault-unlock button").click()
    expect(page.locator("#fault-body")).to_be_visible()


def add_fault_from_panel(page: Page, name: str, channel: str, probability: str) -> None:
    form = page.locator("#fault-form")
    form.locator("[name=name]").fill(name)
    form.locator("[name=mode]").select_option("drop")
    form.locator("[name=layer]").select_option("ws")
    form.locator("[name=channel]").fill(channel)
    form.locator("[name=probability]").fill(probability)
    form.locator("button").click()
    expect(page.locator("#fault-result")).to_contain_text(f"fault {name} added")


def test_the_page_is_served_at_the_root_and_the_index_stays_json_for_clients(daemon):
    html = urllib.request.Request(daemon.base_url + "/", headers={"Accept": "text/html"})
    with urllib.request.urlopen(html, timeout=10) as response:
        assert response.headers["Content-Type"].startswith("text/html")
        assert b"/dashboard/plotly.min.js" in response.read()
    status, index = daemon.call("GET", "/")
    assert (status, index["links"]["dashboard"]) == (200, "/")
    with urllib.request.urlopen(daemon.base_url + "/dashboard/plotly.min.js", timeout=10) as response:
        assert b"Plotly" in response.read(2000)


def test_the_page_shows_the_symbol_the_clis_url_names(browser, daemon):
    context = browser.new_context()
    try:
        page = context.new_page()
        page.goto(dashboard_url(daemon.base_url, "ETH/USD"))  # not the first symbol: BTC/USD is
        page.wait_for_function("() => window.exchangesimDashboard?.stats().symbol", timeout=WAIT_MS)
        assert stats(page)["symbol"] == "ETH/USD"
        expect(page.locator("#symbol")).to_have_value("ETH/USD")
    finally:
        context.close()


def test_prices_and_sizes_show_to_each_symbols_own_steps(browser, daemon):
    """ETH/USD trades here in 0.001 ticks and 0.00001 lots (BTC/USD in 0.01 and 0.0001)."""
    context = browser.new_context(viewport={"width": 1600, "height": 1000})
    try:
        page = context.new_page()
        page.goto(dashboard_url(daemon.base_url, "ETH/USD"))
        page.wait_for_function(READY, timeout=WAIT_MS)
        expect(page.locator("#last-price")).to_have_text(re.compile(r"^[0-9]+[.][0-9]{3}$"), timeout=WAIT_MS)
        expect(page.locator("#ladder .spread")).to_have_text(
            re.compile(r"^spread [0-9]+[.][0-9]{3} [(]"), timeout=WAIT_MS
        )
        expect(page.locator("#ladder .level.bid .num.dim").first).to_have_text(
            re.compile(r"^[0-9]+[.][0-9]{5}$"), timeout=WAIT_MS
        )
        assert page.evaluate("document.getElementById('price-chart').layout.yaxis.tickformat") == ",.3f"
    finally:
        context.close()


def test_the_price_chart_draws_candles_and_the_ladder_fills(page):
    # Plotly's own traces in the chart's node: candles with points, and the last-price line.
    page.wait_for_function(
        """() => {
          const chart = document.getElementById("price-chart");
          return chart.data && chart.data[0].type === "candlestick" && chart.data[0].x.length > 0
            && chart.layout.shapes.length === 1;
        }""",
        timeout=WAIT_MS,
    )
    page.wait_for_function(
        "() => (document.getElementById('depth-chart').data || []).some((t) => t.x.length > 0)",
        timeout=WAIT_MS,
    )
    ladder = page.locator("#ladder")
    expect(ladder.locator(".level.bid .price").first).not_to_be_empty()
    expect(ladder.locator(".level.ask .price").last).not_to_be_empty()
    # Both sides read in one evaluation: the liquid market moves between two separate reads.
    bids, asks = page.evaluate(
        """() => [".level.bid:not([hidden]) .price", ".level.ask:not([hidden]) .price"].map((selector) =>
            [...document.querySelectorAll("#ladder " + selector)].map((cell) => Number(cell.textContent)))"""
    )
    assert len(bids) >= 5 and len(asks) >= 5, (bids, asks)
    assert bids == sorted(bids, reverse=True)
    assert asks == sorted(asks, reverse=True)  # drawn top-down: the best ask sits above the spread
    assert min(asks) > max(bids)
    expect(page.locator("#trades tr").first).not_to_be_empty()


def test_the_pages_seq_checks_and_book_resync_classify_and_repair(page):
    """The page's own modules, run in the page: a tracker tells gaps, repeats and late messages apart,
    and a book that sees a gap takes a REST snapshot and applies the deltas buffered past it."""
    result = page.evaluate(
        """async () => {
          const {ChannelCounters, SequenceTracker} = await import("/dashboard/counters.js");
          const counters = new ChannelCounters();
          const tracker = new SequenceTracker(counters);
          const verdicts = [5, 6, 8, 8, 7, 9].map((seq) => tracker.observe(seq));

          const {OrderBook} = await import("/dashboard/book.js");
          let release;
          const rest = {call: () => new Promise((resolve) => {
            release = () => resolve({bids: [["100.00", "1.0"]], asks: [["101.00", "2.0"]], sequence: 12});
          })};
          const book = new OrderBook(rest, "BTC/USD", () => {});
          book.snapshot({seq: 10, bids: [["99.00", "1.0"]], asks: []});
          book.delta({seq: 11, side: "BUY", price: "98.00", quantity: "1.0"});
          book.delta({seq: 11, side: "BUY", price: "98.00", quantity: "5.0"});  // a repeat: ignored
          const before = {bids: [...book.bids], seq: book.seq};
          book.delta({seq: 13, side: "SELL", price: "101.00", quantity: "0"});  // 12 is missing
          book.delta({seq: 14, side: "SELL", price: "102.00", quantity: "3.0"});
          const during = book.state;
          release();
          await new Promise((resolve) => setTimeout(resolve, 0));  // the snapshot's continuation has run
          return {verdicts, counters: counters.snapshot(), before, during,
                  after: {bids: [...book.bids], asks: [...book.asks], seq: book.seq, state: book.state,
                          resyncs: book.resyncs}};
        }"""
    )
    assert result["verdicts"] == ["first", "next", "gap", "duplicate", "late", "next"]
    counters = result["counters"]
    assert (counters["gaps"], counters["missing"], counters["duplicates"], counters["outOfOrder"]) == (
        1,
        1,
        1,
        1,
    )
    assert result["before"] == {"bids": [["99.00", "1.0"], ["98.00", "1.0"]], "seq": 11}
    assert result["during"] == "resyncing"
    assert result["after"] == {
        "bids": [["100.00", "1.0"]],
        "asks": [["102.00", "3.0"]],
        "seq": 14,
        "state": "live",
        "resyncs": 1,
    }


def test_the_book_of_a_symbol_left_ignores_its_pending_resync(page):
    result = page.evaluate(
        """async () => {
          const {OrderBook} = await import("/dashboard/book.js");
          let release, calls = 0;
          const rest = {call: () => { calls += 1; return new Promise((resolve) => { release = resolve; }); }};
          const book = new OrderBook(rest, "BTC/USD", () => {});
          book.delta({seq: 3, side: "BUY", price: "1.00", quantity: "1"});  // no snapshot yet: a resync
          book.close();  // the page switched to another symbol meanwhile
          release({bids: [["2.00", "1"]], asks: [], sequence: 3});
          await new Promise((resolve) => setTimeout(resolve, 0));
          return {state: book.state, bids: [...book.bids], calls};
        }"""
    )
    assert result == {"state": "closed", "bids": [], "calls": 1}


def test_an_order_from_the_form_shows_in_open_orders_and_is_canceled_from_there(page, daemon):
    page.locator("#api-key").fill(API_KEY)
    page.locator("#api-key").dispatch_event("change")
    expect(page.locator("#account-name")).to_have_text("trader")
    form = page.locator("#order-form")
    form.locator("select[name=type]").select_option("LIMIT")
    form.locator("[name=quantity]").fill("0.0100")
    form.locator("[name=price]").fill("1000.00")  # far below the market: it rests
    form.locator("button[type=submit]").click()
    result = page.locator("#order-result")
    expect(result).to_contain_text(" NEW")
    order_id = result.inner_text().split()[1]
    cancel = page.locator(f"#open-orders button[data-order-id='{order_id}']")
    expect(cancel).to_be_visible()
    cancel.click()
    expect(result).to_have_text(f"order {order_id} CANCELED")
    expect(cancel).to_have_count(0)
    status, order = daemon.call("GET", f"/api/v1/orders/{order_id}", headers={"X-API-Key": API_KEY})
    assert (status, order["status"]) == (200, "CANCELED")


def test_a_refused_order_shows_the_apis_message_and_marks_the_field(page, daemon):
    bad = {"symbol": "BTC/USD", "side": "BUY", "type": "LIMIT", "quantity": "0.0100", "price": "1000.001"}
    status, refusal = daemon.call("POST", "/api/v1/orders", bad)
    assert status == 400
    form = page.locator("#order-form")
    form.locator("[name=quantity]").fill(bad["quantity"])
    form.locator("[name=price]").fill(bad["price"])
    form.locator("button[type=submit]").click()
    error = refusal["error"]
    expect(page.locator("#order-result")).to_have_text(
        f"400 {error['code']} ({error['field']}): {error['message']}"
    )
    expect(form.locator("[name=price]")).to_have_class("invalid")


def test_a_drop_fault_from_the_panel_makes_the_book_gap_counter_move(page, admin):
    unlock_faults(page)
    expect(page.locator("#faults-state")).to_have_text("ACTIVE")
    page.wait_for_function(f"() => {BOOK_GAPS_SHOWN} !== null", timeout=WAIT_MS)
    assert page.evaluate(BOOK_GAPS_SHOWN) == 0  # no fault, no gap
    try:
        add_fault_from_panel(page, "panel-gaps", "BOOK", "0.3")
        page.wait_for_function(
            "() => exchangesimDashboard.stats().ws.channels.BOOK.gaps > 0", timeout=WAIT_MS
        )
        page.wait_for_function(f"() => {BOOK_GAPS_SHOWN} > 0", timeout=WAIT_MS)  # drawn, not just counted
        # The FAULTS channel's counters and log show what was injected.
        expect(page.locator("#fault-counters")).to_contain_text("panel-gaps")
        expect(page.locator("#fault-log")).to_contain_text("BOOK")
        # The book resynchronized from a snapshot and is live again.
        page.wait_for_function(
            "() => { const b = exchangesimDashboard.stats().book; return b.resyncs && b.state === 'live'; }",
            timeout=WAIT_MS,
        )

        # Switched off: removed from the daemon, kept by the page; switched on: back as it was.
        switch = page.locator("#fault-list label.switch:has(input[data-fault='panel-gaps'])")
        switch.click()
        expect(page.locator("#fault-result")).to_have_text("fault panel-gaps disabled")
        with pytest.raises(AdminError) as gone:
            admin.request("GET", "/failures/panel-gaps")
        assert gone.value.status == 404
        switch.click()
        expect(page.locator("#fault-result")).to_have_text("fault panel-gaps enabled")
        fault = admin.request("GET", "/failures/panel-gaps")
        assert (fault["given"]["channel"], fault["given"]["probability"]) == ("BOOK", "0.3")

        page.locator("#faults-halt").click()
        expect(page.locator("#faults-state")).to_have_text("HALTED")
        assert admin.faults()["enabled"] is False
        page.locator("#faults-resume").click()
        expect(page.locator("#faults-state")).to_have_text("ACTIVE")

        # The token is asked once: a reload finds it in sessionStorage.
        page.reload()
        expect(page.locator("#fault-body")).to_be_visible()
        expect(page.locator("#fault-list")).to_contain_text("panel-gaps")
    finally:
        admin.apply_faults({})
        admin.resume_faults()


def test_the_page_reconnects_and_resubscribes_after_its_socket_is_reset(page, admin):
    listed = admin.request("GET", "/failures/connections")
    sockets = [connection["id"] for connection in listed["connections"] if connection["layer"] == "ws"]
    assert sockets, listed
    before = stats(page)
    for connection in sockets:
        admin.request("DELETE", f"/failures/connections/{connection}")
    page.wait_for_function("() => exchangesimDashboard.stats().ws.reconnects >= 1", timeout=WAIT_MS)
    # Live again: a fresh BOOK snapshot and new trades or book changes arrive on the new socket.
    page.wait_for_function(
        f"""() => {{
          const s = exchangesimDashboard.stats();
          return s.ws.state === "open" && s.book.state === "live" && s.book.seq > {before["book"]["seq"]};
        }}""",
        timeout=WAIT_MS,
    )
    expect(page.locator("#ws-state")).to_have_text("OPEN")
    expect(page.locator("#reconnects")).to_have_text("1")


def test_the_page_keeps_20_frames_a_second_at_1ms_ticks(page, daemon, admin):
    """DESIGN §10.14, with the page's own counters over a 2 s window; then the run's screenshot."""
    unlock_faults(page)
    try:
        add_fault_from_panel(page, "screenshot-gaps", "BOOK", "0.2")
        form = page.locator("#order-form")
        form.locator("[name=quantity]").fill("0.0100")
        form.locator("[name=price]").fill("1000.00")
        form.locator("button[type=submit]").click()
        expect(page.locator("#open-orders button.cancel").first).to_be_visible()

        start = page.evaluate(
            "() => { const s = exchangesimDashboard.stats(); return {...s, at: performance.now()}; }"
        )
        page.wait_for_function(f"() => performance.now() - {start['at']} >= {FPS_WINDOW_MS}", polling=100)
        end = page.evaluate(
            "() => { const s = exchangesimDashboard.stats(); return {...s, at: performance.now()}; }"
        )
        seconds = (end["at"] - start["at"]) / 1000
        fps = (end["frames"] - start["frames"]) / seconds
        messages = sum(c["messages"] for c in end["ws"]["channels"].values()) - sum(
            c["messages"] for c in start["ws"]["channels"].values()
        )
        # The window was under load: messages kept arriving and the charts kept being redrawn.
        assert messages > 0 and end["redraws"] > start["redraws"], (start, end)
        assert end["chartRenders"]["price"] > start["chartRenders"]["price"], (start, end)
        assert fps >= MIN_FPS, f"{fps:.1f} frames/s over {seconds:.2f} s"
        print(f"dashboard: {fps:.1f} frames/s, {messages / seconds:.0f} messages/s over {seconds:.2f} s")

        page.wait_for_function("() => exchangesimDashboard.stats().faults.injected >= 5", timeout=WAIT_MS)
        SCREENSHOTS.mkdir(exist_ok=True)
        page.screenshot(path=str(SCREENSHOT))
    finally:
        admin.apply_faults({})
        daemon.call("DELETE", "/api/v1/orders?symbol=BTC/USD")
