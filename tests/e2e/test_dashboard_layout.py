"""The dashboard's layout at a phone's, a tablet's and two desktops' widths, with the dense book of the
liquid market, an account whose balances carry fee decimals, a firing fault and two market conditions:
one column, two, then the full grid; no horizontal scroll and no element whose content overflows its
box; the ladder holds exactly the rows its panel fits, each one a level; the tape scrolls; the price
chart's time labels are inside the chart and its date in the heading; price grouping and the depth
chart's range; text contrast.

One page is resized through the widths (a page load per width would cost more than the checks), and
each width leaves a screenshot in ``tests/e2e/screenshots/`` (ignored by git).
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from exchangesim.admin_client import Admin

from .test_dashboard import (
    ADMIN_TOKEN,
    API_KEY,
    SCREENSHOTS,
    WAIT_MS,
    chromium,
    dashboard_daemon,
    live_dashboard,
)

WIDTHS = {390: 844, 768: 1024, 1280: 800, 1920: 1080}  # width: height, a phone to a desktop
COLUMNS = {390: 1, 768: 2, 1280: 4, 1920: 4}
CLIPPED = """() => {
  const classes = (node) => typeof node.className === "string" && node.className.trim()
    ? "." + node.className.trim().split(/ +/).join(".") : "";
  const name = (node) => node.tagName.toLowerCase() + (node.id ? "#" + node.id : "") + classes(node);
  const where = (node) => {
    const panel = node.closest(".panel, .topbar");
    return `${panel ? name(panel) + " " : ""}${name(node)} "${node.textContent.trim().slice(0, 40)}"`;
  };
  const clipped = [];
  const measure = document.createElement("canvas").getContext("2d");
  const page = document.documentElement;
  if (page.scrollWidth > page.clientWidth) {
    clipped.push(`the page scrolls sideways: ${page.scrollWidth} px in ${page.clientWidth}`);
  }
  for (const node of document.querySelectorAll(".topbar, .topbar *, .panel, .panel *")) {
    if (node.closest(".plot") || !node.getClientRects().length) continue; // plotly's, or not shown
    const style = getComputedStyle(node);
    if (style.display === "inline" || style.clip.startsWith("rect(0px")) continue; // no box; screen readers
    if (node.tagName === "OPTION") continue;
    if (node.tagName === "INPUT" || node.tagName === "SELECT") {
      // A field's text (its value, placeholder or chosen option) against its box less padding and arrow.
      const select = node.tagName === "SELECT";
      const shown = select ? node.selectedOptions[0]?.text ?? "" : node.value || node.placeholder;
      const text = node.type === "password" ? "" : shown;
      measure.font = style.font;
      const wide = Math.ceil(measure.measureText(text).width);
      const padding = parseFloat(style.paddingLeft) + parseFloat(style.paddingRight);
      const room = node.clientWidth - padding - (select ? 20 : 0); // a select's arrow takes about 20 px
      if (wide > room + 1) clipped.push(`${where(node)} "${text}": ${wide} px in ${room}`);
      continue;
    }
    if (node.scrollWidth > node.clientWidth + 1) {
      clipped.push(`${where(node)}: ${node.scrollWidth} px in ${node.clientWidth}`);
    }
    if (node.classList.contains("panel") && node.scrollHeight > node.clientHeight + 1) {
      clipped.push(`${where(node)} cut at the bottom: ${node.scrollHeight} px in ${node.clientHeight}`);
    }
  }
  return clipped;
}"""
"""Everything that shows less than its content: the page scrolling sideways, any box (a panel, a table
cell, a heading, the top bar's figures) whose content is wider than it, a field whose text (value,
placeholder or chosen option) is wider than its box, a panel cut at the bottom."""
SETTLED = """() => {
  const plots = [...document.querySelectorAll(".plot")].every((plot) => plot._fullLayout
    && Math.abs(plot._fullLayout.width - plot.clientWidth) <= 1
    && Math.abs(plot._fullLayout.height - plot.clientHeight) <= 1);
  const half = document.querySelector("#ladder .ladder-side.asks").clientHeight;
  return plots && exchangesimDashboard.stats().ladder.rows === Math.max(1, Math.floor(half / 16));
}"""
"""The page has followed a resize: each chart drawn at its panel's size, the ladder at its rows."""
TWO_FRAMES = "() => new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)))"
LADDER = """() => {
  const ladder = document.getElementById("ladder");
  const rows = (kind) => [...ladder.querySelectorAll(".level." + kind)];
  const shown = (kind) => rows(kind).filter((row) => !row.hidden);
  const half = ladder.querySelector(".ladder-side.asks");
  return {
    fits: exchangesimDashboard.stats().ladder.rows,
    room: Math.floor(half.clientHeight / 16),
    built: [rows("ask").length, rows("bid").length],
    shown: [shown("ask").length, shown("bid").length],
    blank: [...shown("ask"), ...shown("bid")].filter((r) => !r.querySelector(".price").textContent).length,
  };
}"""
DATE_LABEL = """() => {
  const chart = document.getElementById("price-chart");
  const box = chart.getBoundingClientRect();
  // Shown labels only: plotly hides one that would reach past the chart ("hide past div").
  const labels = [...chart.querySelectorAll(".xtick text")].filter((l) => l.getBoundingClientRect().width);
  const outside = labels.filter((label) => {
    const r = label.getBoundingClientRect();
    return r.bottom > box.bottom + 0.5 || r.top < box.top - 0.5
      || r.left < box.left - 0.5 || r.right > box.right + 0.5;
  });
  const span = (r) => [r.left, r.right, r.top, r.bottom].map((v) => v.toFixed(1)).join(" ");
  const where = (label) => `${label.textContent} at ${span(label.getBoundingClientRect())} in ${span(box)}`;
  return {labels: labels.map((l) => l.textContent), outside: outside.map(where),
          date: document.getElementById("chart-date").textContent};
}"""
TAPE_FULL = """() => exchangesimDashboard.stats().trades === 60
  && document.querySelectorAll("#trades tr:not(.empty)").length === 60"""
"""The tape holds its 60 trades, each a row."""
TAPE = """() => {
  const scroller = document.querySelector(".tape .scroll");
  const rows = document.querySelectorAll("#trades tr:not(.empty)");
  scroller.scrollTop = scroller.scrollHeight;
  const last = rows[rows.length - 1].getBoundingClientRect();
  const box = scroller.getBoundingClientRect();
  const shown = {
    rows: rows.length,
    scrolls: scroller.scrollHeight > scroller.clientHeight,
    overflowY: getComputedStyle(scroller).overflowY,
    lastInView: last.bottom <= box.bottom + 1 && last.top >= box.top - 1,
  };
  scroller.scrollTop = 0;
  return shown;
}"""
CONTRAST = """() => {
  const parse = (text) => {
    const m = /rgba?\\(([^)]+)\\)/.exec(text);
    if (!m) return null;
    const [r, g, b, a = 1] = m[1].split(/[\\s,\\/]+/).filter(Boolean).map(Number);
    return [r, g, b, a];
  };
  const over = (top, under) => [0, 1, 2].map((i) => top[i] * top[3] + under[i] * (1 - top[3])).concat(1);
  const background = (node) => {
    const layers = [];
    for (let n = node; n; n = n.parentElement) {
      const color = parse(getComputedStyle(n).backgroundColor);
      if (color && color[3] > 0) layers.push(color);
      if (color && color[3] >= 1) break;
    }
    return layers.reverse().reduce((under, layer) => over(layer, under), [255, 255, 255, 1]);
  };
  const luminance = (rgb) => {
    const linear = (c) => (c /= 255) <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
    const [r, g, b] = rgb.slice(0, 3).map(linear);
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  };
  const failures = [];
  let checked = 0;
  for (const node of document.querySelectorAll("body *")) {
    if (node.closest(".plot") || !node.getClientRects().length) continue;
    if (getComputedStyle(node).clip.startsWith("rect(0px")) continue; // for screen readers only
    if (node.matches(":disabled")) continue; // an inactive control is exempt (WCAG 1.4.3)
    const placeholder = node.tagName === "INPUT" && node.placeholder && !node.value;
    const text = [...node.childNodes].some((child) => child.nodeType === 3 && child.textContent.trim())
      || ["INPUT", "SELECT"].includes(node.tagName);
    if (!text) continue;
    const style = getComputedStyle(node, placeholder ? "::placeholder" : null);
    const under = background(node);
    const color = over(parse(style.color), under);
    const [light, dark] = [luminance(color), luminance(under)].sort((a, b) => b - a);
    const ratio = (light + 0.05) / (dark + 0.05);
    const size = parseFloat(style.fontSize);
    const large = size >= 24 || (size >= 18.66 && Number(style.fontWeight) >= 700);
    checked += 1;
    if (ratio < (large ? 3 : 4.5)) {
      const words = (placeholder ? node.placeholder : node.textContent).trim().slice(0, 30);
      failures.push(`${node.tagName.toLowerCase()}.${node.className} "${words}" ${ratio.toFixed(2)}:1`);
    }
  }
  return {checked, failures};
}"""
"""Each visible text's colour against what is behind it (the ancestors' backgrounds composited), to
WCAG AA: 4.5:1, or 3:1 for large text. Plotly's SVG labels are left out (their #8b98a9 is 6.1:1); the
ladder's size bars, translucent siblings behind the text, keep it above 4.8:1."""


@pytest.fixture(scope="module")
def daemon(tmp_path_factory):
    with dashboard_daemon(tmp_path_factory) as daemon:
        yield daemon


@pytest.fixture(scope="module")
def browser():
    with chromium() as browser:
        yield browser


@pytest.fixture(scope="module")
def busy_page(browser, daemon):
    """The dashboard with everything a panel can hold: the trader's account after fills (balances with
    fee decimals, positions with PnL), a resting order, a refused one (the connection panel's error
    line), a fault firing on TICKER and two market conditions, one of them running."""
    admin = Admin(daemon.base_url, ADMIN_TOKEN)
    trader = {"X-API-Key": API_KEY}
    for order in (
        {"symbol": "BTC/USD", "side": "BUY", "type": "MARKET", "quantity": "0.0123"},
        {"symbol": "ETH/USD", "side": "SELL", "type": "MARKET", "quantity": "0.12345"},
        {"symbol": "BTC/USD", "side": "BUY", "type": "LIMIT", "quantity": "0.0123", "price": "40000.00"},
    ):
        status, answer = daemon.call("POST", "/api/v1/orders", order, headers=trader)
        assert status in (200, 201), answer
    admin.add_fault("layout-ticker", "drop", layer="ws", channel="TICKER", probability="0.2")
    conditions = [
        {"name": "layout-calm", "kind": "volatility", "factor": "1", "duration": "10m"},
        {
            "name": "layout-eth-halts",
            "kind": "halt",
            "symbol": "ETH/USD",
            "start": "10m",
            "duration": "1m",
            "period": "20m",
        },
    ]
    for condition in conditions:
        admin.request("POST", "/conditions", condition)
    session = {"exchangesim.apiKey": API_KEY, "exchangesim.adminToken": ADMIN_TOKEN}
    try:
        with live_dashboard(browser, daemon, 1280, 800, session=session) as page:
            form = page.locator("#order-form")
            form.locator("[name=quantity]").fill("0.0100")
            form.locator("[name=price]").fill("1000.001")  # refused: TOO_MANY_DECIMALS, the last REST error
            form.locator("button[type=submit]").click()
            expect(page.locator("#last-error")).to_contain_text("TOO_MANY_DECIMALS", timeout=WAIT_MS)
            expect(page.locator("#balances")).to_contain_text("USD")
            expect(page.locator("#open-orders button.cancel")).to_have_count(1)
            expect(page.locator("#fault-log")).to_contain_text("layout-ticker", timeout=WAIT_MS)
            expect(page.locator("#condition-list tr[data-state=active]")).to_have_count(1, timeout=WAIT_MS)
            page.wait_for_function("() => exchangesimDashboard.stats().trades >= 30", timeout=WAIT_MS)
            yield page
    finally:
        admin.apply_faults({})
        for condition in conditions:
            admin.request("DELETE", f"/conditions/{condition['name']}")
        daemon.call("DELETE", "/api/v1/orders?symbol=BTC/USD", headers=trader)


@pytest.mark.parametrize("width", list(WIDTHS))
def test_the_page_reflows_and_nothing_overflows_its_box(busy_page: Page, width: int):
    page = busy_page
    page.set_viewport_size({"width": width, "height": WIDTHS[width]})
    page.evaluate("() => window.scrollTo(0, 0)")
    page.wait_for_function(SETTLED, timeout=WAIT_MS)
    page.evaluate(TWO_FRAMES)  # the ladder's new rows drawn
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"dashboard-{width}.png"), full_page=True)

    assert page.evaluate(CLIPPED) == []
    lefts = page.evaluate("() => [...document.querySelectorAll('.panel')].map((p) => p.offsetLeft)")
    assert len(set(lefts)) == COLUMNS[width], lefts
    for figure in ("high", "low", "volume"):  # the 24 h figures, at every width
        expect(page.locator(f"#{figure}")).to_be_in_viewport()
        expect(page.locator(f"#{figure}")).not_to_have_text("\N{EN DASH}")

    # The ladder: as many rows a side as its half of the panel holds, each showing a level.
    ladder = page.evaluate(LADDER)
    assert ladder["fits"] == ladder["room"] >= 5, ladder
    assert ladder["built"] == ladder["shown"] == [ladder["fits"]] * 2 and ladder["blank"] == 0, ladder

    # The price chart's time labels are inside the chart, and its heading says the date.
    labels = page.evaluate(DATE_LABEL)
    assert len(labels["labels"]) >= 2 and labels["outside"] == [], labels
    assert re.search(r"[0-9]{4}", labels["date"]), labels


def test_the_trade_tape_scrolls_through_all_its_rows(busy_page: Page):
    busy_page.set_viewport_size({"width": 1280, "height": 800})
    busy_page.wait_for_function(SETTLED, timeout=WAIT_MS)
    busy_page.wait_for_function(TAPE_FULL, timeout=WAIT_MS)
    tape = busy_page.evaluate(TAPE)
    assert tape["rows"] >= 60, tape
    assert tape["scrolls"] and tape["overflowY"] == "auto" and tape["lastInView"], tape


def test_text_has_aa_contrast_against_its_background(busy_page: Page):
    busy_page.set_viewport_size({"width": 1920, "height": 1080})
    busy_page.wait_for_function(SETTLED, timeout=WAIT_MS)
    contrast = busy_page.evaluate(CONTRAST)
    assert contrast["checked"] > 200 and contrast["failures"] == [], contrast


def test_price_grouping_sums_levels_into_rows_of_10_and_100_ticks(busy_page: Page):
    page = busy_page
    # The page's own grouping on a known book: a bid joins the row at or below it, an ask the one above.
    grouped = page.evaluate(
        """async () => {
          const {OrderBook} = await import("/dashboard/book.js");
          const book = new OrderBook({call: async () => ({})}, "BTC/USD", () => {});
          book.snapshot({seq: 1, bids: [["100.09", "1"], ["100.01", "2"], ["99.99", "4"], ["99.90", "8"]],
                         asks: [["100.11", "1"], ["100.19", "2"], ["100.21", "4"]]});
          const market = {tick: 0.01, priceDecimals: 2, quantityDecimals: 1};
          const rows = (side, count, group) =>
            book.grouped(side, count, market, group).map((row) => [row[2], row[3]]);
          return {bids: rows("bids", 10, 10), asks: rows("asks", 10, 10),
                  bids100: rows("bids", 1, 100), ticks: rows("bids", 2, 1)};
        }"""
    )
    assert grouped == {
        "bids": [["100.0", "3.0"], ["99.9", "12.0"]],
        "asks": [["100.2", "3.0"], ["100.3", "4.0"]],
        "bids100": [["100", "3.0"]],
        "ticks": [["100.09", "1"], ["100.01", "2"]],
    }

    # The selector offers BTC/USD's tick and its multiples, and the ladder follows it.
    group = page.locator("#book-group")
    assert group.locator("option").all_inner_texts() == ["0.01", "0.1", "1", "10"]
    for label, pattern, step in (
        ("0.1", r"^[0-9]+[.][0-9]$", 0.1),
        ("10", r"^[0-9]+$", 10),
        ("0.01", r"^[0-9]+[.][0-9]{2}$", 0.01),
    ):
        group.select_option(label=label)
        page.wait_for_function(
            f"""() => [...document.querySelectorAll("#ladder .level:not([hidden]):not(.head) .price")]
                  .every((cell) => /{pattern}/.test(cell.textContent))""",
            timeout=WAIT_MS,
        )
        bids, asks = page.evaluate(
            """() => ["bid", "ask"].map((kind) =>
                [...document.querySelectorAll(`#ladder .level.${kind}:not([hidden]) .price`)]
                    .map((cell) => Number(cell.textContent)))"""
        )
        assert bids == sorted(bids, reverse=True) and len(set(bids)) == len(bids) >= 3, (label, bids)
        assert asks == sorted(asks, reverse=True) and len(set(asks)) == len(asks) >= 3, (label, asks)
        assert min(asks) > max(bids), (label, bids, asks)
        assert all(abs(price / step - round(price / step)) < 1e-6 for price in bids + asks), (
            label,
            bids,
            asks,
        )
    assert page.evaluate("exchangesimDashboard.stats().ladder.group") == 1


def test_the_depth_chart_spans_the_chosen_range_around_the_mid(busy_page: Page):
    page = busy_page
    for value, fraction in (("0.005", 0.005), ("0.002", 0.002)):
        page.locator("#depth-range").select_option(value)
        page.wait_for_function(
            f"""() => {{
              const range = document.getElementById("depth-chart").layout.xaxis.range;
              return Math.abs((range[1] - range[0]) / (range[1] + range[0]) - {fraction}) < 1e-9;
            }}""",
            timeout=WAIT_MS,
        )
        bids, asks, (low, high) = page.evaluate(
            """() => { const chart = document.getElementById("depth-chart");
                       return [chart.data[0].x, chart.data[1].x, chart.layout.xaxis.range]; }"""
        )
        # Each side runs from the touch out to the range's edge, and no level outside it is drawn.
        assert bids[-1] == pytest.approx(low) and asks[-1] == pytest.approx(high), (
            bids[-1],
            asks[-1],
            low,
            high,
        )
        assert all(low <= x <= high for x in bids + asks)
        assert bids[0] < asks[0]
    expect(page.locator("#depth-range")).to_have_value("0.002")
    assert re.fullmatch(r"±0[.]2%", page.locator("#depth-range option:checked").inner_text())
