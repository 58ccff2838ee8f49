// The market conditions panel, over /api/v1/admin/conditions (with the fault panel's admin token): the
// conditions with their schedule and whether each is active now, a switch per condition, a form to add
// one, and a remove button. Like a fault, a condition has no "off" state in the API: switching one off
// removes it (what it changed goes back) and the page keeps its keys to add it again, from then on,
// when switched on. The list is polled, and drawn again at once when the FAULTS channel reports a
// condition starting or ending.

import {AdminPanel} from "./admin_panel.js";
import {el, keepRows, setText} from "./dom.js";
import {nextName} from "./faults.js";

const OFF_KEY = "exchangesim.disabledConditions";
const POLL_MS = 2000;
const FIELDS = ["kind", "symbol", "factor", "start", "duration", "period"];

export class ConditionsPanel extends AdminPanel {
  constructor(rest, nodes, onChange) {
    super(rest, nodes, onChange, "/admin/conditions"); // nodes: {locked, body, list, addForm, result}
    this.conditions = null; // as GET lists them
    this.off = JSON.parse(sessionStorage.getItem(OFF_KEY) || "{}"); // name -> the body to add it again
    nodes.addForm.addEventListener("submit", (event) => {
      event.preventDefault();
      this.add();
    });
    nodes.addForm.elements.kind.addEventListener("change", () => this.syncFactor());
    this.syncFactor();
  }

  /** The admin token from the fault panel (null: locked). */
  setToken(token) {
    this.token = token;
    clearInterval(this.polling);
    this.nodes.locked.hidden = token !== null;
    this.nodes.body.hidden = token === null;
    if (token === null) {
      this.conditions = null;
      return;
    }
    this.refresh();
    this.polling = setInterval(() => this.refresh(), POLL_MS);
  }

  /** The symbols a condition may name (empty: every symbol). */
  setSymbols(symbols) {
    const select = this.nodes.addForm.elements.symbol;
    select.replaceChildren(el("option", {value: ""}, "all symbols"), ...symbols.map((symbol) => el("option", {value: symbol}, symbol)));
  }

  syncFactor() {
    const form = this.nodes.addForm.elements;
    const halt = form.kind.value === "halt";
    form.factor.disabled = halt;
    form.factor.placeholder = halt ? "no factor" : form.kind.value === "crash" ? "factor: -0.1" : "factor";
  }

  /** A FAULTS channel event: a condition that started or ended is shown so at once. */
  received(event) {
    if (event.fault === "admin" && String(event.action).startsWith("condition_")) this.refresh();
  }

  async refresh() {
    if (this.token === null) return;
    const changes = this.changes;
    let answer;
    try {
      answer = await this.admin("GET");
    } catch (error) {
      this.report("error", error.describe());
      return;
    }
    if (changes !== this.changes) return; // changed meanwhile: a newer answer is on its way
    this.conditions = answer.conditions;
    this.onChange();
  }

  async add() {
    const form = this.nodes.addForm.elements;
    const body = {name: form.name.value.trim()};
    for (const key of FIELDS) {
      const value = form[key].disabled ? "" : form[key].value.trim();
      if (value) body[key] = value;
    }
    if (await this.act("POST", "", `condition ${body.name} added`, body)) {
      delete this.off[body.name];
      this.save();
      form.name.value = nextName(form.name.value);
    }
  }

  /** A switch was flipped: as the fault panel does, remember what it asks and queue the request. */
  toggle(name, on) {
    this.wanted.set(name, on);
    const queued = (this.queues.get(name) || Promise.resolve()).then(() => this.follow(name));
    this.queues.set(name, queued);
    queued.then(() => {
      if (this.queues.get(name) === queued) this.queues.delete(name);
    });
    this.onChange();
  }

  async follow(name) {
    const on = this.wanted.get(name);
    const listed = (this.conditions || []).find((known) => known.name === name);
    if (on && !listed && this.off[name]) {
      const added = await this.act("POST", "", `condition ${name} on`, {name, ...this.off[name]});
      if (added && this.conditions) {
        delete this.off[name];
        this.conditions = [...this.conditions, added];
      }
    } else if (!on && listed) {
      if ((await this.act("DELETE", `/${encodeURIComponent(name)}`, `condition ${name} off`)) && this.conditions) {
        this.off[name] = bodyOf(listed);
        this.conditions = this.conditions.filter((known) => known.name !== name);
      }
    }
    this.save();
    if (this.wanted.get(name) === on) this.wanted.delete(name); // done, unless flipped again meanwhile
    this.onChange();
  }

  async remove(name) {
    this.wanted.delete(name);
    if (name in this.off) {
      delete this.off[name];
      this.save();
      this.onChange();
      return;
    }
    await this.act("DELETE", `/${encodeURIComponent(name)}`, `condition ${name} removed`);
  }

  save() {
    sessionStorage.setItem(OFF_KEY, JSON.stringify(this.off));
  }

  /** Every condition the page knows, on (listed by the daemon) or off (kept here), in the order first seen. */
  items() {
    const byName = new Map();
    for (const condition of this.conditions) byName.set(condition.name, {...condition, on: true});
    for (const [name, body] of Object.entries(this.off)) {
      if (!byName.has(name)) byName.set(name, {name, ...fromBody(body), active: false, on: false});
    }
    for (const name of byName.keys()) if (!this.order.includes(name)) this.order.push(name);
    this.order = this.order.filter((name) => byName.has(name));
    return this.order.map((name) => byName.get(name));
  }

  draw() {
    if (this.conditions === null) return;
    keepRows(
      this.nodes.list,
      this.items(),
      (condition) => condition.name,
      (condition) => [
        el("td", {}, el("label", {class: "switch"},
          el("input", {type: "checkbox", role: "switch", "data-condition": condition.name, "aria-label": `condition ${condition.name}`,
            onchange: (event) => this.toggle(condition.name, event.target.checked)}),
          el("span", {}))),
        el("td", {class: "name"}, el("span", {}, condition.name), el("div", {class: "sub"})),
        el("td", {class: "nowrap"}, el("span", {}), el("div", {class: "sub"})),
        el("td", {class: "state"}),
        el("td", {}, el("button", {class: "icon", type: "button", title: "remove", "aria-label": `remove condition ${condition.name}`, onclick: () => this.remove(condition.name)}, "×")),
      ],
      (row, condition) => {
        const [switchCell, nameCell, kindCell, stateCell] = row.cells;
        const input = switchCell.querySelector("input");
        const on = this.wanted.has(condition.name) ? this.wanted.get(condition.name) : condition.on;
        if (input.checked !== on) input.checked = on;
        nameCell.firstChild.className = condition.active ? "live" : "";
        setText(nameCell.lastChild, schedule(condition));
        setText(kindCell.firstChild, condition.factor === null || condition.factor === undefined ? condition.kind : `${condition.kind} ${factorText(condition)}`);
        setText(kindCell.lastChild, condition.symbol || "all symbols");
        const state = !on ? "off" : condition.active ? "active" : "idle";
        setText(stateCell, state);
        stateCell.className = `state ${state === "active" ? "warn" : "dim"}`;
        row.dataset.state = state;
      },
      "no conditions",
      5,
    );
  }

  snapshot() {
    return {unlocked: this.conditions !== null, conditions: this.conditions ? this.conditions.length : 0};
  }
}

function factorText(condition) {
  const factor = Number(condition.factor);
  if (condition.kind === "crash") return `${factor > 0 ? "+" : ""}${(factor * 100).toFixed(1)}%`;
  if (condition.kind === "trend") return `${factor}/yr`;
  return `×${factor}`;
}

/** "from 5m, for 1m, every 10m", from the listing's milliseconds. */
function schedule(condition) {
  const parts = [];
  if (condition.start_ms) parts.push(`from ${duration(condition.start_ms)}`);
  parts.push(condition.duration_ms === null || condition.duration_ms === undefined ? "until removed" : `for ${duration(condition.duration_ms)}`);
  if (condition.period_ms) parts.push(`every ${duration(condition.period_ms)}`);
  return parts.join(", ");
}

/** A duration as the API takes it: 250ms, 1.5s, 2m. */
function duration(ms) {
  if (ms % 60000 === 0) return `${ms / 60000}m`;
  if (ms % 1000 === 0 || ms >= 10000) return `${+(ms / 1000).toFixed(1)}s`;
  return `${ms}ms`;
}

/** The POST body that adds a listed condition again (its start from then on). */
function bodyOf(condition) {
  const body = {kind: condition.kind};
  if (condition.symbol) body.symbol = condition.symbol;
  if (condition.factor !== null && condition.factor !== undefined) body.factor = condition.factor;
  if (condition.start_ms) body.start = `${condition.start_ms}ms`;
  if (condition.duration_ms !== null && condition.duration_ms !== undefined) body.duration = `${condition.duration_ms}ms`;
  if (condition.period_ms) body.period = `${condition.period_ms}ms`;
  return body;
}

/** A kept body, shown like a listed condition. */
function fromBody(body) {
  const ms = (text) => (text === undefined ? null : Number(String(text).replace(/ms$/, "")));
  return {
    kind: body.kind,
    symbol: body.symbol ?? null,
    factor: body.factor ?? null,
    start_ms: ms(body.start) ?? 0,
    duration_ms: ms(body.duration),
    period_ms: ms(body.period),
  };
}
