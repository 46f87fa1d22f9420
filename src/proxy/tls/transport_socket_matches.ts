// A cluster's transport_socket_matches: endpoints whose metadata under
// `envoy.transport_socket_match` carries every key/value of a match's criteria use
// that match's transport socket; the first match wins and endpoints that match none
// use the cluster's own transport_socket. Istio relies on this for auto mTLS: an
// endpoint labelled tlsMode=istio gets mutual TLS, the others plaintext.
import type { envoy } from '../../api/envoy-types.generated.js';
import { createTransportSocket, type UpstreamTls, type UpstreamTlsDeps } from './upstream.js';

type Cluster = envoy.config.cluster.v3.Cluster;
type Metadata = envoy.config.core.v3.Metadata;

export const TRANSPORT_SOCKET_MATCH_KEY = 'envoy.transport_socket_match';

interface SocketMatch {
  readonly name: string;
  readonly criteria: Readonly<Record<string, unknown>>;
  /** undefined: a raw_buffer (plaintext) socket. */
  readonly tls?: UpstreamTls;
}

export class TransportSocketMatcher {
  private constructor(private readonly matches: readonly SocketMatch[]) {}

  /** undefined when the cluster has no transport_socket_matches. */
  static create(cluster: Cluster, path: string, deps: UpstreamTlsDeps): TransportSocketMatcher | undefined {
    const entries = cluster.transport_socket_matches ?? [];
    if (entries.length === 0) return undefined;
    const built: SocketMatch[] = [];
    try {
      entries.forEach((m, i) => {
        const at = `${path}.transport_socket_matches[${i}]`;
        const tls = m.transport_socket ? createTransportSocket(m.transport_socket, cluster, `${at}.transport_socket`, deps) : undefined;
        built.push({ name: m.name ?? '', criteria: (m.match ?? {}) as Record<string, unknown>, tls });
      });
    } catch (err) {
      for (const m of built) m.tls?.close();
      throw err;
    }
    return new TransportSocketMatcher(built);
  }

  /** The matching entry for an endpoint's metadata, or undefined to use the cluster's own socket. */
  select(metadata: Metadata | undefined): { tls?: UpstreamTls } | undefined {
    const fields = (metadata?.filter_metadata?.[TRANSPORT_SOCKET_MATCH_KEY] ?? {}) as Record<string, unknown>;
    return this.matches.find((m) => Object.entries(m.criteria).every(([key, want]) => sameValue(fields[key], want)));
  }

  close(): void {
    for (const m of this.matches) m.tls?.close();
  }
}

function sameValue(a: unknown, b: unknown): boolean {
  return a !== undefined && JSON.stringify(a) === JSON.stringify(b);
}
