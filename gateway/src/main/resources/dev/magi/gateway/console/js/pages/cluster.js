// Cluster: the Magi nodes sharing this node's Redis, their models and how fresh their records are.

import * as api from '../api.js';
import { badge, every, fill, format, h, problem, table } from '../dom.js';

export default {
  title: 'Cluster',
  mount(root) {
    const head = h('div');
    const list = h('section');
    root.append(head, list);
    return every(2000, async () => {
      try {
        const body = await api.cluster();
        if (!body.enabled) {
          fill(head, h('p', { class: 'empty' }, 'This node is alone: set cluster.redis_url (REDIS_URL) to join others.'));
          fill(list);
          return;
        }
        fill(head, h('p', {}, `This node: `, h('strong', {}, body.node_id), ' · Redis ',
          badge(body.redis.available ? 'available' : 'unavailable'),
          body.redis.last_seen_ms_ago === null || body.redis.last_seen_ms_ago === undefined ? ''
            : ` · last answered ${format.ms(body.redis.last_seen_ms_ago)} ago`));
        fill(list, table([
          { title: 'Node', cell: (n) => [h('strong', {}, n.node_id), n.self ? [' ', badge('self')] : null] },
          { title: 'Address', cell: (n) => h('code', {}, n.advertise_url) },
          { title: 'Version', cell: (n) => n.version },
          { title: 'Models', cell: (n) => n.models.map((m) => h('div', {}, badge(m.status), ` ${m.id}`)) },
          { title: 'Free slots', cell: (n) => `${n.free_slots} of ${n.total_slots}`, class: 'number' },
          { title: 'Record age', cell: (n) => format.ms(n.age_ms), class: 'number' },
        ], body.nodes, 'No node has written its record yet.', (n) => ({ 'data-node': n.node_id })));
      } catch (error) {
        fill(head, problem(error));
      }
    });
  },
};
