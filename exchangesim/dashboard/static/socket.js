// The native WebSocket (/ws): one connection that reconnects with backoff, resubscribes, pings for
// the round-trip time, unpacks BATCH frames, and counts each channel's messages and seq anomalies.

import {ChannelCounters, SequenceTracker} from "./counters.js";
import {describeError} from "./rest.js";

const PING_EVERY_MS = 2000;
const DEAD_AFTER_MS = 8000; // no answer at all for this long: the link is gone, reconnect
const BACKOFF_FIRST_MS = 250;
const BACKOFF_MAX_MS = 8000;

/** The stream a message belongs to: its channel and what names it (symbol, interval). */
export function streamKey(message) {
  return [message.channel, message.symbol ?? "", message.interval ?? ""].join("|");
}

export class LiveSocket {
  /** `onMessage(message)` gets each stream message and each reply (PONG, SUBSCRIBED, ERROR, ...). */
  constructor(url, onMessage, onStateChange = () => {}) {
    this.url = url;
    this.onMessage = onMessage;
    this.onStateChange = onStateChange;
    this.state = "connecting";
    this.subscriptions = new Map(); // stream key -> the subscribe operation, re-sent on each connect
    this.channels = new Map(); // channel -> ChannelCounters
    this.trackers = new Map(); // stream key -> SequenceTracker
    this.reconnects = 0;
    this.attempt = 0;
    this.rttMs = null;
    this.lastError = null; // the latest ERROR reply, for the health panel
    this.pingSentAt = null;
    this.lastHeardAt = 0;
    this.openedAt = 0;
    this.socket = null;
    this.timer = null;
    this.pinger = null;
  }

  start() {
    this.open();
    this.pinger = setInterval(() => this.heartbeat(), PING_EVERY_MS);
  }

  counters(channel) {
    let counters = this.channels.get(channel);
    if (!counters) this.channels.set(channel, (counters = new ChannelCounters()));
    return counters;
  }

  /** Subscribe now if connected, and again after every reconnect. */
  subscribe(operation) {
    const key = streamKey(operation);
    const subscribe = {op: "subscribe", batch: true, ...operation};
    this.subscriptions.set(key, subscribe);
    this.trackers.delete(key);
    this.send(subscribe);
  }

  unsubscribe(operation) {
    const key = streamKey(operation);
    const subscribed = this.subscriptions.get(key);
    if (!subscribed) return;
    this.subscriptions.delete(key);
    this.trackers.delete(key);
    const {op, batch, ...stream} = subscribed;
    this.send({op: "unsubscribe", ...stream});
  }

  send(operation) {
    if (this.socket && this.socket.readyState === WebSocket.OPEN) this.socket.send(JSON.stringify(operation));
  }

  open() {
    this.setState(this.reconnects || this.attempt ? "reconnecting" : "connecting");
    const socket = new WebSocket(this.url);
    this.socket = socket;
    this.openedAt = performance.now();
    socket.onopen = () => {
      this.attempt = 0;
      this.lastHeardAt = performance.now();
      this.pingSentAt = null;
      this.trackers.clear(); // new subscriptions: each stream starts from its snapshot or first message
      this.setState("open");
      for (const operation of this.subscriptions.values()) this.send(operation);
      this.ping();
    };
    socket.onmessage = (event) => this.received(event.data);
    socket.onclose = () => this.lost(socket);
    socket.onerror = () => {}; // a close follows; that is where the reconnect is scheduled
  }

  /** The link is gone (closed, or silent too long): reconnect after a growing, jittered wait. */
  lost(socket) {
    if (socket !== this.socket) return;
    socket.onopen = socket.onmessage = socket.onclose = null;
    if (socket.readyState < WebSocket.CLOSING) socket.close();
    this.socket = null;
    this.reconnects += this.state === "open" ? 1 : 0;
    this.attempt += 1;
    const wait = Math.min(BACKOFF_MAX_MS, BACKOFF_FIRST_MS * 2 ** (this.attempt - 1));
    this.setState("reconnecting");
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.open(), wait * (0.5 + Math.random() / 2));
  }

  heartbeat() {
    if (!this.socket) return;
    if (this.socket.readyState === WebSocket.CONNECTING) {
      if (performance.now() - this.openedAt > DEAD_AFTER_MS) this.lost(this.socket); // a stalled handshake
      return;
    }
    if (this.socket.readyState !== WebSocket.OPEN) return;
    if (performance.now() - this.lastHeardAt > DEAD_AFTER_MS) {
      this.lost(this.socket);
      return;
    }
    this.ping();
  }

  ping() {
    if (this.pingSentAt !== null && performance.now() - this.pingSentAt < DEAD_AFTER_MS) return; // one at a time
    this.pingSentAt = performance.now();
    this.send({op: "ping"});
  }

  received(data) {
    this.lastHeardAt = performance.now();
    let message;
    try {
      message = JSON.parse(data);
    } catch {
      this.counters("(unreadable)").messages.add();
      return;
    }
    if (message.type === "BATCH" && Array.isArray(message.messages)) {
      for (const inner of message.messages) this.dispatch(inner);
    } else {
      this.dispatch(message);
    }
  }

  dispatch(message) {
    if (message.type === "PONG") {
      if (this.pingSentAt !== null) this.rttMs = performance.now() - this.pingSentAt;
      this.pingSentAt = null;
      this.onMessage(message);
      return;
    }
    if (typeof message.seq !== "number" || !message.channel) {
      if (message.type === "ERROR") this.lastError = {text: `WS ${describeError(message.error)}`, at: Date.now()};
      this.onMessage(message); // a reply: SUBSCRIBED, ERROR, ...
      return;
    }
    const counters = this.counters(message.channel);
    counters.messages.add();
    const key = streamKey(message);
    if (!this.subscriptions.has(key)) return; // from a stream just left
    let tracker = this.trackers.get(key);
    if (!tracker) this.trackers.set(key, (tracker = new SequenceTracker(counters)));
    if (message.snapshot) tracker.reset(message.seq);
    else tracker.observe(message.seq);
    this.onMessage(message);
  }

  setState(state) {
    if (state === this.state) return;
    this.state = state;
    this.onStateChange(state);
  }

  /** Everything the health panel shows, as plain values. */
  snapshot() {
    const channels = {};
    for (const [channel, counters] of this.channels) channels[channel] = counters.snapshot();
    return {state: this.state, rttMs: this.rttMs, reconnects: this.reconnects, lastError: this.lastError, channels};
  }
}
