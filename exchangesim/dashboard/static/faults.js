// The fault panel, over /api/v1/admin/failures and the FAULTS channel: the admin token (asked once,
// kept in sessionStorage), the faults with their keys and hits, a switch per fault, a form to add one,
// halt and resume all, injected-fault counters and a short log of the latest events.
//
// The API has no "disabled" state for one fault: switching one off removes it and the page keeps its
// keys (in sessionStorage) to put it back with PUT when switched on again. The switch shows three
// states: on, on while injection is halted globally (it injects nothing until "Resume all"), and off.
//
// A click must land whatever the feed does: the rows keep their place (the order the page first saw
// the faults, not on/off), a switch shows what was last asked of it until the daemon has done it, each
// fault's requests go one after the other in the order they were asked, and a poll that was under way
// while a switch was acted on is not allowed to draw the state from before it.

import {AdminPanel} from "./admin_panel.js";
import {clockTime, el, keepRows, numCell, setNumber, setText} from "./dom.js";
import {describeError} from "./rest.js";

const TOKEN_KEY = "exchangesim.adminToken";
const DISABLED_KEY = "exchangesim.disabledFaults";
const POLL_MS = 2000;
const LOG_LENGTH = 40;
const SHOWN_KEYS = ["layer", "stage", "channel", "route", "symbol", "probability", "nth", "first", "after", "count"];

export class FaultPanel extends AdminPanel {
  /** `onAccess(token)` hears the admin token once it is accepted, and null when it is forgotten. */
  constructor(rest, socket, nodes, onChange, onAccess = () => {}) {
    // nodes: {unlock, body, status, halted, list, addForm, result, counters, log, halt, resume, forget}
    super(rest, nodes, onChange, "/admin/failures");
    this.socket = socket;
    this.onAccess = onAccess;
    this.token = sessionStorage.getItem(TOKEN_KEY);
    this.disabled = JSON.parse(sessionStorage.getItem(DISABLED_KEY) || "{}");
    this.described = null;
    this.counts = new Map(); // "fault|action" -> count, from the FAULTS channel
    this.injected = 0;
    this.toggles = 0; // switch changes made by people, for the tests and the curious
    this.log = [];
    this.logged = 0;
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
    this.onAccess(token);
    this.changed();
  }

  lock(reason) {
    sessionStorage.removeItem(TOKEN_KEY);
    this.socket.unsubscribe({channel: "FAULTS"});
    clearInterval(this.polling);
    this.token = null;
    this.described = null;
    this.onAccess(null);
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
    const changes = this.changes;
    let described;
    try {
      described = await this.admin("GET");
    } catch (error) {
      if (error.status === 401) this.lock(error.describe());
      return;
    }
    if (changes !== this.changes || this.token === null) return; // changed by the page meanwhile: ask again later
    this.described = described;
    this.changed();
  }

  async add() {
    const form = this.nodes.addForm.elements;
    const fault = {name: form.name.value.trim(), mode: form.mode.value};
    for (const key of ["layer", "channel", "route", "symbol", "probability"]) {
      const value = form[key].value.trim();
      if (value) fault[key] = value;
    }
    const halted = this.described && !this.described.enabled;
    const added = await this.act("POST", "", `fault ${fault.name} added${halted ? ' (injection is halted: "Resume all" starts it)' : ""}`, fault);
    if (added) form.name.value = nextName(form.name.value);
  }

  /** A switch was flipped: remember what it now asks, and queue the request behind the fault's others. */
  toggle(name, on) {
    this.toggles += 1;
    this.wanted.set(name, on);
    const queued = (this.queues.get(name) || Promise.resolve()).then(() => this.follow(name));
    this.queues.set(name, queued);
    queued.then(() => {
      if (this.queues.get(name) === queued) this.queues.delete(name);
    });
    this.changed();
  }

  /** Bring the daemon to what the switch asks now (several quick flips may ask nothing new). */
  async follow(name) {
    const on = this.wanted.get(name);
    if (on === undefined) return;
    const active = this.activeFault(name);
    if (on && !active) {
      const added = await this.act("PUT", `/${encodeURIComponent(name)}`, `fault ${name} enabled`, this.disabled[name]);
      if (added && this.described) {
        delete this.disabled[name];
        this.described.faults = [...this.described.faults.filter((fault) => fault.name !== name), added];
      }
    } else if (!on && active) {
      if ((await this.act("DELETE", `/${encodeURIComponent(name)}`, `fault ${name} disabled`)) && this.described) {
        this.disabled[name] = active.given;
        this.described.faults = this.described.faults.filter((fault) => fault.name !== name);
      }
    }
    sessionStorage.setItem(DISABLED_KEY, JSON.stringify(this.disabled));
    if (this.wanted.get(name) === on) this.wanted.delete(name); // done, unless flipped again meanwhile
    this.changed();
  }

  activeFault(name) {
    return this.described ? this.described.faults.find((fault) => fault.name === name) : undefined;
  }

  async remove(name) {
    this.wanted.delete(name);
    if (name in this.disabled && !this.activeFault(name)) {
      delete this.disabled[name];
      sessionStorage.setItem(DISABLED_KEY, JSON.stringify(this.disabled));
      this.changed();
      return;
    }
    if ((await this.act("DELETE", `/${encodeURIComponent(name)}`, `fault ${name} removed`)) && this.described) {
      delete this.disabled[name];
      sessionStorage.setItem(DISABLED_KEY, JSON.stringify(this.disabled));
      this.described.faults = this.described.faults.filter((fault) => fault.name !== name);
      this.changed();
    }
  }

  /** A FAULTS channel message (an audit event), or an ERROR about the subscription. */
  received(message) {
    if (message.type === "ERROR") {
      this.report("error", `FAULTS: ${describeError(message.error)}`);
      return;
    }
    const event = message.event;
    if (event.fault === "admin" && /^faults?_/.test(event.action)) this.refresh(); // someone else changed them: look now
    if (event.fault !== "admin") {
      const key = `${event.fault}|${event.action}`;
      this.counts.set(key, (this.counts.get(key) || 0) + 1);
      this.injected += 1;
    }
    this.logged += 1;
    this.log.unshift({...event, key: this.logged});
    if (this.log.length > LOG_LENGTH) this.log.length = LOG_LENGTH;
    this.changed();
  }

  changed() {
    this.onChange();
  }

  /** Every fault the page knows, on or off, in the order first seen. */
  faults() {
    const byName = new Map();
    for (const fault of this.described.faults) {
      byName.set(fault.name, {name: fault.name, mode: fault.mode, keys: fault.resolved, live: fault.live, hits: fault.hits, on: true});
    }
    for (const [name, given] of Object.entries(this.disabled)) {
      if (!byName.has(name)) byName.set(name, {name, mode: given.mode, keys: given, live: false, hits: null, on: false});
    }
    for (const name of byName.keys()) if (!this.order.includes(name)) this.order.push(name);
    this.order = this.order.filter((name) => byName.has(name));
    return this.order.map((name) => byName.get(name));
  }

  draw() {
    if (!this.described) return;
    const {status, halted: haltedNote, list, counters, log} = this.nodes;
    const halted = !this.described.enabled;
    status.textContent = halted ? "HALTED" : "ACTIVE";
    status.className = `badge ${halted ? "warn" : "ok"}`;
    haltedNote.hidden = !halted;
    keepRows(
      list,
      this.faults(),
      (fault) => fault.name,
      (fault) => [
        el("td", {}, el("label", {class: "switch"},
          el("input", {type: "checkbox", role: "switch", "data-fault": fault.name, "aria-label": `fault ${fault.name}`, onchange: (event) => this.toggle(fault.name, event.target.checked)}),
          el("span", {}))),
        el("td", {class: "name"}, fault.name),
        el("td", {}, el("span", {class: "mode"}), " ", el("span", {class: "keys"})),
        numCell(""),
        el("td", {}, el("button", {class: "icon", type: "button", title: "remove", "aria-label": `remove fault ${fault.name}`, onclick: () => this.remove(fault.name)}, "×")),
      ],
      (row, fault) => {
        const [switchCell, nameCell, keysCell, hitsCell] = row.cells;
        const on = this.wanted.has(fault.name) ? this.wanted.get(fault.name) : fault.on;
        const state = on ? (halted ? "halted" : "on") : "off";
        const label = switchCell.firstChild;
        const input = label.firstChild;
        if (input.checked !== on) input.checked = on;
        if (label.dataset.state !== state) {
          label.dataset.state = state;
          label.className = `switch ${state}`;
          label.title = {on: "on: injecting", halted: 'on, but injection is halted: "Resume all" starts it', off: "off: removed, keys kept"}[state];
          input.setAttribute("aria-description", label.title);
        }
        nameCell.className = fault.live && on ? "name live" : "name";
        setText(keysCell.firstChild, fault.mode);
        setText(keysCell.lastChild, describeKeys(fault.keys));
        setNumber(hitsCell, fault.hits === null || !on ? "–" : String(fault.hits));
      },
      "no faults",
      5,
    );
    keepRows(
      counters,
      Array.from(this.counts).sort(([a], [b]) => a.localeCompare(b)),
      ([key]) => key,
      ([key]) => {
        const [fault, action] = key.split("|");
        return [el("td", {class: "name"}, fault), action, numCell()];
      },
      (row, [, count]) => setNumber(row.cells[2], String(count)),
      "nothing injected yet",
      3,
    );
    keepRows(
      log,
      this.log,
      (event) => event.key,
      (event) => [
        el("td", {class: "time"}, clockTime(event.ts)),
        el("td", {class: "name"}, event.fault),
        el("td", {class: "nowrap"}, event.action),
        el("td", {class: "keys"}, where(event)),
      ],
      () => {}, // an event does not change
      "no events yet",
      4,
    );
  }

  snapshot() {
    return {
      unlocked: this.described !== null,
      injected: this.injected,
      faults: this.described ? this.described.faults.length : 0,
      toggles: this.toggles,
      pending: this.wanted.size,
    };
  }
}

/** Where an event happened: the fault or condition acted on, channel or route, symbol, seq, and
 * connection or layer. */
function where(event) {
  return [event.condition ?? event.fault_name, event.channel ?? event.route, event.symbol, event.seq !== undefined ? `#${event.seq}` : null, event.connection ?? event.layer]
    .filter((part) => part !== undefined && part !== null && part !== "")
    .join(" ");
}

function describeKeys(keys) {
  return SHOWN_KEYS.filter((key) => keys[key] !== undefined && keys[key] !== null && !(key === "after" && !keys[key]))
    .map((key) => `${key}=${Array.isArray(keys[key]) ? keys[key].join(",") : keys[key]}`)
    .join(" ");
}

/** "dash-3" after "dash-2": the next default name for the add form. */
export function nextName(name) {
  const match = /^(.*?)(\d+)$/.exec(name);
  return match ? `${match[1]}${Number(match[2]) + 1}` : `${name}-2`;
}
