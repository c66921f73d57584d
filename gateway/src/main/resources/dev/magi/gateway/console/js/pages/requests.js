// Requests: the last requests to models (never their bodies), filtered by model and status.

import * as api from '../api.js';
import { badge, every, fill, format, h, problem, table } from '../dom.js';

const STATUSES = [['', 'any status'], ['200', '200'], ['4xx', '4xx'], ['5xx', '5xx'], ['cut', 'cut (client left)']];

function statusBadge(status) {
  if (typeof status !== 'number') return badge('cut', 'the client left before the answer ended');
  return badge(String(status), null, status < 400 ? 'ready' : status < 500 ? 'pending' : 'failed');
}

export default {
  title: 'Requests',
  mount(root) {
    const model = h('input', { type: 'search', placeholder: 'model', name: 'model', 'aria-label': 'model' });
    const status = h('select', { name: 'status', 'aria-label': 'status' },
      STATUSES.map(([value, label]) => h('option', { value }, label)));
    const note = h('div');
    const list = h('section');
    const detail = h('section', { class: 'detail' });
    let refresh = () => {};
    model.addEventListener('input', () => refresh());
    status.addEventListener('change', () => refresh());
    root.append(h('div', { class: 'toolbar' }, model, status), note, detail, list);

    async function show(id) {
      try {
        const request = await api.recentRequest(id);
        fill(detail, h('header', {}, h('h2', {}, `Request ${id}`),
          h('button', { type: 'button', class: 'link', onclick: () => fill(detail) }, 'Close')),
        h('p', { class: 'muted' }, `${request.request_body_bytes} bytes${request.request_body_truncated
          ? `, the first ${new TextEncoder().encode(request.request_body).length} shown` : ''}; secrets redacted`),
        h('pre', { class: 'body' }, request.request_body));
      } catch (error) {
        fill(detail, problem(error));
      }
    }

    refresh = async () => {
      try {
        const body = await api.recentRequests({ model: model.value.trim(), status: status.value });
        fill(note, h('p', { class: 'muted' }, `The last ${body.kept} requests are kept (console.recent_requests); `
          + 'their bodies only with console.capture_bodies.'));
        fill(list, table([
          { title: 'Time', cell: (r) => format.time(r.at) },
          { title: 'Model', cell: (r) => r.model || '–' },
          { title: 'Endpoint', cell: (r) => r.endpoint },
          { title: 'Status', cell: (r) => [statusBadge(r.status), r.error ? h('span', { class: 'error' }, ` ${r.error}`) : null] },
          { title: 'Backend', cell: (r) => r.backend || '–' },
          { title: 'Attempts', cell: (r) => String(r.attempts), class: 'number' },
          { title: 'TTFT', cell: (r) => format.ms(r.ttft_ms), class: 'number' },
          { title: 'Duration', cell: (r) => format.ms(r.duration_ms), class: 'number' },
          { title: 'Tokens in / out', cell: (r) => `${r.prompt_tokens ?? '–'} / ${r.completion_tokens ?? '–'}`, class: 'number' },
          { title: 'Key', cell: (r) => r.key || '' },
          { title: 'Request id', cell: (r) => [h('code', {}, r.request_id), r.has_body
            ? [' ', h('button', { type: 'button', class: 'link', 'data-action': 'body', onclick: () => show(r.request_id) }, 'Body')]
            : null] },
        ], body.data, 'No requests yet.', (r) => ({ 'data-request-id': r.request_id })));
      } catch (error) {
        fill(note, problem(error));
      }
    };
    return every(3000, refresh);
  },
};
