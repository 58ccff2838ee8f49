// The fault panel, over /api/v1/admin/failures and the FAULTS channel: the admin token (asked once,
// kept in sessionStorage), the active faults with their keys and hits, a switch per fault, a form to
// add one, halt and resume all, injected-fault counters and a short log of the latest events.
//
// The API has no "disabled" state for one fault: switching one off removes it and the page keeps its
// keys (in sessionStorage) to put it back with PUT when switched on again.

import {clockTime, el, fillRows, keepRows, numCell, setText, showResult} from "./dom.js";
import {describeError} from "./rest.js";

const TOKEN_KEY = "exchangesim.adminToken";
const DISABLED_KEY = "exchangesim.disabledFaults";
const POLL_MS = 2000;
const LOG_LENGTH = 40;
const SHOWN_KEYS = ["layer", "stage", "channel", "route", "symbol", "probability", "nth", "first", "after", "count"];

export class FaultPanel {
  constructor(rest, socket, nodes, onChange) {
    this.rest = rest;
    this.socket = socket;
    this.nodes = nodes; // {unlock, body, status, list, addForm, result, counters, log, halt, resume, forget}
    this.onChange = onChange;
    this.token = sessionStorage.getItem(TOKEN_KEY);
    this.disabled = JSON.parse(sessionStorage.getItem(DISABLED_KEY) || "{}");
    this.described = null;
    this.counts = new Map(); // "fault|action" -> count, from the FAULTS channel
    this.injected = 0;
    this.log = [];
    this.polling = null;
    nodes.unlock.addEventListener("submit", (event) => {
      event.preventDefault();
      this.unlock(nodes.unlock.elements.token.value.trim());
    });
    nodes.addForm.addEventListener("submit", (event) => {
      event.preventDefault();
      this.add();
    });
    nodes.halt.addEventListener("click", () => this.act("POST", "/halt", "all faults halted"));
    nodes.resume.addEventListener("click", () => this.act("POST", "/resume", "faults resumed"));
    nodes.forget.addEventListener("click", () => this.lock("token forgotten"));
  }

  start() {
    if (this.token) this.unlock(this.token);
    else this.showLocked();
  }

  admin(method, path = "", body = null) {
    return this.rest.call(method, `/admin/failures${path}`, {body, headers: {"X-Admin-Token": this.token}});
  }

  async unlock(token) {
    if (!token) return;
    this.token = token;
    try {
      this.described = await this.admin("GET");
    } catch (error) {
      this.lock(error.describe());
      return;
    }
    sessionStorage.setItem(TOKEN_KEY, token);
    this.nodes.unlock.hidden = true;
    this.nodes.body.hidden = false;
    this.socket.subscribe({channel: "FAULTS", admin_token: token});
    this.loadModes();
    clearInterval(this.polling);
    this.polling = setInterval(() => this.refresh(), POLL_MS);
    this.changed();
  }

  lock(reason) {
    sessionStorage.removeItem(TOKEN_KEY);
    this.socket.unsubscribe({channel: "FAULTS"});
    clearInterval(this.polling);
    this.token = null;
    this.described = null;
    this.showLocked(reason);
  }

  showLocked(reason = "") {
    this.nodes.unlock.hidden = false;
    this.nodes.body.hidden = true;
    this.nodes.unlock.querySelector(".result").textContent = reason;
  }

  async loadModes() {
    const select = this.nodes.addForm.elements.mode;
    try {
      const {modes} = await this.admin("GET", "/modes");
      select.replaceChildren(...modes.filter((mode) => !mode.error).map((mode) => el("option", {value: mode.name, title: mode.description}, mode.name)));
      select.value = "drop";
    } catch (error) {
      this.report("error", error.describe());
    }
  }

  async refresh() {
    try {
      this.described = await this.admin("GET");
    } catch (error) {
      if (error.status === 401) this.lock(error.describe());
      return;
    }
    this.changed();
  }

  async act(method, path, done, body = null) {
    try {
      const answer = await this.admin(method, path, body);
      this.report("ok", done);
      return answer;
    } catch (error) {
      this.report("error", error.describe());
      return null;
    } finally {
      this.refresh();
    }
  }

  async add() {
    const form = this.nodes.addForm.elements;
    const fault = {name: form.name.value.trim(), mode: form.mode.value};
    for (const key of ["layer", "channel", "route", "symbol", "probability"]) {
      const value = form[key].value.trim();
      if (value) fault[key] = value;
    }
    const added = await this.act("POST", "", `fault ${fault.name} added`, fault);
    if (added) form.name.value = nextName(form.name.value);
  }

  async toggle(name, on) {
    if (on) {
      const given = this.disabled[name];
      if (await this.act("PUT", `/${encodeURIComponent(name)}`, `fault ${name} enabled`, given)) {
        delete this.disabled[name];
      }
    } else {
      const fault = this.described.faults.find((known) => known.name === name);
      if (await this.act("DELETE", `/${encodeURIComponent(name)}`, `fault ${name} disabled`)) {
        this.disabled[name] = fault.given;
      }
    }
    sessionStorage.setItem(DISABLED_KEY, JSON.stringify(this.disabled));
    this.changed();
  }

  async remove(name) {
    if (name in this.disabled) {
      delete this.disabled[name];
      sessionStorage.setItem(DISABLED_KEY, JSON.stringify(this.disabled));
      this.changed();
      return;
    }
    await this.act("DELETE", `/${encodeURIComponent(name)}`, `fault ${name} removed`);
  }

  /** A FAULTS channel message (an audit event), or an ERROR about the subscription. */
  received(message) {
    if (message.type === "ERROR") {
      this.report("error", `FAULTS: ${describeError(message.error)}`);
      return;
    }
    const event = message.event;
    if (event.fault !== "admin") {
      const key = `${event.fault}|${event.action}`;
      this.counts.set(key, (this.counts.get(key) || 0) + 1);
      this.injected += 1;
    }
    this.log.unshift(event);
    if (this.log.length > LOG_LENGTH) this.log.length = LOG_LENGTH;
    this.changed();
  }

  report(kind, text) {
    showResult(this.nodes.result, kind, text);
  }

  changed() {
    this.onChange();
  }

  draw() {
    if (!this.described) return;
    const {status, list, counters, log} = this.nodes;
    const halted = !this.described.enabled;
    status.textContent = halted ? "HALTED" : "ACTIVE";
    status.className = `badge ${halted ? "warn" : "ok"}`;
    const active = this.described.faults.map((fault) => ({name: fault.name, mode: fault.mode, keys: fault.resolved, live: fault.live, hits: fault.hits, on: true}));
    const off = Object.entries(this.disabled)
      .filter(([name]) => !active.some((fault) => fault.name === name))
      .map(([name, given]) => ({name, mode: given.mode, keys: given, live: false, hits: null, on: false}));
    keepRows(
      list,
      [...active, ...off],
      (fault) => fault.name,
      (fault) => [
        el("td", {}, el("label", {class: "switch"}, el("input", {type: "checkbox", "data-fault": fault.name, onchange: (event) => this.toggle(fault.name, event.target.checked)}), el("span", {}))),
        el("td", {}, fault.name),
        el("td", {}),
        el("td", {class: "keys"}),
        numCell(""),
        el("td", {}, el("button", {class: "icon", title: "remove", onclick: () => this.remove(fault.name)}, "×")),
      ],
      (row, fault) => {
        const [switchCell, nameCell, modeCell, keysCell, hitsCell] = row.cells;
        switchCell.querySelector("input").checked = fault.on;
        nameCell.className = fault.live ? "live" : "dim";
        setText(modeCell, fault.mode);
        setText(keysCell, describeKeys(fault.keys));
        setText(hitsCell, fault.hits === null ? "–" : String(fault.hits));
      },
      "no faults",
      6,
    );
    fillRows(
      counters,
      Array.from(this.counts, ([key, count]) => [...key.split("|"), numCell(String(count))]).sort((a, b) => a[0].localeCompare(b[0])),
      "nothing injected yet",
      3,
    );
    fillRows(
      log,
      this.log.map((event) => [
        clockTime(event.ts),
        event.fault,
        event.action,
        el("td", {class: "keys"}, [event.channel ?? event.route, event.symbol, event.seq !== undefined ? `#${event.seq}` : null, event.connection ?? event.layer].filter(Boolean).join(" ")),
      ]),
      "no events yet",
      4,
    );
  }

  snapshot() {
    return {unlocked: this.described !== null, injected: this.injected, faults: this.described ? this.described.faults.length : 0};
  }
}

function describeKeys(keys) {
  return SHOWN_KEYS.filter((key) => keys[key] !== undefined && keys[key] !== null && !(key === "after" && !keys[key]))
    .map((key) => `${key}=${Array.isArray(keys[key]) ? keys[key].join(",") : keys[key]}`)
    .join(" ");
}

/** "dash-3" after "dash-2": the next default name for the add form. */
function nextName(name) {
  const match = /^(.*?)(\d+)$/.exec(name);
  return match ? `${match[1]}${Number(match[2]) + 1}` : `${name}-2`;
}
