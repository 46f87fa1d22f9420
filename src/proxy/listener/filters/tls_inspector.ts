// envoy.filters.listener.tls_inspector: reads (without consuming) the ClientHello and
// records transport protocol "tls", the SNI and the ALPN list for filter chain matching
// (server_names, transport_protocol, application_protocols). Plaintext is told apart on
// its first byte and left as raw_buffer; a ClientHello over 64 KiB closes the connection.
import { createHash } from 'node:crypto';
import type { Socket } from 'node:net';
import type { envoy } from '../../../api/envoy-types.generated.js';
import { ConfigError } from '../../../api/json/issues.js';
import { spanOf } from '../../../api/json/spans.js';
import { unwrap } from '../../../api/json/wkt.js';
import { logger } from '../../../common/logger.js';
import { declareStats, type StatsOf } from '../../stats/declare.js';
import type { StatsStore } from '../../stats/store.js';
import type { ConnectionFacts } from '../filter_chain_match.js';
import type { ListenerFilter, ListenerFilterFactory } from '../listener_filter.js';
import { ClientHelloParser, TLS_MAX_CLIENT_HELLO, type ClientHelloResult } from './client_hello.js';
import { peek } from './peek.js';

type TlsInspectorProto = envoy.extensions.filters.listener.tls_inspector.v3.TlsInspector;

const log = logger('filter');

export const TLS_INSPECTOR_STATS = declareStats({
  counters: ['client_hello_too_large', 'tls_found', 'tls_not_found', 'alpn_found', 'alpn_not_found', 'sni_found', 'sni_not_found'],
  gauges: [],
  histograms: ['bytes_processed'],
  histogramUnits: { bytes_processed: 'Bytes' },
});

export type TlsInspectorStats = StatsOf<typeof TLS_INSPECTOR_STATS>;

export interface TlsInspectorConfig {
  stats: TlsInspectorStats;
  ja3: boolean;
  maxClientHelloSize: number;
}

/** Fingerprint hash as Envoy stores it (JA3 is the MD5 of the JA3 string). */
export function ja3Hash(ja3: string): string {
  return createHash('md5').update(ja3).digest('hex');
}

export class TlsInspector implements ListenerFilter {
  /** The JA3 hash of the last ClientHello, when enable_ja3_fingerprinting is on. */
  ja3?: string;

  constructor(private readonly config: TlsInspectorConfig) {}

  async onAccept(socket: Socket, facts: ConnectionFacts): Promise<boolean> {
    const parser = new ClientHelloParser({ maxSize: this.config.maxClientHelloSize, ja3: this.config.ja3 });
    const outcome = await peek(socket, (chunk) => {
      const r = parser.push(chunk);
      return r.complete ? r : undefined;
    });
    if (outcome.kind === 'closed') return false;
    if (outcome.kind === 'stopped') return true;
    return this.apply(outcome.value, facts);
  }

  private apply(hello: ClientHelloResult, facts: ConnectionFacts): boolean {
    const stats = this.config.stats;
    stats.bytes_processed.record(hello.bytes);
    if (hello.tooLarge) {
      stats.client_hello_too_large.inc();
      log.debug(`tls inspector: ClientHello over ${this.config.maxClientHelloSize} bytes; closing connection`);
      return false;
    }
    if (!hello.isTls) {
      stats.tls_not_found.inc();
      log.trace(`tls inspector: not TLS (${hello.error})`);
      return true;
    }
    stats.tls_found.inc();
    facts.transportProtocol = 'tls';
    if (hello.sni !== undefined) {
      stats.sni_found.inc();
      facts.serverName = hello.sni;
    } else {
      stats.sni_not_found.inc();
    }
    if (hello.alpn) {
      stats.alpn_found.inc();
      facts.applicationProtocols = hello.alpn;
    } else {
      stats.alpn_not_found.inc();
    }
    if (hello.ja3 !== undefined) this.ja3 = ja3Hash(hello.ja3);
    return true;
  }
}

/** Validates the typed config; stats live at the server root (`tls_inspector.*`) as in Envoy. */
export function tlsInspectorConfig(raw: Record<string, unknown>, path: string, stats: StatsStore): TlsInspectorConfig {
  const proto = raw as TlsInspectorProto;
  const initial = unwrap(proto.initial_read_buffer_size);
  // Envoy's proto bound: 255 < initial_read_buffer_size < 65537. It only tunes the first
  // read size in Envoy; skein reads what the socket has, so it is validated and ignored.
  if (initial !== undefined && (!Number.isInteger(initial) || initial <= 255 || initial > TLS_MAX_CLIENT_HELLO)) {
    throw ConfigError.single(`${path}.initial_read_buffer_size`, `initial_read_buffer_size must be between 256 and 65536 bytes, got ${initial}`, spanOf(proto));
  }
  return {
    stats: TLS_INSPECTOR_STATS.create(stats.scope('tls_inspector.')),
    ja3: unwrap(proto.enable_ja3_fingerprinting, false),
    maxClientHelloSize: TLS_MAX_CLIENT_HELLO,
  };
}

export const tlsInspectorFactory: ListenerFilterFactory = {
  names: ['envoy.filters.listener.tls_inspector', 'envoy.listener.tls_inspector'],
  typeUrls: ['type.googleapis.com/envoy.extensions.filters.listener.tls_inspector.v3.TlsInspector'],
  createFilterFactory(config, path, context) {
    const compiled = tlsInspectorConfig(config, path, context.stats);
    return () => new TlsInspector(compiled);
  },
};
