// Vector stores: every store and its files; a search and its scored chunks.

import * as api from '../api.js';
import { badge, fill, format, h, problem, table } from '../dom.js';

export default {
  title: 'Vector stores',
  mount(root) {
    const status = h('div');
    const list = h('section');
    const detail = h('section');
    root.append(status, list, detail);

    async function open(store) {
      const query = h('input', { type: 'search', name: 'query', placeholder: 'Search this store', required: true });
      const results = h('div');
      const form = h('form', { class: 'toolbar' }, query, h('button', { type: 'submit' }, 'Search'));
      form.addEventListener('submit', async (event) => {
        event.preventDefault();
        try {
          const hits = await api.searchStore(store.id, query.value);
          fill(results, hits.length === 0 ? h('p', { class: 'empty' }, 'Nothing found.') : h('ol', { class: 'hits' },
            hits.map((hit) => h('li', {}, h('div', { class: 'muted' }, `${format.number(hit.score, 4)} · ${hit.filename || hit.file_id}`),
              h('p', {}, (hit.content || []).map((c) => c.text).join(' '))))));
        } catch (error) {
          fill(results, problem(error));
        }
      });
      fill(detail, h('h2', {}, store.name || store.id), form, results);
      try {
        const files = await api.storeFiles(store.id);
        detail.insertBefore(table([
          { title: 'File', cell: (f) => f.id },
          { title: 'Status', cell: (f) => badge(f.status, f.last_error?.message) },
          { title: 'Size', cell: (f) => format.bytes(f.usage_bytes), class: 'number' },
          { title: 'Added', cell: (f) => format.time(new Date(f.created_at * 1000).toISOString()) },
        ], files, 'No files.'), form);
      } catch (error) {
        detail.append(problem(error));
      }
    }

    api.vectorStores().then((stores) => fill(list, table([
      { title: 'Store', cell: (s) => h('button', { type: 'button', class: 'link', onclick: () => open(s) }, s.name || s.id) },
      { title: 'Id', cell: (s) => h('code', {}, s.id) },
      { title: 'Status', cell: (s) => badge(s.status) },
      { title: 'Files', cell: (s) => String(s.file_counts?.total ?? '–'), class: 'number' },
      { title: 'Size', cell: (s) => format.bytes(s.usage_bytes), class: 'number' },
    ], stores, 'No vector stores yet (POST /v1/vector_stores creates one).')), (error) => fill(status, problem(error)));
    return () => {};
  },
};
