// Small helpers every page uses: building elements, formatting figures, refreshing on a timer.

/**
 * An element: h('button', {class: 'primary', onclick: fn, disabled: true}, 'Load'). Props starting with
 * "on" are listeners, "class" and "text" set the class and the text, others become attributes (false
 * and null leave them out). Children are elements, strings or arrays of them; null is skipped.
 */
export function h(tag, props = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(props)) {
    if (value === false || value === null || value === undefined) continue;
    if (name.startsWith('on')) element.addEventListener(name.slice(2), value);
    else if (name === 'class') element.className = value;
    else if (name === 'text') element.textContent = value;
    else if (name === 'value') element.value = value;
    else element.setAttribute(name, value === true ? '' : String(value));
  }
  append(element, children);
  return element;
}

function append(element, children) {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(element, child);
    else element.append(child instanceof Node ? child : String(child));
  }
}

/** A table: columns are {title, cell(row) → node or text, class?}; empty is what it says with no rows. */
export function table(columns, rows, empty = 'None.', rowProps = () => ({})) {
  if (rows.length === 0) return h('p', { class: 'empty' }, empty);
  return h('table', {},
    h('thead', {}, h('tr', {}, columns.map((c) => h('th', { class: c.class }, c.title)))),
    h('tbody', {}, rows.map((row) => h('tr', rowProps(row), columns.map((c) => h('td', { class: c.class }, c.cell(row)))))));
}

/**
 * A status badge, coloured by its kind: by default the status itself (loaded, failed, ready, healthy…);
 * give a kind for a status that is no word (an HTTP status: ready, pending or failed).
 */
export function badge(status, title, kind = status) {
  return h('span', { class: `badge ${String(kind).replace(/[^a-z_]/gi, '')}`, title }, status);
}

/** Replaces what {@code element} holds with {@code children}. */
export function fill(element, ...children) {
  element.replaceChildren();
  append(element, children);
  return element;
}

/** An error box for a failed call: its message, and its code when there is one. */
export function problem(error) {
  return h('p', { class: 'error', role: 'alert' }, error.code ? `${error.message} (${error.code})` : String(error.message || error));
}

/**
 * Runs {@code task} now and every {@code ms} milliseconds after the previous run ended (never two at
 * once); returns a function that stops it.
 */
export function every(ms, task) {
  let timer = null;
  let stopped = false;
  const run = async () => {
    try {
      await task();
    } finally {
      if (!stopped) timer = setTimeout(run, ms);
    }
  };
  run();
  return () => {
    stopped = true;
    clearTimeout(timer);
  };
}

export const format = {
  bytes(n) {
    if (n === null || n === undefined) return '–';
    const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
    let value = n;
    let unit = 0;
    while (value >= 1024 && unit < units.length - 1) {
      value /= 1024;
      unit += 1;
    }
    return `${value >= 10 || unit === 0 ? Math.round(value) : value.toFixed(1)} ${units[unit]}`;
  },
  ms(n) {
    if (n === null || n === undefined) return '–';
    return n >= 1000 ? `${(n / 1000).toFixed(2)} s` : `${n >= 10 ? Math.round(n) : n.toFixed(1)} ms`;
  },
  number(n, digits = 1) {
    if (n === null || n === undefined) return '–';
    return Number.isInteger(n) ? String(n) : n.toFixed(digits);
  },
  /** A duration in seconds, as 3d 4h, 5m 10s… */
  span(seconds) {
    if (seconds === null || seconds === undefined) return '–';
    const s = Math.max(0, Math.floor(seconds));
    if (s < 60) return `${s}s`;
    if (s < 3600) return `${Math.floor(s / 60)}m ${s % 60}s`;
    if (s < 86400) return `${Math.floor(s / 3600)}h ${Math.floor((s % 3600) / 60)}m`;
    return `${Math.floor(s / 86400)}d ${Math.floor((s % 86400) / 3600)}h`;
  },
  since(iso) {
    return iso ? format.span((Date.now() - Date.parse(iso)) / 1000) : '–';
  },
  time(iso) {
    return iso ? new Date(iso).toLocaleTimeString() : '–';
  },
};
