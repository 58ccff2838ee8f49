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

/** Replace the rows of a table body with `rows` (arrays of cells: text or nodes); `empty` when none. */
export function fillRows(tbody, rows, empty, columns) {
  const built = rows.map((cells) =>
    el("tr", {}, ...cells.map((cell) => (cell instanceof Node && cell.tagName === "TD" ? cell : el("td", {}, cell ?? "")))),
  );
  if (!built.length) built.push(el("tr", {class: "empty"}, el("td", {colspan: columns}, empty)));
  tbody.replaceChildren(...built);
}

/**
 * Keep one row per item in a table body, found again by `key(item)`: `build(item)` makes a new row's
 * cells, `update(row, item)` refreshes a row in place. Rows are never rebuilt, so a control in one (a
 * switch, a button) stays the node a person is clicking however often the data changes.
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
  if (!nodes.length) nodes.push(el("tr", {class: "empty"}, el("td", {colspan: columns}, empty)));
  const current = [...tbody.children];
  if (current.length !== nodes.length || current.some((node, index) => node !== nodes[index])) {
    tbody.replaceChildren(...nodes);
  }
}

/** A numeric table cell. */
export function numCell(text, extraClass = "") {
  return el("td", {class: `num ${extraClass}`.trim()}, text ?? "–");
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
