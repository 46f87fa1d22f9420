// Downstream transport sockets: what sits between the TCP socket and the network
// filters. raw_buffer passes bytes through; TLS (envoy.transport_sockets.tls)
// registers here too and terminates TLS before the filters see the stream.
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { envoy } from '../../api/envoy-types.generated.js';
import { ExtensionRegistry, type ExtensionFactory } from '../extensions/registry.js';
import type { ConnectionInfo } from '../http/connection_info.js';
import type { ListenerFactoryContext } from '../server/factory_context.js';

export interface SecuredConnection {
  stream: Duplex;
  tls?: ConnectionInfo['tls'];
}

export interface TransportSocketFactory {
  readonly secure: boolean;
  /** Wraps an accepted socket; rejects when the handshake fails. */
  wrap(socket: Socket): Promise<SecuredConnection>;
  /** The config generation is gone: stop watching files, leave /certs. */
  close?(): void;
}

export interface TransportSocketExtension extends ExtensionFactory {
  create(config: Record<string, unknown>, path: string, context: ListenerFactoryContext): TransportSocketFactory;
}

export const RAW_BUFFER: TransportSocketFactory = {
  secure: false,
  wrap: (socket) => Promise.resolve({ stream: socket }),
};

class TransportSocketRegistry extends ExtensionRegistry<TransportSocketExtension> {
  forConfig(ts: envoy.config.core.v3.TransportSocket | undefined, path: string, context: ListenerFactoryContext): TransportSocketFactory {
    if (!ts) return RAW_BUFFER;
    const resolved = this.resolve(ts, path);
    return resolved ? resolved.factory.create(resolved.config, `${path}.typed_config`, context) : RAW_BUFFER;
  }
}

export const transportSocketRegistry = new TransportSocketRegistry('envoy.transport_sockets.downstream');

transportSocketRegistry.register({
  names: ['envoy.transport_sockets.raw_buffer', 'raw_buffer'],
  typeUrls: ['type.googleapis.com/envoy.extensions.transport_sockets.raw_buffer.v3.RawBuffer'],
  create: () => RAW_BUFFER,
});
