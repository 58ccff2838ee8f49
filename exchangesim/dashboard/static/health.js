// The connection health panel: WebSocket state and RTT, per-channel rates and seq anomalies,
// reconnects, book resyncs, the REST error rate, and the page's own frame rate.

import {keepRows, numCell, rate, setNumber, setText} from "./dom.js";

const CHANNEL_ORDER = ["TICKER", "TRADES", "BOOK", "CANDLES", "FAULTS"];

export class HealthPanel {
  constructor(nodes) {
    this.nodes = nodes; // {state, badge, rtt, reconnects, resyncs, rest, lastError, fps, channels}
  }

  draw({socket, rest, resyncs, fps}) {
    const {state, badge, rtt, reconnects, channels, resyncs: resyncNode, rest: restNode, lastError: restError, fps: fpsNode} = this.nodes;
    for (const node of [state, badge]) {
      setText(node, socket.state.toUpperCase());
      node.className = `badge ${socket.state === "open" ? "ok" : "warn"}`;
    }
    setText(rtt, socket.rttMs === null ? "–" : `${socket.rttMs.toFixed(1)} ms`);
    setText(reconnects, String(socket.reconnects));
    setText(resyncNode, String(resyncs));
    setText(restNode, `${rest.requests} req · ${(rest.errorRate * 100).toFixed(1)}% err/min`);
    restNode.classList.toggle("warn", rest.errorRate > 0);
    const errors = [rest.lastError, socket.lastError].filter(Boolean).sort((a, b) => b.at - a.at);
    setText(restError, errors.length ? errors[0].text : "");
    setText(fpsNode, `${Math.round(fps)} fps`);
    const names = Object.keys(socket.channels).sort((a, b) => order(a) - order(b));
    keepRows(
      channels,
      names,
      (name) => name,
      (name) => [name, numCell(), numCell(), numCell(), numCell(), numCell()],
      (row, name) => {
        const c = socket.channels[name];
        const [, perSecond, messages, gaps, duplicates, late] = row.cells;
        setNumber(perSecond, rate(c.perSecond));
        setNumber(messages, String(c.messages));
        for (const [cell, count] of [[gaps, c.gaps], [duplicates, c.duplicates], [late, c.outOfOrder]]) {
          setNumber(cell, String(count));
          cell.classList.toggle("warn", count > 0);
        }
      },
      "no messages yet",
      6,
    );
  }
}

function order(channel) {
  const index = CHANNEL_ORDER.indexOf(channel);
  return index < 0 ? CHANNEL_ORDER.length : index;
}
