// Profiles: each profile's models and memory estimate against its budget; activate one and watch the
// switch: which models are pending, ready or failed, then the result.

import * as api from '../api.js';
import { badge, every, fill, format, h, problem, table } from '../dom.js';

function progressView(switching) {
  const items = [
    ...switching.pending.map((name) => [name, 'pending']),
    ...switching.ready.map((name) => [name, 'ready']),
    ...switching.failed.map((f) => [f.name, 'failed', f.error]),
  ];
  return h('div', { class: 'progress' }, h('h2', {}, `Switching to ${switching.target}`),
    h('ul', {}, items.map(([name, state, error]) => h('li', {}, badge(state, error), ` ${name}`,
      error ? h('span', { class: 'error' }, ` ${error}`) : null))));
}

function resultView(result) {
  const failed = result.failed || [];
  const state = failed.length === 0 ? 'ready' : 'failed';
  return h('div', { class: `result ${state}`, 'data-result': state },
    h('h2', {}, `Profile ${result.profile}: `, badge(state)),
    h('p', {}, `Started: ${(result.started || []).join(', ') || 'none'} · stopped: `
      + `${(result.stopped || []).join(', ') || 'none'} · kept: ${(result.kept || []).join(', ') || 'none'}`),
    failed.length > 0 ? h('ul', {}, failed.map((f) => h('li', { class: 'error' }, `${f.name}: ${f.error}`))) : null);
}

export default {
  title: 'Profiles',
  mount(root) {
    const status = h('div');
    const list = h('section');
    const progress = h('section', { class: 'switch' });
    let switching = false;
    root.append(status, progress, list);

    async function activate(name) {
      switching = true;
      fill(status);
      fill(progress, h('p', {}, badge('pending'), ` Switching to ${name}…`));
      const watch = every(500, async () => {
        const now = await api.profiles().catch(() => null);
        if (switching && now && now.switching) fill(progress, progressView(now.switching));
      });
      try {
        fill(progress, resultView(await api.activateProfile(name)));
      } catch (error) {
        fill(progress, h('div', { class: 'result failed', 'data-result': 'failed' },
          h('h2', {}, `Profile ${name}: `, badge('failed')), problem(error)));
      } finally {
        switching = false;
        watch();
        refresh();
      }
    }

    function render(body) {
      fill(list, table([
        { title: 'Profile', cell: (p) => [h('strong', {}, p.name), p.name === body.active_profile ? [' ', badge('active')] : null] },
        { title: 'Description', cell: (p) => p.description || '' },
        { title: 'Models', cell: (p) => p.models.map((m) => `${m.model}${m.replicas > 1 ? ` ×${m.replicas}` : ''}`
          + `${m.on_demand ? ' (on demand)' : ''}${m.backend !== 'local' ? ` @${m.backend}` : ''}`).join(', ') },
        { title: 'Memory', cell: (p) => `${format.bytes(p.memory_estimate)}${p.memory_budget > 0
          ? ` of ${format.bytes(p.memory_budget)}` : ''}`, class: 'number' },
        { title: 'Problems', cell: (p) => (p.problems || []).map((x) => h('div', { class: 'error' }, `${x.model}: ${x.error}`)) },
        { title: '', class: 'actions', cell: (p) => h('button', {
          type: 'button', 'data-action': 'activate', disabled: switching || Boolean(body.switching),
          onclick: () => activate(p.name),
        }, p.name === body.active_profile ? 'Activate again' : 'Activate') },
      ], body.profiles, 'No profiles: declare them under profiles: in magi.yaml.', (p) => ({ 'data-profile': p.name })));
    }

    async function refresh() {
      try {
        render(await api.profiles());
      } catch (error) {
        fill(status, problem(error));
      }
    }
    return every(3000, refresh);
  },
};
