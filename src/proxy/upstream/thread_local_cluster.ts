// A cluster as one worker uses it: the current hosts by priority, a load balancer
// built over them, and a connection pool per host. Membership updates replace the
// host lists and balancers wholesale; hosts that stay keep their pools and counters.
import { logger } from '../../common/logger.js';
import type { ClusterInfo } from './cluster_info.js';
import { Http1ConnectionPool } from './conn_pool/http1_client.js';
import { Http2ConnectionPool } from './conn_pool/http2_pool.js';
import type { ConnectionPool } from './conn_pool/types.js';
import { Host, type HostDescription } from './host.js';
import { createLoadBalancer } from './lb/index.js';
import type { HostSet, LbContext, LoadBalancer } from './load_balancer.js';

const log = logger('upstream');

class PriorityHostSet implements HostSet {
  readonly healthyHosts: Host[];
  readonly degradedHosts: Host[];
  constructor(readonly hosts: Host[]) {
    this.healthyHosts = hosts.filter((h) => h.healthy() && !h.degraded());
    this.degradedHosts = hosts.filter((h) => h.degraded());
  }
}

/** Creates pools; replaced in issue 3 to add HTTP/2 and TLS transport sockets. */
export type PoolProtocol = 'http1' | 'http2';

/** `sni` is set when the cluster uses auto_sni: each SNI gets pools of its own. */
export type PoolFactory = (host: Host, cluster: ClusterInfo, protocol: PoolProtocol, sni?: string) => ConnectionPool;

/** HTTP/1.1 or HTTP/2 pools, over TLS when the cluster has an UpstreamTlsContext. */
export const defaultPoolFactory: PoolFactory = (host, cluster, protocol, sni) => {
  const tls = cluster.upstreamTlsFor(host)?.liveOptions(sni);
  return protocol === 'http2' ? new Http2ConnectionPool(host, cluster, { tls }) : new Http1ConnectionPool(host, cluster, { tls: tls as Record<string, unknown> | undefined });
};

export class ThreadLocalCluster {
  private priorities: PriorityHostSet[] = [];
  private balancers: LoadBalancer[] = [];
  private readonly pools = new Map<string, ConnectionPool>();
  private hostsByAddress = new Map<string, Host>();

  constructor(
    readonly info: ClusterInfo,
    private readonly poolFactory: PoolFactory = defaultPoolFactory,
  ) {}

  get name(): string {
    return this.info.name;
  }

  allHosts(): Host[] {
    return this.priorities.flatMap((p) => p.hosts);
  }

  hostSets(): readonly HostSet[] {
    return this.priorities;
  }

  /** Replaces membership. Existing hosts (same address) are kept with their state. */
  updateHosts(descriptions: HostDescription[]): void {
    const next = new Map<string, Host>();
    const byPriority: Host[][] = [];
    for (const d of descriptions) {
      const fresh = new Host(d);
      const existing = this.hostsByAddress.get(fresh.address);
      // Keep the live object (active counts, pools) when only metadata changed.
      // A metadata change replaces the host: subsets and the transport socket match read it.
      const same = existing && existing.priority === d.priority && existing.weight === d.weight && existing.hostname === d.hostname && sameMetadata(existing.description.metadata, d.metadata);
      const host = same ? existing : fresh;
      if (host === existing && d.edsHealth !== existing.description.edsHealth) {
        host.healthFlags.delete('failed_eds_health');
        host.healthFlags.delete('degraded_eds_health');
        for (const f of fresh.healthFlags) host.healthFlags.add(f);
      }
      next.set(host.address, host);
      (byPriority[d.priority] ??= []).push(host);
    }
    const replaced = new Set<string>();
    for (const [address, host] of this.hostsByAddress) {
      if (next.get(address) !== host) replaced.add(address);
    }
    if (replaced.size) {
      for (const [key, pool] of this.pools) {
        const address = poolAddress(key);
        if (!replaced.has(address)) continue;
        this.pools.delete(key);
        pool.drain().catch((err) => log.debug(`draining pool of ${address}: ${(err as Error).message}`));
      }
    }
    this.hostsByAddress = next;
    this.priorities = Array.from(byPriority, (hosts) => new PriorityHostSet(hosts ?? []));
    this.rebuildBalancers();
  }

  /** Call after health flags change (health checks, outlier detection). */
  rebuildBalancers(): void {
    this.priorities = this.priorities.map((p) => new PriorityHostSet(p.hosts));
    this.balancers = this.priorities.map((set) => createLoadBalancer(set, this.info.config));
  }

  /**
   * Picks a host: the first priority level with healthy hosts takes the traffic
   * (Envoy's spill-over between levels arrives with locality-aware LB).
   */
  chooseHost(context?: LbContext): Host | null {
    const sets = this.priorities;
    let lb = this.balancers[0];
    for (let p = 0; p < sets.length; p++) {
      if (sets[p]!.healthyHosts.length > 0) {
        lb = this.balancers[p];
        break;
      }
    }
    if (!lb) return null;
    if (lb.inPanic) this.info.stats.lb_healthy_panic.inc();
    return lb.chooseHost(context);
  }

  /**
   * The pool for a host and the protocol the cluster speaks: http2_protocol_options or
   * explicit HTTP/2 → HTTP/2; use_downstream_protocol_config → whatever the downstream
   * request used; otherwise HTTP/1.1.
   */
  pool(host: Host, downstream: 'HTTP/1.0' | 'HTTP/1.1' | 'HTTP/2' = 'HTTP/1.1', sni?: string): ConnectionPool {
    const proto = this.info.protocol;
    const protocol: PoolProtocol = proto === 'http2' || (proto === 'downstream' && downstream === 'HTTP/2') ? 'http2' : 'http1';
    const key = poolKey(protocol, host.address, sni);
    let pool = this.pools.get(key);
    if (!pool) {
      pool = this.poolFactory(host, this.info, protocol, sni);
      this.pools.set(key, pool);
    }
    return pool;
  }

  async drain(): Promise<void> {
    const pools = [...this.pools.values()];
    this.pools.clear();
    await Promise.allSettled(pools.map((p) => p.drain()));
  }

  async destroy(): Promise<void> {
    const pools = [...this.pools.values()];
    this.pools.clear();
    await Promise.allSettled(pools.map((p) => p.destroy()));
  }
}

// Pool keys: "<address>" / "h2 <address>", plus " sni=<name>" for auto_sni pools (a
// connection's SNI is fixed at its handshake, so requests for another name need
// another connection).
function poolKey(protocol: PoolProtocol, address: string, sni: string | undefined): string {
  const base = protocol === 'http2' ? `h2 ${address}` : address;
  return sni ? `${base} sni=${sni}` : base;
}

function poolAddress(key: string): string {
  const parts = key.split(' ');
  return parts[0] === 'h2' ? parts[1]! : parts[0]!;
}

function sameMetadata(a: unknown, b: unknown): boolean {
  return a === b || JSON.stringify(a ?? {}) === JSON.stringify(b ?? {});
}
