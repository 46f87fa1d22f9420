// /stats, /stats/prometheus, /reset_counters.
import { compileRe2 } from '../common/regex.js';
import { renderPrometheus, histogramBucketsFor } from '../stats/render_prometheus.js';
import { renderStatsJson, renderStatsText, type StatsType } from '../stats/render_text.js';
import { mergeSnapshots } from '../stats/snapshot.js';
import { createTagExtractor, type TagExtractor } from '../stats/tags.js';
import { collectSnapshots } from '../server/workers.js';
import type { Server } from '../server/server.js';
import { json, text, type AdminHandler, type AdminRequest, type AdminResponse } from './handlers.js';

const extractors = new WeakMap<Server, { tags: TagExtractor; buckets: (name: string) => readonly number[] }>();

function prometheusSettings(server: Server) {
  let s = extractors.get(server);
  if (!s) {
    s = { tags: createTagExtractor(server.bootstrap.stats_config), buckets: histogramBucketsFor(server.bootstrap.stats_config) };
    extractors.set(server, s);
  }
  return s;
}

function filterOf(q: URLSearchParams): RegExp | AdminResponse | undefined {
  const f = q.get('filter');
  if (f === null || f === '') return undefined;
  try {
    return compileRe2(f, false);
  } catch (err) {
    return text(`Invalid re2 regex: ${(err as Error).message}\n`, 400);
  }
}

async function snapshot(req: AdminRequest) {
  req.server.updateServerGauges();
  return mergeSnapshots(await collectSnapshots(req.server.stats, req.server.workers));
}

const TYPES: StatsType[] = ['All', 'Counters', 'Gauges', 'Histograms', 'TextReadouts'];

export const STATS_HANDLERS: AdminHandler[] = [
  {
    path: '/stats',
    help: 'print server stats',
    mutates: false,
    async handle(req) {
      const filter = filterOf(req.query);
      if (filter && !(filter instanceof RegExp)) return filter;
      const usedOnly = req.query.has('usedonly');
      const type = (req.query.get('type') ?? 'All') as StatsType;
      if (!TYPES.includes(type)) return text(`invalid type=${type}\n`, 400);
      const format = req.query.get('format') ?? 'text';
      const snap = await snapshot(req);
      if (format === 'json') return { status: 200, body: renderStatsJson(snap, { filter, usedOnly, type }), contentType: 'application/json' };
      if (format === 'prometheus') {
        const s = prometheusSettings(req.server);
        return text(renderPrometheus(snap, { filter, usedOnly, tagExtractor: s.tags, bucketsFor: s.buckets }));
      }
      if (format !== 'text') return text(`usage: /stats?format=(html|active-html|json|prometheus|text)\n`, 400);
      return text(renderStatsText(snap, { filter, usedOnly, type }));
    },
  },
  {
    path: '/stats/prometheus',
    help: 'print server stats in prometheus format',
    mutates: false,
    async handle(req) {
      const filter = filterOf(req.query);
      if (filter && !(filter instanceof RegExp)) return filter;
      const s = prometheusSettings(req.server);
      return text(renderPrometheus(await snapshot(req), { filter, usedOnly: req.query.has('usedonly'), tagExtractor: s.tags, bucketsFor: s.buckets }));
    },
  },
  {
    path: '/stats/recentlookups',
    help: 'Show recent stat-name lookups',
    mutates: false,
    handle: () => text('Lookups are not tracked by skein.\n'),
  },
  {
    path: '/reset_counters',
    help: 'reset all counters to zero',
    mutates: true,
    handle(req) {
      req.server.stats.resetCounters();
      req.server.workers.resetCounters();
      return text('OK\n');
    },
  },
  {
    path: '/memory',
    help: 'print current allocation/heap usage',
    mutates: false,
    handle() {
      const m = process.memoryUsage();
      return json({
        allocated: String(m.heapUsed),
        heap_size: String(m.heapTotal),
        pageheap_unmapped: '0',
        pageheap_free: String(m.heapTotal - m.heapUsed),
        total_thread_cache: '0',
        total_physical_bytes: String(m.rss),
      });
    },
  },
];
