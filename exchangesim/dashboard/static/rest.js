// The native REST API (/api/v1) as any client uses it, counting requests and errors for the health panel.

import {RateWindow} from "./counters.js";

/** A refusal or failure: the API's {"error": {code, message, field}} or what the transport said. */
export class ApiError extends Error {
  constructor(status, code, message, field = null, problems = null) {
    super(message);
    this.status = status;
    this.code = code;
    this.field = field;
    this.problems = problems;
  }

  /** One line for a person: "400 TOO_MANY_DECIMALS (price): price has more than 2 decimal places". */
  describe() {
    const where = this.field ? ` (${this.field})` : "";
    const status = this.status ? `${this.status} ` : "";
    let text = `${status}${this.code}${where}: ${this.message}`;
    if (this.problems && this.problems.length > 1) {
      text += ` | ${this.problems.map((p) => `${p.field ?? "fault"}: ${p.message}`).join("; ")}`;
    }
    return text;
  }
}

/** One line for an {"error": {code, message, field}} that came over the WebSocket. */
export function describeError(error) {
  return new ApiError(0, error.code, error.message, error.field).describe();
}

export class RestClient {
  constructor(base = "/api/v1") {
    this.base = base;
    this.apiKey = "";
    this.requests = new RateWindow(60000);
    this.errors = new RateWindow(60000);
    this.lastError = null;
  }

  /** Call `method path` with an optional JSON body and extra headers; the parsed JSON answer. */
  async call(method, path, {query = null, body = null, headers = {}} = {}) {
    const url = new URL(this.base + path, location.href);
    if (query) for (const [key, value] of Object.entries(query)) url.searchParams.set(key, value);
    const sent = {...headers};
    if (this.apiKey) sent["X-API-Key"] = this.apiKey;
    if (body !== null) sent["Content-Type"] = "application/json";
    this.requests.add();
    let response;
    try {
      response = await fetch(url, {method, headers: sent, body: body === null ? null : JSON.stringify(body)});
    } catch (error) {
      throw this.failed(new ApiError(0, "NETWORK", `${method} ${path}: ${error.message}`));
    }
    const text = await response.text().catch(() => "");
    let document = null;
    try {
      document = text ? JSON.parse(text) : null;
    } catch {
      if (response.ok) throw this.failed(new ApiError(response.status, "BAD_JSON", `${method} ${path}: unreadable answer`));
    }
    if (!response.ok) {
      const error = document && document.error;
      if (error && typeof error === "object") {
        throw this.failed(new ApiError(response.status, error.code, error.message, error.field, error.problems));
      }
      throw this.failed(new ApiError(response.status, `HTTP_${response.status}`, `${method} ${path}: ${text.slice(0, 120) || response.statusText}`));
    }
    return document;
  }

  failed(error) {
    this.errors.add();
    this.lastError = {text: error.describe(), at: Date.now()};
    return error;
  }

  /** Requests and errors over the last minute, for the health panel. */
  snapshot() {
    const requests = this.requests.sum();
    const errors = this.errors.sum();
    return {
      requests: this.requests.total,
      errors: this.errors.total,
      errorRate: requests ? errors / requests : 0,
      lastError: this.lastError,
    };
  }
}
