// Network (L4) filters. A chain runs on each accepted connection: non-terminal
// filters may inspect and reject it (RBAC, connection limits); the terminal one
// (http_connection_manager, tcp_proxy) owns the socket from then on.
import type { Duplex } from 'node:stream';
import { ExtensionRegistry, type ExtensionFactory } from '../extensions/registry.js';
import type { ConnectionInfo } from '../http/connection_info.js';
import type { ListenerFactoryContext } from '../server/factory_context.js';
import type { StreamInfo } from '../http/stream_info.js';

export interface DownstreamConnection {
  readonly socket: Duplex;
  readonly info: ConnectionInfo;
  readonly streamInfo: StreamInfo;
  /** Close the connection (after flushing, unless `now`). */
  close(now?: boolean): void;
  /** Runs when the connection closes, whoever closed it. */
  onClose(fn: () => void): void;
}

export interface NetworkFilter {
  /** false: the filter closed (or will close) the connection; stop the chain. */
  onNewConnection?(connection: DownstreamConnection): boolean;
  /** Terminal filters take the connection over. */
  handleConnection?(connection: DownstreamConnection): void;
}

export type NetworkFilterInstanceFactory = () => NetworkFilter;

export interface NetworkFilterFactory extends ExtensionFactory {
  readonly terminal?: boolean;
  createFilterFactory(config: Record<string, unknown>, path: string, context: ListenerFactoryContext): NetworkFilterInstanceFactory;
}

export const networkFilterRegistry = new ExtensionRegistry<NetworkFilterFactory>('envoy.filters.network');
