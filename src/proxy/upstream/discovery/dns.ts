// STRICT_DNS and LOGICAL_DNS clusters. Names resolve through the system resolver
// (getaddrinfo: /etc/hosts first), as Envoy's getaddrinfo resolver does, and are
// re-resolved every dns_refresh_rate (or the record TTL with respect_dns_ttl).
// STRICT_DNS makes a host of every address; LOGICAL_DNS keeps one host whose
// address follows the first answer, so existing connections are not churned.
import dns from 'node:dns';
import type { envoy } from '../../../api/envoy-types.generated.js';
import { ConfigError } from '../../../api/json/issues.js';
import { spanOf } from '../../../api/json/spans.js';
import { durationMs } from '../../../api/json/wkt.js';
import { logger } from '../../../common/logger.js';
import type { ClusterStats } from '../cluster_stats.js';
import type { HostDescription } from '../host.js';
import { describeResolved, endpointsOf, isIpAddress, type EndpointSpec } from './endpoints.js';
import type { ClusterDiscovery } from './types.js';

const log = logger('dns');

type Family = 'AUTO' | 'V4_ONLY' | 'V6_ONLY' | 'V4_PREFERRED' | 'ALL';

export interface Resolved {
  addresses: string[];
  ttlMs?: number;
}

export type Resolver = (name: string, family: Family, wantTtl: boolean) => Promise<Resolved>;

async function lookup(name: string, family: 4 | 6 | 0): Promise<string[]> {
  const answers = await dns.promises.lookup(name, { all: true, family, verbatim: true });
  return answers.map((a) => a.address);
}

/** The system resolver, with Envoy's dns_lookup_family semantics. */
export const systemResolver: Resolver = async (name, family, wantTtl) => {
  if (isIpAddress(name)) return { addresses: [name] };
  if (wantTtl) {
    try {
      const v4 = family === 'V6_ONLY' ? [] : await dns.promises.resolve4(name, { ttl: true }).catch(() => []);
      const v6 = family === 'V4_ONLY' ? [] : await dns.promises.resolve6(name, { ttl: true }).catch(() => []);
      const all = [...v4, ...v6];
      if (all.length) return { addresses: all.map((r) => r.address), ttlMs: Math.min(...all.map((r) => r.ttl)) * 1000 };
    } catch {
      // fall through to getaddrinfo (hosts file)
    }
  }
  switch (family) {
    case 'V4_ONLY':
      return { addresses: await lookup(name, 4) };
    case 'V6_ONLY':
      return { addresses: await lookup(name, 6) };
    case 'ALL':
      return { addresses: await lookup(name, 0) };
    case 'V4_PREFERRED': {
      const v4 = await lookup(name, 4).catch(() => []);
      return { addresses: v4.length ? v4 : await lookup(name, 6) };
    }
    default: {
      // AUTO: IPv6 first, IPv4 if there is no IPv6 answer.
      const v6 = await lookup(name, 6).catch(() => []);
      return { addresses: v6.length ? v6 : await lookup(name, 4) };
    }
  }
};

export class DnsDiscovery implements ClusterDiscovery {
  readonly initialized: Promise<void>;
  private markInitialized!: () => void;
  private readonly specs: EndpointSpec[];
  private readonly family: Family;
  private readonly refreshMs: number;
  private readonly failureBaseMs: number;
  private readonly failureMaxMs: number;
  private readonly respectTtl: boolean;
  private timer?: NodeJS.Timeout;
  private stopped = false;
  private failures = 0;
  /** Last good answer per endpoint; kept when a later resolution fails. */
  private readonly last = new Map<number, string[]>();

  constructor(
    private readonly cluster: envoy.config.cluster.v3.Cluster,
    path: string,
    private readonly logical: boolean,
    private readonly stats: ClusterStats,
    private readonly resolver: Resolver = systemResolver,
  ) {
    this.specs = endpointsOf(cluster.load_assignment, `${path}.load_assignment`);
    if (logical && this.specs.length !== 1) {
      throw ConfigError.single(`${path}.load_assignment`, `LOGICAL_DNS clusters must have a single locality_lb_endpoint and a single lb_endpoint (found ${this.specs.length})`, spanOf(cluster));
    }
    this.family = (cluster.dns_lookup_family as Family | undefined) ?? 'AUTO';
    this.refreshMs = durationMs(cluster.dns_refresh_rate, 5000);
    this.failureBaseMs = durationMs(cluster.dns_failure_refresh_rate?.base_interval, this.refreshMs);
    this.failureMaxMs = durationMs(cluster.dns_failure_refresh_rate?.max_interval, this.failureBaseMs * 10);
    this.respectTtl = cluster.respect_dns_ttl === true;
    this.initialized = new Promise((resolve) => (this.markInitialized = resolve));
  }

  start(onHosts: (hosts: HostDescription[]) => void): void {
    const round = async () => {
      if (this.stopped) return;
      this.stats.update_attempt.inc();
      let failed = false;
      let ttlMs: number | undefined;
      await Promise.all(
        this.specs.map(async (spec, i) => {
          try {
            const result = await this.resolver(spec.address, this.family, this.respectTtl);
            if (!result.addresses.length) throw new Error('no addresses');
            this.last.set(i, result.addresses);
            if (result.ttlMs !== undefined) ttlMs = Math.min(ttlMs ?? Infinity, result.ttlMs);
          } catch (err) {
            failed = true;
            log.debug(`dns resolution for ${spec.address} failed: ${(err as Error).message}`);
          }
        }),
      );
      if (this.stopped) return;
      if (failed) {
        this.stats.update_failure.inc();
        this.failures++;
      } else {
        this.stats.update_success.inc();
        this.failures = 0;
      }
      onHosts(this.currentHosts());
      this.markInitialized();
      const delay = failed
        ? Math.min(this.failureMaxMs, this.failureBaseMs * 2 ** Math.min(this.failures - 1, 10)) * (0.5 + Math.random() / 2)
        : this.respectTtl && ttlMs !== undefined && ttlMs > 0
          ? ttlMs
          : this.refreshMs;
      this.timer = setTimeout(() => void round(), delay);
      this.timer.unref();
    };
    void round();
  }

  private currentHosts(): HostDescription[] {
    const hosts: HostDescription[] = [];
    this.specs.forEach((spec, i) => {
      const addresses = this.last.get(i);
      if (!addresses?.length) return;
      // Envoy names DNS hosts by the configured name (auto_host_rewrite uses it).
      const hostname = spec.hostname || (isIpAddress(spec.address) ? '' : spec.address);
      if (this.logical) hosts.push(describeResolved(spec, addresses[0]!, hostname));
      else for (const ip of addresses) hosts.push(describeResolved(spec, ip, hostname));
    });
    return hosts;
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
  }
}
