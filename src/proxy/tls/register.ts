// Registers envoy.transport_sockets.tls (DownstreamTlsContext) for listeners.
// Imported once from extensions/builtin.ts.
import type { envoy } from '../../api/envoy-types.generated.js';
import { transportSocketRegistry } from '../listener/transport_socket.js';
import type { ListenerFactoryContext } from '../server/factory_context.js';
import { DownstreamTlsSocketFactory } from './downstream.js';
import { defaultSecretManager, type SecretManager } from './secret_manager.js';

export const DOWNSTREAM_TLS_TYPE = 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext';

/** The server's secret manager when the factory context carries one, else the process-wide one. */
export function secretManagerOf(context: ListenerFactoryContext): SecretManager {
  return context.secretManager ?? defaultSecretManager;
}

transportSocketRegistry.register({
  names: ['envoy.transport_sockets.tls', 'tls'],
  typeUrls: [DOWNSTREAM_TLS_TYPE],
  create: (config, path, context) =>
    new DownstreamTlsSocketFactory(config as envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext, path, {
      stats: context.stats.scope(`listener.${context.listenerStatPrefix}.ssl.`),
      secrets: secretManagerOf(context),
    }),
});
