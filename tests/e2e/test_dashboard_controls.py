"""The dashboard's controls as people use them, against a daemon whose market and faults keep the page
busy: a firing fault's switch pressed ten times at human speed toggles ten times; the switch shows on,
on-but-halted and off; market conditions are listed with their state, added, switched and removed next
to the faults; the order form and the fault controls work from the keyboard alone.
"""

from __future__ import annotations

import itertools
import re

import pytest
from playwright.sync_api import Page, expect

from exchangesim.admin_client import Admin, AdminError

from .test_dashboard import ADMIN_TOKEN, SCREENSHOTS, WAIT_MS, chromium, dashboard_daemon, live_dashboard

PRESS_MS = 120  # how long a person holds the mouse button on a click
BETWEEN_MS = 150  # and how long until the next one
SWITCH_STATE = """(name) => {
  const input = document.querySelector(`#fault-list input[data-fault="${name}"]`);
  const track = getComputedStyle(input.nextElementSibling);
  return {checked: input.checked, state: input.parentElement.dataset.state, track: track.backgroundColor,
          striped: track.backgroundImage.includes("gradient")};
}"""
"""What a fault's switch shows: checked or not, its state (on, halted, off), its track's colour, stripes."""
BUSY_ROW = "document.querySelector('#fault-list input[data-fault=busy]').closest('tr')"


@pytest.fixture(scope="module")
def daemon(tmp_path_factory):
    with dashboard_daemon(tmp_path_factory) as daemon:
        yield daemon


@pytest.fixture(scope="module")
def browser():
    with chromium() as browser:
        yield browser


@pytest.fixture(scope="module")
def admin(daemon) -> Admin:
    return Admin(daemon.base_url, ADMIN_TOKEN)


@pytest.fixture
def page(browser, daemon, admin):
    """The dashboard, unlocked with the admin token; faults and conditions are cleared after the test."""
    try:
        with live_dashboard(browser, daemon, session={"exchangesim.adminToken": ADMIN_TOKEN}) as page:
            expect(page.locator("#fault-body")).to_be_visible()
            yield page
    finally:
        admin.apply_faults({})
        admin.resume_faults()
        for condition in admin.request("GET", "/conditions")["conditions"]:
            admin.request("DELETE", f"/conditions/{condition['name']}")


def firing(page: Page, admin: Admin, name: str) -> None:
    """Add a fault that fires on most TICKER messages, and wait until the page shows it firing."""
    admin.add_fault(name, "drop", layer="ws", channel="TICKER", probability="0.5")
    expect(page.locator("#fault-log")).to_contain_text(name, timeout=WAIT_MS)
    expect(page.locator(f"#fault-list input[data-fault={name}]")).to_have_count(1)


def test_a_firing_faults_switch_toggles_at_every_press_at_human_speed(page: Page, admin: Admin):
    firing(page, admin, "busy")
    switch = page.locator("#fault-list input[data-fault=busy]")
    page.evaluate(f"(mark) => {{ {BUSY_ROW}.marked = mark; }}", "the row pressed")
    box = switch.bounding_box()
    assert box is not None
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    mutations: list[str] = []
    page.on("request", lambda r: r.url.endswith("/admin/failures/busy") and mutations.append(r.method))
    page.mouse.move(x, y)
    shown = []
    for _ in range(10):
        page.mouse.down()
        page.wait_for_timeout(PRESS_MS)
        page.mouse.up()
        page.wait_for_timeout(BETWEEN_MS)  # the fault fires and the list is drawn meanwhile
        shown.append(page.evaluate(SWITCH_STATE, "busy")["checked"])
    # Each press flipped the switch, and the switch stayed where the press left it.
    assert shown == [press % 2 == 1 for press in range(10)], shown
    assert page.evaluate("() => exchangesimDashboard.stats().faults.toggles") == 10
    assert page.evaluate(f"() => {BUSY_ROW}.marked") == "the row pressed"  # the same row all along
    # The daemon followed: after an even number of presses the fault is on, and it fires again.
    page.wait_for_function("() => exchangesimDashboard.stats().faults.pending === 0", timeout=WAIT_MS)
    assert admin.request("GET", "/failures/busy")["name"] == "busy"
    assert mutations and set(mutations) <= {"PUT", "DELETE"} and len(mutations) <= 10, mutations
    assert all(a != b for a, b in itertools.pairwise(mutations)), mutations  # off, on, off, ...: none lost
    expect(page.locator("#fault-list tr:has(input[data-fault=busy]) td.num")).not_to_have_text("\N{EN DASH}")


def test_the_switch_shows_on_on_but_halted_and_off(page: Page, admin: Admin):
    firing(page, admin, "shown")
    expect(page.locator("#faults-halted")).to_be_hidden()
    on = page.evaluate(SWITCH_STATE, "shown")
    assert (on["checked"], on["state"], on["striped"]) == (True, "on", False), on
    assert on["track"] == "rgb(43, 179, 166)", on  # green

    page.locator("#faults-halt").click()
    expect(page.locator("#faults-state")).to_have_text("HALTED")
    expect(page.locator("#fault-list label.switch.halted input[data-fault=shown]")).to_have_count(1)
    halted = page.evaluate(SWITCH_STATE, "shown")
    assert (halted["checked"], halted["state"], halted["striped"]) == (True, "halted", True), halted
    expect(page.locator("#faults-halted")).to_be_visible()
    expect(page.locator("#fault-list label.switch.halted")).to_have_attribute(
        "title", re.compile("^on, but .*halted")
    )
    # A fault added while halted says it will not fire yet.
    form = page.locator("#fault-form")
    form.locator("[name=name]").fill("added-halted")
    form.locator("[name=channel]").fill("CANDLES")
    form.locator("button").click()
    expect(page.locator("#fault-result")).to_have_text(
        'fault added-halted added (injection is halted: "Resume all" starts it)'
    )
    SCREENSHOTS.mkdir(exist_ok=True)
    page.locator("section.faults").screenshot(path=str(SCREENSHOTS / "dashboard-faults-halted.png"))

    page.locator("#faults-resume").click()
    expect(page.locator("#fault-list label.switch.on input[data-fault=shown]")).to_have_count(1)
    page.locator("#fault-list label.switch:has(input[data-fault=shown])").click()
    expect(page.locator("#fault-list label.switch.off input[data-fault=shown]")).to_have_count(1)
    expect(page.locator("#fault-result")).to_have_text("fault shown disabled")
    off = page.evaluate(SWITCH_STATE, "shown")
    assert (off["checked"], off["state"], off["striped"]) == (False, "off", False), off
    assert off["track"] not in (on["track"],), off
    with pytest.raises(AdminError):
        admin.request("GET", "/failures/shown")


def test_market_conditions_are_listed_added_switched_and_removed(page: Page, admin: Admin):
    storm_keys = {"name": "storm", "kind": "volatility", "factor": "1.5", "duration": "10m"}
    admin.request("POST", "/conditions", storm_keys)
    storm = page.locator("#condition-list tr:has(input[data-condition=storm])")
    expect(storm).to_have_attribute("data-state", "active", timeout=WAIT_MS)
    expect(storm).to_contain_text("volatility \N{MULTIPLICATION SIGN}1.5")
    expect(storm).to_contain_text("all symbols")
    expect(storm).to_contain_text("for 10m")

    form = page.locator("#condition-form")
    form.locator("[name=name]").fill("later")
    form.locator("[name=kind]").select_option("halt")
    expect(form.locator("[name=factor]")).to_be_disabled()
    form.locator("[name=symbol]").select_option("ETH/USD")
    form.locator("[name=start]").fill("10m")
    form.locator("[name=duration]").fill("1m")
    form.locator("[name=period]").fill("20m")
    form.locator("button").click()
    expect(page.locator("#condition-result")).to_have_text("condition later added")
    later = page.locator("#condition-list tr:has(input[data-condition=later])")
    expect(later).to_have_attribute("data-state", "idle")
    expect(later).to_contain_text("from 10m, for 1m, every 20m")
    listed = {c["name"]: c for c in admin.request("GET", "/conditions")["conditions"]}
    later_keys = (listed["later"]["kind"], listed["later"]["symbol"], listed["later"]["period_ms"])
    assert later_keys == ("halt", "ETH/USD", 1_200_000), listed

    # Switched off: removed from the daemon (what it changed goes back), kept by the page; on: back.
    storm.locator("label.switch").click()
    expect(storm).to_have_attribute("data-state", "off")
    expect(page.locator("#condition-result")).to_have_text("condition storm off")
    assert "storm" not in {c["name"] for c in admin.request("GET", "/conditions")["conditions"]}
    storm.locator("label.switch").click()
    expect(storm).to_have_attribute("data-state", "active", timeout=WAIT_MS)
    again = {c["name"]: c for c in admin.request("GET", "/conditions")["conditions"]}["storm"]
    assert (again["kind"], again["factor"], again["duration_ms"]) == ("volatility", "1.5", 600_000)

    later.locator("button[aria-label='remove condition later']").click()
    expect(later).to_have_count(0)
    assert "later" not in {c["name"] for c in admin.request("GET", "/conditions")["conditions"]}
    # Conditions start and end in the fault log too (audit events of the fault "admin").
    expect(page.locator("#fault-log")).to_contain_text("condition_started")


def test_the_order_form_and_the_fault_controls_work_from_the_keyboard(page: Page, admin: Admin, daemon):
    # The order form: the side by arrow keys, then Tab from field to field, Enter submits.
    page.locator("#order-form input[name=side][value=BUY]").focus()
    page.keyboard.press("ArrowRight")
    expect(page.locator("#order-form input[value=SELL]")).to_be_checked()
    expect(page.locator(".side.sell span")).to_have_css("outline-style", "solid")  # where the focus is shows
    page.keyboard.press("ArrowLeft")
    expect(page.locator("#order-form input[value=BUY]")).to_be_checked()
    for name in ("type", "time_in_force", "quantity"):
        page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement.name") == name
    page.keyboard.type("0.0100")
    page.keyboard.press("Tab")
    page.keyboard.type("1000.00")  # far below the market: it rests
    page.keyboard.press("Enter")
    result = page.locator("#order-result")
    expect(result).to_contain_text(" NEW")
    order_id = result.inner_text().split()[1]
    cancel = page.locator(f"#open-orders button[data-order-id='{order_id}']")
    cancel.focus()
    page.keyboard.press("Enter")
    expect(result).to_have_text(f"order {order_id} CANCELED")

    # The fault controls: Tab from "forget token" reaches the first switch; Space toggles it.
    firing(page, admin, "keyed")
    page.locator("#faults-forget").focus()
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.dataset.fault") == "keyed"
    expect(page.locator("#fault-list input[data-fault=keyed] + span")).to_have_css("outline-style", "solid")
    page.keyboard.press("Space")
    expect(page.locator("#fault-result")).to_have_text("fault keyed disabled")
    page.keyboard.press("Space")
    expect(page.locator("#fault-result")).to_have_text("fault keyed enabled")
    page.keyboard.press("Tab")  # the remove button
    assert page.evaluate("document.activeElement.getAttribute('aria-label')") == "remove fault keyed"
    page.keyboard.press("Enter")
    expect(page.locator("#fault-result")).to_have_text("fault keyed removed")
    expect(page.locator("#fault-list input[data-fault=keyed]")).to_have_count(0)
    daemon.call("DELETE", "/api/v1/orders?symbol=BTC/USD")
