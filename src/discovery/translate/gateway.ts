// Gateway proxies (Istio's "router" type): one listener per server port, named and
// bound like Istio's ("0.0.0.0_8080" when the gateway's Service maps 80 → 8080), with
// HTTP servers sharing one connection manager and route config "http.<port>",
// HTTPS servers terminating TLS per SNI with their own "https.<port>.<portName>.<gateway>.<ns>"
// route config, TLS passthrough servers routing by SNI, and TCP servers forwarding.
import type { GatewayServer, GatewaySpec } from '../../api/istio/types.js';
import type { NamedConfig } from '../model/types.js';
import type { TranslateContext } from './context.js';
import { listenerName, socketAddress, TLS_INSPECTOR_TYPE, typed, type Json } from './envoy.js';
import { serverTransportSocket } from './gateway_tls.js';
import { gatewayRouteConfig, serverHostNames } from './gateway_routes.js';
import { firstTcpRoute, sniRoutes } from './l4_routes.js';
import { httpConnectionManager, tcpProxy } from './network_filters.js';

export type ServerKind = 'http' | 'https' | 'tls-terminate' | 'passthrough' | 'tcp';

export interface ServerEntry {
  gw: NamedConfig<GatewaySpec>;
  /** "ns/name": what VirtualServices write in `gateways`. */
  gwRef: string;
  server: GatewayServer;
  kind: ServerKind;
  listenPort: number;
  bind: string;
}

export interface GatewayResources {
  listeners: Json[];
  routes: Json[];
}

const HTTP_PROTOCOLS = new Set(['HTTP', 'HTTP2', 'GRPC', 'GRPC-WEB']);

function serverKind(ctx: TranslateContext, gw: NamedConfig<GatewaySpec>, server: GatewayServer): ServerKind | undefined {
  const protocol = String(server.port.protocol ?? '').toUpperCase();
  if (HTTP_PROTOCOLS.has(protocol)) return 'http';
  const mode = server.tls?.mode;
  if (protocol === 'HTTPS' || protocol === 'TLS') {
    if (mode === 'PASSTHROUGH') return 'passthrough';
    if (mode === 'ISTIO_MUTUAL' || mode === 'AUTO_PASSTHROUGH') {
      ctx.warn(gw, `server on port ${server.port.number}: tls mode ${mode} needs the mesh CA / multi-cluster support, which skein does not have yet; server skipped`);
      return undefined;
    }
    if (!server.tls) {
      ctx.warn(gw, `server on port ${server.port.number}: protocol ${protocol} needs a tls section; server skipped`);
      return undefined;
    }
    return protocol === 'HTTPS' ? 'https' : 'tls-terminate';
  }
  return 'tcp';
}

/** The port the gateway listens on: the targetPort its own Service maps the server port to. */
function listenPortFor(ctx: TranslateContext, serverPort: number): number {
  for (const svc of ctx.push.servicesForWorkload(ctx.proxy.namespace, ctx.proxy.labels)) {
    const p = svc.ports.find((x) => x.port === serverPort);
    if (!p) continue;
    const target = p.targetPort;
    if (typeof target === 'number' && target > 0) return target;
    if (typeof target === 'string') {
      if (/^\d+$/.test(target)) return Number(target);
      const ips = new Set(ctx.proxy.ipAddresses);
      const named = ctx.push.workloads().find((w) => ips.has(w.address))?.namedPorts[target];
      if (named) return named;
    }
    return serverPort;
  }
  return serverPort;
}

function collectServers(ctx: TranslateContext): ServerEntry[] {
  const out: ServerEntry[] = [];
  for (const gw of ctx.push.gatewaysForLabels(ctx.proxy.labels)) {
    const gwRef = `${gw.metadata.namespace}/${gw.metadata.name}`;
    for (const server of gw.spec.servers ?? []) {
      if (!server || typeof server !== 'object') continue;
      const n = server.port?.number;
      if (!Number.isInteger(n) || n < 1 || n > 65535) {
        ctx.warn(gw, `server port ${JSON.stringify(n)} is not a port number; server skipped`);
        continue;
      }
      if (!server.hosts?.length) {
        ctx.warn(gw, `server on port ${n} has no hosts; server skipped`);
        continue;
      }
      const kind = serverKind(ctx, gw, server);
      if (!kind) continue;
      out.push({ gw, gwRef, server, kind, listenPort: listenPortFor(ctx, n), bind: server.bind || '0.0.0.0' });
    }
  }
  return out;
}

export function buildGatewayResources(ctx: TranslateContext): GatewayResources {
  const groups = new Map<string, ServerEntry[]>();
  for (const entry of collectServers(ctx)) {
    const key = listenerName(entry.bind, entry.listenPort);
    const list = groups.get(key);
    if (list) list.push(entry);
    else groups.set(key, [entry]);
  }
  const out: GatewayResources = { listeners: [], routes: [] };
  for (const [name, entries] of groups) {
    const listener = buildListener(ctx, name, entries, out.routes);
    if (listener) out.listeners.push(listener);
  }
  return out;
}

function buildListener(ctx: TranslateContext, name: string, entries: ServerEntry[], routes: Json[]): Json | undefined {
  const { bind, listenPort } = entries[0]!;
  const statPrefix = `outbound_${bind}_${listenPort}`;
  const chains: Json[] = [];
  const httpServers = entries.filter((e) => e.kind === 'http');
  const others = entries.filter((e) => e.kind !== 'http');
  if (httpServers.length) {
    for (const e of others) ctx.warn(e.gw, `server on port ${e.server.port.number} (${e.server.port.protocol}) shares listener ${name} with HTTP servers; skipped`);
    const routeName = `http.${listenPort}${bind !== '0.0.0.0' ? `.${bind}` : ''}`;
    routes.push(gatewayRouteConfig(ctx, routeName, httpServers));
    chains.push({ filters: [httpConnectionManager(ctx, 'gateway', statPrefix, { rds: routeName })] });
  } else {
    const collector = new TlsAndTcpChains(ctx, name, statPrefix, routes);
    for (const e of others) ctx.guard(e.gw, `server on port ${e.server.port.number}`, () => collector.add(e), undefined);
    chains.push(...collector.finish());
  }
  if (chains.length === 0) return undefined;
  const listener: Json = { name, address: socketAddress(bind, listenPort), filter_chains: chains };
  if (chains.some((c) => c.filter_chain_match || c.transport_socket)) {
    listener.listener_filters = [{ name: 'envoy.filters.listener.tls_inspector', typed_config: typed(TLS_INSPECTOR_TYPE) }];
  }
  return listener;
}

/** The filter chains of a listener without plain-HTTP servers: one per TLS server (or SNI route), plus one for plain TCP. */
class TlsAndTcpChains {
  private readonly chains: Json[] = [];
  private readonly claimed = new Set<string>();
  private tcpChain?: Json;

  constructor(
    private readonly ctx: TranslateContext,
    private readonly listener: string,
    private readonly statPrefix: string,
    private readonly routes: Json[],
  ) {}

  add(e: ServerEntry): void {
    const { ctx } = this;
    const scope = { gateway: e.gwRef, port: e.server.port.number };
    const vss = ctx.push.virtualServicesFor(e.gwRef, ctx.proxy.namespace);
    if (e.kind === 'https') {
      const names = sniNames(e.server);
      const socket = serverTransportSocket(ctx, e.gw, e.server, true);
      if (!socket || !this.claim(e, names)) return;
      const routeName = `https.${e.server.port.number}.${e.server.port.name ?? ''}.${e.gw.metadata.name}.${e.gw.metadata.namespace}`;
      this.routes.push(gatewayRouteConfig(ctx, routeName, [e]));
      this.chains.push(withMatch(names, { filters: [httpConnectionManager(ctx, 'gateway', this.statPrefix, { rds: routeName })], transport_socket: socket }));
    } else if (e.kind === 'tls-terminate') {
      const names = sniNames(e.server);
      const socket = serverTransportSocket(ctx, e.gw, e.server, false);
      const tcp = firstTcpRoute(ctx, vss, scope);
      if (!socket || !tcp || !this.claim(e, names)) return;
      this.chains.push(withMatch(names, { filters: [tcpProxy(tcp.target)], transport_socket: socket }));
    } else if (e.kind === 'passthrough') {
      for (const r of sniRoutes(ctx, vss, scope, serverHostNames(e.server))) {
        if (this.claim(e, r.serverNames)) this.chains.push(withMatch(r.serverNames, { filters: [tcpProxy(r.target)] }));
      }
    } else {
      const tcp = firstTcpRoute(ctx, vss, scope);
      if (!tcp) return;
      if (this.tcpChain) {
        ctx.warn(e.gw, `server on port ${e.server.port.number}: listener ${this.listener} already forwards plain TCP for another server; skipped`);
        return;
      }
      this.tcpChain = { filters: [tcpProxy(tcp.target)] };
    }
  }

  finish(): Json[] {
    return this.tcpChain ? [...this.chains, this.tcpChain] : this.chains;
  }

  /** Two chains may not match the same server names (Envoy would refuse the listener). */
  private claim(owner: ServerEntry, names: string[]): boolean {
    const key = [...names].sort().join(',');
    if (this.claimed.has(key)) {
      this.ctx.warn(owner.gw, `server on port ${owner.server.port.number}: hosts ${names.join(', ') || '*'} are already served on listener ${this.listener}; server skipped`);
      return false;
    }
    this.claimed.add(key);
    return true;
  }
}

/** SNI names a TLS server answers to: its hosts, or none (any name) when one is "*". */
function sniNames(server: GatewayServer): string[] {
  const hosts = serverHostNames(server);
  return hosts.includes('*') ? [] : hosts;
}

function withMatch(names: string[], chain: Json): Json {
  return names.length ? { filter_chain_match: { server_names: names }, ...chain } : chain;
}
