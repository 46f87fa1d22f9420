// Listener filters run on an accepted socket before a filter chain is chosen; they
// learn facts from the first bytes (TLS SNI/ALPN, HTTP version) without consuming them.
import type { Socket } from 'node:net';
import { ExtensionRegistry, type ExtensionFactory } from '../extensions/registry.js';
import type { ListenerFactoryContext } from '../server/factory_context.js';
import type { ConnectionFacts } from './filter_chain_match.js';

export interface ListenerFilter {
  /** Resolves when done; may fill in facts (serverName, transportProtocol, ...). false → close. */
  onAccept(socket: Socket, facts: ConnectionFacts): Promise<boolean>;
}

export type ListenerFilterInstanceFactory = () => ListenerFilter;

export interface ListenerFilterFactory extends ExtensionFactory {
  createFilterFactory(config: Record<string, unknown>, path: string, context: ListenerFactoryContext): ListenerFilterInstanceFactory;
}

export const listenerFilterRegistry = new ExtensionRegistry<ListenerFilterFactory>('envoy.filters.listener');
