// Models: the registry with its GGUF metadata; load, unload, rescan; a live tail of a server's log.

import * as api from '../api.js';
import { badge, every, fill, format, h, problem, table } from '../dom.js';

const MAX_LOG_LINES = 1000;

export default {
  title: 'Models',
  mount(root) {
    const pending = new Map(); // model → 'loading' | 'unloading'
    const status = h('div');
    const list = h('section');
    const log = h('section', { class: 'log', hidden: true });
    let stopLog = () => {};
    let refreshNow = () => {};

    async function act(name, verb, call) {
      pending.set(name, verb);
      fill(status);
      refreshNow();
      try {
        await call(name);
      } catch (error) {
        fill(status, problem(error));
      } finally {
        pending.delete(name);
        refreshNow();
      }
    }

    function follow(name) {
      stopLog();
      const lines = h('pre', { class: 'lines', 'data-model': name });
      const state = h('span', { class: 'badge' }, 'connecting');
      fill(log, h('header', {}, h('h2', {}, `Log of ${name}`), state,
        h('button', { type: 'button', class: 'link', onclick: () => { stopLog(); log.hidden = true; } }, 'Close')),
      lines);
      log.hidden = false;
      stopLog = api.followLog(name, (text) => {
        const atBottom = lines.scrollTop + lines.clientHeight >= lines.scrollHeight - 4;
        lines.append(`${text}\n`);
        while (lines.childNodes.length > MAX_LOG_LINES) lines.firstChild.remove();
        if (atBottom) lines.scrollTop = lines.scrollHeight;
      }, (now, detail) => {
        if (now === 'reconnecting' && state.textContent !== 'reconnecting') {
          lines.dataset.drops = String(Number(lines.dataset.drops || 0) + 1);
        }
        state.textContent = now;
        state.className = `badge ${now}`;
        state.title = detail || '';
      });
    }

    function actions(model) {
      const busy = pending.get(model.id);
      if (busy) return h('span', { class: 'muted' }, busy === 'loading' ? 'Loading…' : 'Unloading…');
      const loaded = model.state === 'loaded' || model.state === 'loading';
      return [
        model.status === 'valid' && !loaded
          ? h('button', { type: 'button', 'data-action': 'load', onclick: () => act(model.id, 'loading', api.startModel) }, 'Load')
          : null,
        loaded
          ? h('button', { type: 'button', 'data-action': 'unload', onclick: () => act(model.id, 'unloading', api.stopModel) }, 'Unload')
          : null,
        h('button', { type: 'button', class: 'link', 'data-action': 'log', onclick: () => follow(model.id) }, 'Log'),
      ];
    }

    function render(registry) {
      const gguf = (m) => m.gguf || {};
      fill(list, h('p', { class: 'muted' }, `${registry.total} models, scanned ${format.time(registry.updated_at)}`),
        table([
          { title: 'Model', cell: (m) => h('span', { title: m.path || '' }, m.id) },
          { title: 'Kind', cell: (m) => m.kind },
          { title: 'State', cell: (m) => m.status === 'valid' ? badge(pending.get(m.id) || m.state || 'unloaded', m.state_reason)
            : badge('invalid', m.error || m.status) },
          { title: 'Architecture', cell: (m) => gguf(m).architecture || '–' },
          { title: 'Quantization', cell: (m) => gguf(m).quantization || '–' },
          { title: 'Parameters', cell: (m) => gguf(m).size_label || '–' },
          { title: 'Context', cell: (m) => `${m.launch?.context ?? '–'} of ${gguf(m).context_length ?? '–'}` },
          { title: 'File', cell: (m) => format.bytes(m.size_bytes), class: 'number' },
          { title: 'Memory', cell: (m) => format.bytes(m.memory_estimate_bytes), class: 'number' },
          { title: '', cell: actions, class: 'actions' },
        ], registry.models, 'No GGUF files in the models directory.', (m) => ({ 'data-model': m.id })));
    }

    const rescan = h('button', {
      type: 'button',
      onclick: async () => {
        try {
          render(await api.rescan());
        } catch (error) {
          fill(status, problem(error));
        }
      },
    }, 'Rescan the models directory');
    root.append(h('div', { class: 'toolbar' }, rescan), status, list, log);

    const stopRefresh = every(2000, async () => {
      try {
        render(await api.registry());
      } catch (error) {
        fill(status, problem(error));
      }
    });
    refreshNow = () => api.registry().then(render, () => {});
    return () => {
      stopRefresh();
      stopLog();
    };
  },
};
