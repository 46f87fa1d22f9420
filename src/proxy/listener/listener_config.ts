// One generation of a listener's config, compiled: filter chains with their network
// filter factories and transport sockets. A listener update builds a new generation
// next to the old one; connections stay with the generation that accepted them.
import type { envoy } from '../../api/envoy-types.generated.js';
import { ConfigError } from '../../api/json/issues.js';
import { spanOf } from '../../api/json/spans.js';
import { networkFilterRegistry, type NetworkFilterInstanceFactory } from '../network/network_filter.js';
import type { DrainDecision, ListenerFactoryContext, ServerFactoryContext } from '../server/factory_context.js';
import { matchSignature, needsInspection } from './filter_chain_match.js';
import { transportSocketRegistry, type TransportSocketFactory } from './transport_socket.js';
import { listenerFilterRegistry, type ListenerFilterInstanceFactory } from './listener_filter.js';

export type ListenerProto = envoy.config.listener.v3.Listener;

export interface CompiledFilterChain {
  name: string;
  match: envoy.config.listener.v3.FilterChainMatch;
  transport: TransportSocketFactory;
  filters: NetworkFilterInstanceFactory[];
}

/** "0.0.0.0_15001", "[__]_15001": Envoy's stat-safe form of a listener address. */
export function listenerStatPrefix(listener: ListenerProto): string {
  if (listener.stat_prefix) return listener.stat_prefix;
  const sock = listener.address?.socket_address;
  if (!sock) return listener.name ?? 'unknown';
  const ip = sock.address ?? '0.0.0.0';
  const host = ip.includes(':') ? `[${ip}]` : ip;
  return `${host}_${sock.port_value ?? 0}`.replace(/:/g, '_');
}

export class ListenerGeneration implements DrainDecision {
  readonly chains: CompiledFilterChain[];
  readonly defaultChain?: CompiledFilterChain;
  readonly listenerFilters: ListenerFilterInstanceFactory[];
  readonly inspect: { sni: boolean; alpn: boolean; transport: boolean };
  private draining = false;

  constructor(
    readonly config: ListenerProto,
    readonly path: string,
    server: ServerFactoryContext,
    private readonly serverDraining: () => boolean,
  ) {
    const name = config.name ?? '';
    const context: ListenerFactoryContext = {
      ...server,
      listenerName: name,
      listenerStatPrefix: listenerStatPrefix(config),
      drain: this,
      direction: config.traffic_direction ?? 'UNSPECIFIED',
      routeConfigProviders: (server as ListenerFactoryContext).routeConfigProviders,
    };
    const seen = new Map<string, string>();
    this.chains = (config.filter_chains ?? []).map((fc, i) => {
      const at = `${path}.filter_chains[${i}]`;
      const signature = matchSignature(fc.filter_chain_match);
      const previous = seen.get(signature);
      if (previous !== undefined) {
        throw ConfigError.single(`${at}.filter_chain_match`, `error adding listener '${name}': filter chain '${fc.name ?? i}' has the same matching rules as '${previous}' (multiple filter chains with the same matching rules are defined)`, spanOf(fc));
      }
      seen.set(signature, fc.name ?? String(i));
      return compileChain(fc, at, context);
    });
    this.defaultChain = config.default_filter_chain ? compileChain(config.default_filter_chain, `${path}.default_filter_chain`, context) : undefined;
    if (!this.chains.length && !this.defaultChain) {
      throw ConfigError.single(`${path}.filter_chains`, `error adding listener '${name}': no filter chains specified`, spanOf(config));
    }
    this.listenerFilters = (config.listener_filters ?? []).flatMap((lf, i) => {
      const at = `${path}.listener_filters[${i}]`;
      const resolved = listenerFilterRegistry.resolve(lf, at);
      return resolved ? [resolved.factory.createFilterFactory(resolved.config, `${at}.typed_config`, context)] : [];
    });
    this.inspect = needsInspection(this.chains);
  }

  private readonly drainHandlers: Array<(closeIdleNow: boolean) => void> = [];

  drainClose(): boolean {
    return this.draining || this.serverDraining();
  }

  onDrain(fn: (closeIdleNow: boolean) => void): void {
    this.drainHandlers.push(fn);
  }

  /** `closeIdleNow`: see ActiveListener.stopListening. */
  startDraining(closeIdleNow = true): void {
    if (this.draining) return;
    this.draining = true;
    for (const fn of this.drainHandlers.splice(0)) fn(closeIdleNow);
  }

  /** Releases what the generation holds beyond its connections (TLS contexts, file watches). */
  close(): void {
    for (const chain of [...this.chains, ...(this.defaultChain ? [this.defaultChain] : [])]) chain.transport.close?.();
  }
}

function compileChain(fc: envoy.config.listener.v3.FilterChain, path: string, context: ListenerFactoryContext): CompiledFilterChain {
  const transport = transportSocketRegistry.forConfig(fc.transport_socket, `${path}.transport_socket`, context);
  const list = fc.filters ?? [];
  const filters: NetworkFilterInstanceFactory[] = [];
  list.forEach((f, i) => {
    const at = `${path}.filters[${i}]`;
    const resolved = networkFilterRegistry.resolve(f, at);
    if (!resolved) return;
    const isLast = i === list.length - 1;
    if (resolved.factory.terminal && !isLast) {
      throw ConfigError.single(at, `terminal filter named ${resolved.name} must be the last filter in a network filter chain`, spanOf(f));
    }
    if (!resolved.factory.terminal && isLast) {
      throw ConfigError.single(at, `non-terminal filter named ${resolved.name} is the last filter in a network filter chain`, spanOf(f));
    }
    filters.push(resolved.factory.createFilterFactory(resolved.config, `${at}.typed_config`, context));
  });
  if (!filters.length) throw ConfigError.single(`${path}.filters`, 'a filter chain needs at least one network filter', spanOf(fc));
  return { name: fc.name ?? '', match: fc.filter_chain_match ?? {}, transport, filters };
}
