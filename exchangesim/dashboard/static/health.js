// The connection health panel: WebSocket state and RTT, per-channel rates and seq anomalies,
// reconnects, book resyncs, the REST error rate, and the page's own frame rate.

import {fillRows, numCell, rate, setText} from "./dom.js";

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
    fillRows(
      channels,
      names.map((name) => {
        const c = socket.channels[name];
        return [
          name,
          numCell(rate(c.perSecond)),
          numCell(String(c.messages)),
          numCell(String(c.gaps), c.gaps ? "warn" : ""),
          numCell(String(c.duplicates), c.duplicates ? "warn" : ""),
          numCell(String(c.outOfOrder), c.outOfOrder ? "warn" : ""),
        ];
      }),
      "no messages yet",
      6,
    );
  }
}

function order(channel) {
  const index = CHANNEL_ORDER.indexOf(channel);
  return index < 0 ? CHANNEL_ORDER.length : index;
}
