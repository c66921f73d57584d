// A small line chart in SVG: enough for a few minutes of one figure, with no library to load.

const SVG = 'http://www.w3.org/2000/svg';

function svg(tag, attributes) {
  const element = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attributes)) element.setAttribute(name, String(value));
  return element;
}

/**
 * A sparkline of {@code values} (null where there is no figure), with its latest value and its label
 * beneath: {@code sparkline([1, 3, null, 2], {label: 'req/s', format: (v) => v.toFixed(1)})}.
 */
export function sparkline(values, { label, format = (v) => String(v), width = 160, height = 36 } = {}) {
  const figure = document.createElement('figure');
  figure.className = 'spark';
  const chart = svg('svg', { viewBox: `0 0 ${width} ${height}`, width, height, role: 'img', 'aria-label': label });
  const known = values.filter((v) => v !== null && v !== undefined);
  const top = Math.max(...known, 0) || 1;
  const step = values.length > 1 ? width / (values.length - 1) : width;
  let path = '';
  values.forEach((value, i) => {
    if (value === null || value === undefined) return;
    const x = (i * step).toFixed(1);
    const y = (height - 2 - (value / top) * (height - 4)).toFixed(1);
    path += `${path === '' || values[i - 1] === null || values[i - 1] === undefined ? 'M' : 'L'}${x},${y} `;
  });
  chart.append(svg('line', { x1: 0, y1: height - 1, x2: width, y2: height - 1, class: 'axis' }));
  if (path) chart.append(svg('path', { d: path.trim(), class: 'line' }));
  const latest = known.length > 0 ? format(known[known.length - 1]) : '–';
  const caption = document.createElement('figcaption');
  caption.textContent = `${label}: ${latest}`;
  figure.append(chart, caption);
  return figure;
}
