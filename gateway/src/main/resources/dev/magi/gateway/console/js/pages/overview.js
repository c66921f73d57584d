// Overview: every model with its status, servers, pool and live figures; the gateway's own figures.

import * as api from '../api.js';
import { badge, every, fill, format, h, problem, table } from '../dom.js';
import { sparkline } from '../charts.js';

/** Every model known: the registry's local ones, then the router's other pools (remote backends). */
function modelIds(registry, router, stats) {
  const ids = registry.models.map((m) => m.id);
  for (const pool of router.models) if (!ids.includes(pool.id)) ids.push(pool.id);
  for (const id of Object.keys(stats.models)) if (!ids.includes(id)) ids.push(id);
  return ids;
}

function card(id, local, pool, servers, figures) {
  const state = local ? local.state : 'loaded';
  const backends = pool ? pool.backends : [];
  const series = figures ? figures.series : [];
  const perSecond = series.map((b) => b.requests / 10);
  return h('article', { class: 'card', 'data-model': id },
    h('header', {}, h('h2', {}, id), badge(state || 'unknown', local?.state_reason),
      local?.pinned ? badge('pinned') : null),
    local?.state_reason ? h('p', { class: 'error' }, local.state_reason) : null,
    h('dl', { class: 'facts' },
      h('dt', {}, 'Servers'), h('dd', {}, servers.length === 0 ? 'none' : servers.map((s) =>
        h('div', { class: 'server' }, badge(s.status), ` port ${s.port} · pid ${s.pid ?? '–'} · up `,
          format.since(s.started_at), ` · ${s.restarts} restarts`))),
      h('dt', {}, 'Pool'), h('dd', {}, pool
        ? `${backends.reduce((n, b) => n + b.in_flight, 0)} in flight · ${slots(backends)} slots · `
          + `${pool.waiting} queued · ${backends.filter((b) => b.health === 'healthy' && !b.ejected).length}/`
          + `${backends.length} backends healthy`
        : 'not routable (not loaded)'),
      h('dt', {}, 'Last minute'), h('dd', {}, figures
        ? `${format.number(figures.requests_per_second, 2)} req/s · TTFT p50 ${format.ms(figures.ttft_p50_ms)}`
          + ` / p99 ${format.ms(figures.ttft_p99_ms)} · ${format.number(figures.tokens_per_second)} tok/s · `
          + `${figures.errors} errors`
        : 'no requests')),
    h('div', { class: 'charts' },
      sparkline(perSecond, { label: 'req/s', format: (v) => v.toFixed(1), width: 104 }),
      sparkline(series.map((b) => b.ttft_p50_ms ?? null), { label: 'TTFT p50', format: format.ms, width: 104 }),
      sparkline(series.map((b) => b.errors), { label: 'errors', format: String, width: 104 })));
}

function slots(backends) {
  if (backends.some((b) => b.slots === null)) return 'unlimited';
  return String(backends.reduce((n, b) => n + b.slots, 0));
}

export default {
  title: 'Overview',
  mount(root) {
    const gateway = h('section', { class: 'gateway' });
    const cards = h('section', { class: 'cards' });
    const status = h('div');
    root.append(gateway, status, cards);
    return every(2000, async () => {
      try {
        const [registry, servers, router, stats] = await Promise.all([api.registry(), api.servers(), api.router(),
          api.stats(60)]);
        fill(status);
        const g = stats.gateway;
        fill(gateway, table([
          { title: 'Connections', cell: () => String(g.connections) },
          { title: 'Heap', cell: () => `${format.bytes(g.heap_used_bytes)} of ${format.bytes(g.heap_max_bytes)}` },
          { title: 'Overhead p50 / p99', cell: () => `${format.ms(g.overhead_p50_ms)} / ${format.ms(g.overhead_p99_ms)}` },
          { title: 'Uptime', cell: () => format.span(g.uptime_seconds) },
          { title: 'Models', cell: () => String(registry.total) },
          { title: 'Servers running', cell: () => String(servers.total) },
        ], [g]));
        const ids = modelIds(registry, router, stats);
        fill(cards, ids.length === 0
          ? h('p', { class: 'empty' }, 'No models: put GGUF files in the models directory, or declare backends.')
          : ids.map((id) => card(id, registry.models.find((m) => m.id === id),
            router.models.find((p) => p.id === id), servers.servers.filter((s) => s.model === id && s.status !== 'stopped'),
            stats.models[id])));
      } catch (error) {
        fill(status, problem(error));
      }
    });
  },
};
