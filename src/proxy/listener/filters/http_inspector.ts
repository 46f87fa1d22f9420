// envoy.filters.listener.http_inspector: on plaintext connections, reads (without
// consuming) the start of the stream and records the HTTP version as the requested
// application protocol — "http/1.1", "http/1.0" or "h2c" (prior knowledge) — so filter
// chains can match on application_protocols. Connections the tls_inspector found to be
// TLS are left alone: their ALPN already says what they speak.
import type { Socket } from 'node:net';
import { logger } from '../../../common/logger.js';
import { declareStats, type StatsOf } from '../../stats/declare.js';
import type { StatsStore } from '../../stats/store.js';
import type { ConnectionFacts } from '../filter_chain_match.js';
import type { ListenerFilter, ListenerFilterFactory } from '../listener_filter.js';
import { HttpDetector, type HttpDetection } from './http_detect.js';
import { peek } from './peek.js';

const log = logger('filter');

export const HTTP_INSPECTOR_STATS = declareStats({
  counters: ['read_error', 'http10_found', 'http11_found', 'http2_found', 'http_not_found'],
  gauges: [],
  histograms: [],
});

export type HttpInspectorStats = StatsOf<typeof HTTP_INSPECTOR_STATS>;

/** Envoy stops at 64 KiB without a full request line and drops the connection. */
export const MAX_INSPECT_SIZE = 64 * 1024;

const FOUND: Record<Exclude<HttpDetection, 'not_http'>, 'http10_found' | 'http11_found' | 'http2_found'> = {
  'http/1.0': 'http10_found',
  'http/1.1': 'http11_found',
  h2c: 'http2_found',
};

export class HttpInspector implements ListenerFilter {
  constructor(
    private readonly stats: HttpInspectorStats,
    private readonly maxInspectSize = MAX_INSPECT_SIZE,
  ) {}

  async onAccept(socket: Socket, facts: ConnectionFacts): Promise<boolean> {
    if (facts.transportProtocol && facts.transportProtocol !== 'raw_buffer') return true;
    const detector = new HttpDetector();
    const outcome = await peek<HttpDetection | 'too_large'>(socket, (chunk, total) => {
      const verdict = detector.push(chunk);
      return verdict ?? (total >= this.maxInspectSize ? 'too_large' : undefined);
    });
    if (outcome.kind === 'closed') return false;
    if (outcome.kind === 'stopped') return true;
    const verdict = outcome.value;
    if (verdict === 'too_large') {
      log.warn('http inspector: reached max buffer without determining HTTP version, dropping connection');
      this.stats.read_error.inc();
      return false;
    }
    if (verdict === 'not_http') {
      this.stats.http_not_found.inc();
      return true;
    }
    this.stats[FOUND[verdict]].inc();
    log.debug(`http inspector: set application protocol to ${verdict}`);
    facts.applicationProtocols = [verdict];
    return true;
  }
}

export function httpInspectorStats(stats: StatsStore): HttpInspectorStats {
  return HTTP_INSPECTOR_STATS.create(stats.scope('http_inspector.'));
}

export const httpInspectorFactory: ListenerFilterFactory = {
  names: ['envoy.filters.listener.http_inspector', 'envoy.listener.http_inspector'],
  typeUrls: ['type.googleapis.com/envoy.extensions.filters.listener.http_inspector.v3.HttpInspector'],
  // HttpInspector has no fields in this API version; the schema already rejects unknown ones.
  createFilterFactory(_config, _path, context) {
    const stats = httpInspectorStats(context.stats);
    return () => new HttpInspector(stats);
  },
};
