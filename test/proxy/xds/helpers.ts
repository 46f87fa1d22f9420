// Shared pieces of the xDS engine tests: resource fixtures, callbacks that record what
// the engine delivers, and a mux pointed at a ScriptedControlPlane.
import { CLUSTER_TYPE, ENDPOINT_TYPE, LISTENER_TYPE, ROUTE_TYPE } from '../../../src/api/xds/resource_types.js';
import { XdsMux, type XdsMuxOptions } from '../../../src/proxy/xds/grpc_mux.js';
import type { DecodedResource, SubscriptionCallbacks, UpdateFailureReason } from '../../../src/proxy/xds/types.js';
import { StatsStore } from '../../../src/proxy/stats/store.js';
import { logRegistry } from '../../../src/common/logger.js';
import { AsyncQueue, type ScriptedControlPlane } from './scripted_control_plane.js';

// Rejections and lost streams are what these tests provoke; their warnings are noise
// here (SKEIN_TEST_LOGS=1 shows them).
if (!process.env.SKEIN_TEST_LOGS) logRegistry.setLevel('config', 'critical');

export const NODE = { id: 'sidecar~10.0.0.1~web-1.default~default.svc.cluster.local', cluster: 'web' };

export function listener(name: string, port = 8080, filterName = 'envoy.filters.network.echo'): Record<string, unknown> {
  return {
    '@type': LISTENER_TYPE,
    name,
    address: { socket_address: { address: '127.0.0.1', port_value: port } },
    filter_chains: [{ filters: [{ name: filterName }] }],
  };
}

export function cluster(name: string): Record<string, unknown> {
  return { '@type': CLUSTER_TYPE, name, type: 'EDS', eds_cluster_config: { eds_config: { ads: {} } }, connect_timeout: { seconds: 1 } };
}

export function endpoints(clusterName: string, port = 9000): Record<string, unknown> {
  return {
    '@type': ENDPOINT_TYPE,
    cluster_name: clusterName,
    endpoints: [{ lb_endpoints: [{ endpoint: { address: { socket_address: { address: '127.0.0.1', port_value: port } } } }] }],
  };
}

export function routeConfig(name: string): Record<string, unknown> {
  return { '@type': ROUTE_TYPE, name, virtual_hosts: [{ name: 'all', domains: ['*'], routes: [] }] };
}

export interface RecordedUpdate {
  added: DecodedResource[];
  removed: string[];
  version: string;
}

/** SubscriptionCallbacks that record every call; `apply` can reject an update by throwing. */
export class RecordingCallbacks implements SubscriptionCallbacks {
  readonly updates = new AsyncQueue<RecordedUpdate>();
  readonly failures = new AsyncQueue<{ reason: UpdateFailureReason; error?: Error }>();
  readonly allUpdates: RecordedUpdate[] = [];
  readonly allFailures: UpdateFailureReason[] = [];

  constructor(private readonly apply?: (update: RecordedUpdate) => void | Promise<void>) {}

  async onConfigUpdate(added: DecodedResource[], removed: string[], version: string): Promise<void> {
    const update = { added, removed, version };
    if (this.apply) await this.apply(update);
    this.allUpdates.push(update);
    this.updates.push(update);
  }

  onConfigUpdateFailed(reason: UpdateFailureReason, error?: Error): void {
    this.allFailures.push(reason);
    this.failures.push({ reason, error });
  }

  nextUpdate(timeoutMs = 5000): Promise<RecordedUpdate> {
    return this.updates.next(timeoutMs, 'onConfigUpdate');
  }

  nextFailure(timeoutMs = 5000): Promise<{ reason: UpdateFailureReason; error?: Error }> {
    return this.failures.next(timeoutMs, 'onConfigUpdateFailed');
  }
}

export const names = (u: RecordedUpdate): string[] => u.added.map((r) => r.name).sort();

export function muxFor(plane: ScriptedControlPlane, options: Partial<XdsMuxOptions> = {}): { mux: XdsMux; store: StatsStore } {
  const store = new StatsStore();
  const mux = new XdsMux({
    transport: 'sotw',
    aggregated: true,
    target: { addresses: [{ host: '127.0.0.1', port: plane.port }] },
    node: NODE,
    stats: store.scope(''),
    backoff: { baseMs: 20, maxMs: 100 },
    ...options,
  });
  return { mux, store };
}

/** Polls until `check` holds (state reached through the network has no event to await). */
export async function eventually(check: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
