// Sends a request through generated config with skein's own proxy code: the listener
// is picked by address and port, its filter chain by SNI/ALPN with the proxy's filter
// chain matcher, the route table is compiled from the RouteConfiguration exactly as RDS
// does, and the route is chosen by the proxy's RouteTable. What comes back is where
// the request would go: a cluster (or weighted clusters), a redirect, a direct
// response, or a 404 — and for a cluster, the endpoints its assignment holds.
import { decodeProxyResources } from '../../../src/discovery/translate/index.js';
import type { ProxyResources } from '../../../src/discovery/model/types.js';
import { HeaderMap } from '../../../src/proxy/http/header_map.js';
import { newUri, pickWeightedCluster } from '../../../src/proxy/http/route/route_entry.js';
import { selectFilterChain } from '../../../src/proxy/listener/filter_chain_match.js';
import { compileRdsRouteTable } from '../../../src/proxy/server/route_configs.js';
import { Runtime } from '../../../src/proxy/server/runtime.js';

type Msg = Record<string, any>;

export interface HttpRequest {
  /** Listener port (and address, when several listeners share the port). */
  port: number;
  address?: string;
  host: string;
  path?: string;
  method?: string;
  headers?: Record<string, string>;
  /** TLS server name: the request arrives over TLS with this SNI. */
  sni?: string;
  /** The proxy's random draw for weighted clusters / runtime fractions. */
  random?: number;
}

export interface HttpOutcome {
  listener: string;
  routeConfig: string;
  /** The forwarded-to cluster, when the route forwards to one. */
  cluster?: string;
  weighted?: { name: string; weight: number }[];
  /** For weighted routes: the cluster the router picks for a random draw in [0, 1). */
  pick?: (random: number) => string | undefined;
  /** Redirect Location, or the direct response status. */
  location?: string;
  status?: number;
  route?: Msg;
}

export class Simulation {
  readonly resources: ProxyResources;
  private readonly runtime = new Runtime();

  constructor(resources: ProxyResources) {
    this.resources = decodeProxyResources(resources);
  }

  listener(port: number, address?: string): Msg {
    const found = (this.resources.listeners as Msg[]).filter((l) => {
      const sa = l.address?.socket_address;
      return sa?.port_value === port && (address === undefined || sa.address === address);
    });
    if (found.length !== 1) throw new Error(`${found.length} listeners on ${address ?? '*'}:${port}`);
    return found[0]!;
  }

  private chain(listener: Msg, sni?: string, alpn?: string[]): Msg {
    const chains: { match: Msg; chain: Msg }[] = (listener.filter_chains ?? []).map((c: Msg) => ({ match: c.filter_chain_match ?? {}, chain: c }));
    const sa = listener.address.socket_address;
    const picked = selectFilterChain(chains, {
      localIp: sa.address,
      localPort: sa.port_value,
      remoteIp: '127.0.0.1',
      remotePort: 50000,
      serverName: sni,
      transportProtocol: sni !== undefined ? 'tls' : 'raw_buffer',
      applicationProtocols: alpn,
    });
    if (!picked) throw new Error(`no filter chain of ${listener.name} takes sni=${sni ?? '-'}`);
    return picked.chain;
  }

  /** The tcp_proxy destination for a connection (TLS passthrough when `sni` is given). */
  tcp(port: number, sni?: string, address?: string): string | { name: string; weight: number }[] {
    const l = this.listener(port, address);
    const filter = (this.chain(l, sni).filters as Msg[]).find((f) => f.name === 'envoy.filters.network.tcp_proxy');
    if (!filter) throw new Error(`${l.name}: the chosen chain has no tcp_proxy`);
    return filter.typed_config.cluster ?? filter.typed_config.weighted_clusters.clusters;
  }

  http(req: HttpRequest): HttpOutcome {
    const l = this.listener(req.port, req.address);
    const chain = this.chain(l, req.sni, req.sni !== undefined ? ['h2', 'http/1.1'] : ['http/1.1']);
    const hcm = (chain.filters as Msg[]).find((f) => f.name === 'envoy.filters.network.http_connection_manager')?.typed_config;
    if (!hcm) throw new Error(`${l.name}: the chosen chain has no HTTP connection manager`);
    const config = hcm.route_config ?? (this.resources.routes as Msg[]).find((r) => r.name === hcm.rds.route_config_name);
    if (!config) throw new Error(`route configuration ${hcm.rds?.route_config_name} is not in the resources`);
    const table = compileRdsRouteTable(config, config.name, this.runtime);
    const headers = HeaderMap.from({
      ':method': req.method ?? 'GET',
      ':scheme': req.sni !== undefined ? 'https' : 'http',
      ':authority': req.host,
      ':path': req.path ?? '/',
      'x-forwarded-proto': req.sni !== undefined ? 'https' : 'http',
      ...req.headers,
    });
    const out: HttpOutcome = { listener: l.name, routeConfig: config.name };
    const route = table.route(headers, req.random ?? 0);
    if (!route) {
      out.status = 404;
      return out;
    }
    out.route = route.config as Msg;
    const action = route.action;
    if (action.kind === 'forward') {
      if (action.forward.clusterName) out.cluster = action.forward.clusterName;
      const weighted = action.forward.weighted;
      if (weighted) {
        out.weighted = weighted.clusters.map((c) => ({ name: c.name, weight: c.weight }));
        out.pick = (random) => pickWeightedCluster(weighted, headers, this.runtime, random)?.cluster;
      }
    } else if (action.kind === 'redirect') {
      out.status = action.redirect.status;
      out.location = newUri(action.redirect, headers);
    } else if (action.kind === 'direct') {
      out.status = action.status;
    }
    return out;
  }

  /** "address:port" of every endpoint of a cluster (EDS assignment or inline), with its priority when not 0. */
  endpoints(cluster: string): string[] {
    const assignment =
      (this.resources.endpoints as Msg[]).find((e) => e.cluster_name === cluster) ??
      (this.resources.clusters as Msg[]).find((c) => c.name === cluster)?.load_assignment;
    if (!assignment) throw new Error(`no endpoints for ${cluster}`);
    return (assignment.endpoints ?? []).flatMap((loc: Msg) =>
      (loc.lb_endpoints ?? []).map((e: Msg) => {
        const sa = e.endpoint.address.socket_address;
        return `${sa.address}:${sa.port_value}${loc.priority ? ` (priority ${loc.priority})` : ''}`;
      }),
    );
  }

  cluster(name: string): Msg | undefined {
    return (this.resources.clusters as Msg[]).find((c) => c.name === name);
  }
}
