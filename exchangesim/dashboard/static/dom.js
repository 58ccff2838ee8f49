// Small DOM and formatting helpers shared by the panels.

/** Create an element: el("td", {class: "num"}, "1.00"). Attributes starting with "on" are listeners. */
export function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
    else if (name === "class") node.className = value;
    else node.setAttribute(name, value === true ? "" : value);
  }
  node.append(...children.filter((child) => child !== null && child !== undefined));
  return node;
}

/**
 * Keep one row per item in a table body, found again by `key(item)`: `build(item)` makes a new row's
 * cells, `update(row, item)` refreshes a row in place. Rows are never rebuilt and a row already in
 * place is never detached, so a control in one (a switch, a button) stays the node a person is
 * clicking, and keeps its focus, however often the data changes.
 */
export function keepRows(tbody, items, key, build, update, empty, columns) {
  const rows = tbody.keyedRows || (tbody.keyedRows = new Map());
  const wanted = items.map((item) => {
    const name = key(item);
    let row = rows.get(name);
    if (!row) {
      row = el("tr", {}, ...build(item).map((cell) => (cell instanceof Node && cell.tagName === "TD" ? cell : el("td", {}, cell ?? ""))));
      rows.set(name, row);
    }
    update(row, item);
    return [name, row];
  });
  const kept = new Set(wanted.map(([name]) => name));
  for (const name of [...rows.keys()]) if (!kept.has(name)) rows.delete(name);
  const nodes = wanted.map(([, row]) => row);
  if (!nodes.length) {
    tbody.emptyRow ||= el("tr", {class: "empty"}, el("td", {colspan: columns}, empty));
    nodes.push(tbody.emptyRow);
  }
  placeChildren(tbody, nodes);
}

/** Make `nodes` the children of `parent`, in order, moving only the nodes that are out of place. */
export function placeChildren(parent, nodes) {
  const wanted = new Set(nodes);
  for (const child of [...parent.children]) if (!wanted.has(child)) child.remove();
  nodes.forEach((node, index) => {
    const here = parent.children[index];
    if (here !== node) parent.insertBefore(node, here ?? null);
  });
}

/** A numeric table cell. */
export function numCell(text, extraClass = "") {
  const cell = el("td", {class: `num ${extraClass}`.trim()});
  setNumber(cell, text);
  return cell;
}

const MAX_DECIMALS = 8;

/**
 * Show an amount as the API wrote it, with at most 8 decimals (an exchange's usual precision; a fee
 * can leave 11), the exact text in the title. The line may break after the decimal point only, so a
 * column short of room wraps a long amount rather than cut it.
 */
export function setNumber(cell, text) {
  const exact = text === null || text === undefined ? "–" : String(text);
  if (cell.exactText === exact) return;
  cell.exactText = exact;
  let shown = exact;
  const point = exact.indexOf(".");
  if (point >= 0 && exact.length - point - 1 > MAX_DECIMALS && Number.isFinite(Number(exact))) {
    shown = Number(exact).toFixed(MAX_DECIMALS).replace(/\.?0+$/, "");
    cell.title = exact;
  } else {
    cell.removeAttribute("title");
  }
  const at = shown.indexOf(".");
  if (at < 0) cell.replaceChildren(shown);
  else cell.replaceChildren(shown.slice(0, at + 1), document.createElement("wbr"), shown.slice(at + 1));
}

/** HH:MM:SS.mmm of an epoch-ms time, in the viewer's time zone. */
export function clockTime(ms) {
  const date = new Date(ms);
  const pad = (n, width = 2) => String(n).padStart(width, "0");
  return `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}.${pad(date.getMilliseconds(), 3)}`;
}

/** Digits after the decimal point of a step as the API writes it ("0.01", "0.50", "1E-8"); 0 for whole steps. */
export function stepDecimals(step) {
  const [mantissa, exponent = "0"] = String(step).toLowerCase().split("e");
  const fraction = (mantissa.split(".")[1] || "").replace(/0+$/, "");
  return Math.max(0, fraction.length - Number(exponent));
}

/** A count per second with one decimal below 10. */
export function rate(value) {
  return value < 10 ? value.toFixed(1) : Math.round(value).toString();
}

/** Show the outcome of an action in a panel's result line: `kind` is "ok" or "error". */
export function showResult(node, kind, text) {
  node.className = `result ${kind}`;
  node.textContent = text;
}

/** Set a node's text only when it changed (a text write is a layout invalidation). */
export function setText(node, text) {
  if (node.textContent !== text) node.textContent = text;
}
