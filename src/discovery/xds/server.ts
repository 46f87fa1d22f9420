// The xDS server: gRPC services in front of a ConfigWatcher (usually a
// SnapshotCache). It owns streams, not config: whoever produces snapshots (the
// file-driven `skein xds serve`, later the mesh translator) publishes them to the
// cache, and every stream waiting on that cache is answered.
import * as grpc from '@grpc/grpc-js';
import { logger as namedLogger, type Logger } from '../../common/logger.js';
import { Subscription } from './cache/subscription.js';
import type { ConfigWatcher } from './cache/types.js';
import { BadRequestError, decodeDiscoveryRequest, encodeSotwResponse } from './codec.js';
import { DeltaStream } from './delta/stream.js';
import { XdsMetrics, type XdsMetricsSnapshot } from './metrics.js';
import { serviceDefinition, XDS_SERVICES, type XdsServiceSpec } from './services.js';
import { SotwStream } from './sotw/stream.js';
import type { ProxyStatusEntry } from './status.js';
import type { StreamContext, XdsCall, XdsStream } from './stream_base.js';

export interface XdsServerOptions {
  cache: ConfigWatcher;
  logger?: Logger;
  /** Extra grpc-js server options for listen() (keepalive, message sizes). */
  grpcOptions?: grpc.ServerOptions;
}

/** How long close() waits for streams to finish before cutting them. */
const SHUTDOWN_GRACE_MS = 2000;

export class XdsServer {
  private readonly streams = new Set<XdsStream>();
  private readonly metricsStore = new XdsMetrics();
  private readonly ctx: StreamContext;
  private nextStreamId = 0;
  private grpcServer: grpc.Server | undefined;

  constructor(private readonly options: XdsServerOptions) {
    this.ctx = {
      watcher: options.cache,
      metrics: this.metricsStore,
      log: options.logger ?? namedLogger('xds'),
      onClosed: (stream) => this.streams.delete(stream),
    };
  }

  /** Registers ADS and the per-type services (LDS, RDS, CDS, EDS, SDS) on `server`. */
  addServicesTo(server: grpc.Server): void {
    for (const spec of XDS_SERVICES) server.addService(serviceDefinition(spec), this.implementation(spec));
  }

  /** Starts an insecure gRPC server of its own; port 0 picks a free port. */
  async listen(port = 0, host = '0.0.0.0'): Promise<{ port: number }> {
    if (this.grpcServer) throw new Error('xDS server is already listening');
    const server = new grpc.Server(this.options.grpcOptions);
    this.addServicesTo(server);
    const address = host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
    const bound = await new Promise<number>((resolve, reject) =>
      server.bindAsync(address, grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
    );
    this.grpcServer = server;
    this.ctx.log.info(`xDS server listening on ${host}:${bound}`);
    return { port: bound };
  }

  /** Ends every stream (clients reconnect) and stops the server listen() started. */
  async close(): Promise<void> {
    for (const stream of [...this.streams]) stream.end();
    const server = this.grpcServer;
    this.grpcServer = undefined;
    if (!server) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        server.forceShutdown();
        resolve();
      }, SHUTDOWN_GRACE_MS);
      server.tryShutdown(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  /** One entry per connected stream that has identified its node, by node id. */
  proxyStatus(): ProxyStatusEntry[] {
    return [...this.streams]
      .filter((s) => s.node)
      .map((s) => s.status.toJSON())
      .sort((a, b) => a.nodeId.localeCompare(b.nodeId) || a.streamId - b.streamId);
  }

  metrics(): XdsMetricsSnapshot {
    return this.metricsStore.snapshot();
  }

  private implementation(spec: XdsServiceSpec): grpc.UntypedServiceImplementation {
    const impl: grpc.UntypedServiceImplementation = {
      [spec.stream]: (call: XdsCall) => this.track(new SotwStream(call, this.ctx, ++this.nextStreamId, spec.service, spec.typeUrl)),
      [spec.delta]: (call: XdsCall) => this.track(new DeltaStream(call, this.ctx, ++this.nextStreamId, spec.service, spec.typeUrl)),
    };
    if (spec.fetch && spec.typeUrl) {
      const typeUrl = spec.typeUrl;
      impl[spec.fetch] = (call: grpc.ServerUnaryCall<Buffer, Uint8Array>, callback: grpc.sendUnaryData<Uint8Array>) =>
        this.fetch(typeUrl, call.request, callback);
    }
    return impl;
  }

  private track(stream: XdsStream): void {
    if (!stream.isClosed) this.streams.add(stream);
  }

  /** Unary Fetch*: the current resources, unless the client's version_info is current. */
  private fetch(typeUrl: string, bytes: Buffer, callback: grpc.sendUnaryData<Uint8Array>): void {
    try {
      this.metricsStore.requestReceived(typeUrl);
      const request = decodeDiscoveryRequest(bytes);
      if (!request.node) throw new BadRequestError('fetch request without a node');
      if (request.type_url && request.type_url !== typeUrl) throw new BadRequestError(`type URL ${request.type_url} on the wrong service`);
      const fetch = this.options.cache.fetch?.bind(this.options.cache);
      if (!fetch) return callback({ code: grpc.status.UNIMPLEMENTED, details: 'this cache does not support fetch' });
      const subscription = Subscription.sotw(typeUrl, request.resource_names ?? []);
      const sent = request.version_info ? { version: request.version_info, subscriptionKey: subscription.key } : undefined;
      const response = fetch(request.node, { typeUrl, subscription, sent });
      if (!response) return callback({ code: grpc.status.FAILED_PRECONDITION, details: 'no newer version to fetch' });
      callback(null, encodeSotwResponse(response, ''));
    } catch (err) {
      if (err instanceof BadRequestError) {
        this.metricsStore.badRequest();
        return callback({ code: grpc.status.INVALID_ARGUMENT, details: err.message });
      }
      this.ctx.log.error(`xds fetch failed: ${(err as Error).stack ?? err}`);
      callback({ code: grpc.status.INTERNAL, details: `xds server error: ${(err as Error).message}` });
    }
  }
}
