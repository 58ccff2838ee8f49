// What the fault and condition panels share: admin requests under one route with the admin token,
// acting with a result line, and the count of the page's own changes (a poll begun before one of them
// is dropped, so a click is never undone by an older answer).

import {showResult} from "./dom.js";

export class AdminPanel {
  constructor(rest, nodes, onChange, route) {
    this.rest = rest;
    this.nodes = nodes;
    this.onChange = onChange;
    this.route = route; // e.g. "/admin/failures"
    this.token = null;
    this.order = []; // names in the order first seen: the rows' order
    this.wanted = new Map(); // name -> on/off asked by a click and not yet done by the daemon
    this.queues = new Map(); // name -> the promise of that item's last queued request
    this.changes = 0; // bumped by every change the page makes; a poll begun before one is dropped
    this.polling = null;
  }

  admin(method, path = "", body = null) {
    return this.rest.call(method, `${this.route}${path}`, {body, headers: {"X-Admin-Token": this.token}});
  }

  /** Send one change, say how it went in the result line, then ask for the state again. */
  async act(method, path, done, body = null) {
    this.changes += 1;
    try {
      const answer = await this.admin(method, path, body);
      this.report("ok", done);
      return answer;
    } catch (error) {
      this.report("error", error.describe());
      return null;
    } finally {
      this.changes += 1;
      this.refresh();
    }
  }

  report(kind, text) {
    showResult(this.nodes.result, kind, text);
  }
}
