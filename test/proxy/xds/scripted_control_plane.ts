// Test double for an xDS control plane: a real @grpc/grpc-js Server on a real socket
// (port 0 unless a port is given, so a test can restart it on the same port), with no
// logic of its own. It records every DiscoveryRequest per stream and sends exactly the
// responses the test scripts. It is not a mock of skein's discovery server: it lets a
// test produce wire situations (bad resources, missing names, dropped streams) that a
// well-behaved server never would.
import * as grpc from '@grpc/grpc-js';
import { messageFromBinary, messageToBinary } from '../../../src/api/proto/binary.js';
import type { envoy } from '../../../src/api/envoy-types.generated.js';

export type DiscoveryRequest = envoy.service.discovery.v3.DiscoveryRequest;
export type DeltaDiscoveryRequest = envoy.service.discovery.v3.DeltaDiscoveryRequest;
type Req = DiscoveryRequest & DeltaDiscoveryRequest;

const PKG = 'envoy.service.discovery.v3.';

/** A FIFO whose reads wait, with a deadline so a broken test fails instead of hanging. */
export class AsyncQueue<T> {
  private readonly items: T[] = [];
  private readonly waiters: Array<(v: T) => void> = [];

  push(item: T): void {
    const waiter = this.waiters.shift();
    if (waiter) waiter(item);
    else this.items.push(item);
  }

  get size(): number {
    return this.items.length;
  }

  next(timeoutMs = 5000, what = 'item'): Promise<T> {
    const item = this.items.shift();
    if (item !== undefined) return Promise.resolve(item);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters.splice(this.waiters.indexOf(deliver), 1);
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`));
      }, timeoutMs);
      const deliver = (v: T) => {
        clearTimeout(timer);
        resolve(v);
      };
      this.waiters.push(deliver);
    });
  }
}

export class ScriptedStream {
  readonly requests: Req[] = [];
  private readonly pending = new AsyncQueue<Req>();
  private nonce = 0;
  closed = false;

  constructor(
    readonly method: string,
    private readonly call: grpc.ServerDuplexStream<Req, Buffer>,
  ) {
    call.on('data', (req: Req) => {
      this.requests.push(req);
      this.pending.push(req);
    });
    call.on('end', () => {
      this.closed = true;
      call.end();
    });
    call.on('error', () => {
      this.closed = true;
    });
    call.on('cancelled', () => {
      this.closed = true;
    });
  }

  get delta(): boolean {
    return this.method.includes('/Delta');
  }

  nextRequest(timeoutMs = 5000): Promise<Req> {
    return this.pending.next(timeoutMs, `a request on ${this.method}`);
  }

  /** Requests received but not yet taken with nextRequest. */
  get unread(): number {
    return this.pending.size;
  }

  /** Sends a SotW response; resources in memory form (`{'@type', ...}`). Returns the nonce. */
  respond(typeUrl: string, versionInfo: string, resources: Array<Record<string, unknown>>, nonce = `n${++this.nonce}`): string {
    this.sendRaw(
      Buffer.from(messageToBinary(`${PKG}DiscoveryResponse`, { type_url: typeUrl, version_info: versionInfo, resources, nonce })),
    );
    return nonce;
  }

  /** Sends a delta response. Returns the nonce. */
  respondDelta(
    typeUrl: string,
    systemVersion: string,
    resources: Array<{ name: string; version: string; resource: Record<string, unknown> }>,
    removed: string[] = [],
    nonce = `d${++this.nonce}`,
  ): string {
    const msg = { type_url: typeUrl, system_version_info: systemVersion, resources, removed_resources: removed, nonce };
    this.sendRaw(Buffer.from(messageToBinary(`${PKG}DeltaDiscoveryResponse`, msg)));
    return nonce;
  }

  /** For responses the codec would refuse to build (unknown Any types and the like). */
  sendRaw(bytes: Buffer): void {
    this.call.write(bytes);
  }

  /** Ends the stream with a status, as a server going away would. */
  fail(code = grpc.status.UNAVAILABLE, details = 'scripted failure'): void {
    this.call.emit('error', { code, details });
    this.closed = true;
  }
}

const SERVICES: Array<[service: string, stream: string, delta: string]> = [
  ['envoy.service.discovery.v3.AggregatedDiscoveryService', 'StreamAggregatedResources', 'DeltaAggregatedResources'],
  ['envoy.service.listener.v3.ListenerDiscoveryService', 'StreamListeners', 'DeltaListeners'],
  ['envoy.service.route.v3.RouteDiscoveryService', 'StreamRoutes', 'DeltaRoutes'],
  ['envoy.service.cluster.v3.ClusterDiscoveryService', 'StreamClusters', 'DeltaClusters'],
  ['envoy.service.endpoint.v3.EndpointDiscoveryService', 'StreamEndpoints', 'DeltaEndpoints'],
  ['envoy.service.secret.v3.SecretDiscoveryService', 'StreamSecrets', 'DeltaSecrets'],
];

function method(path: string, requestType: string): grpc.MethodDefinition<Req, Buffer> {
  return {
    path,
    requestStream: true,
    responseStream: true,
    requestSerialize: (r: Req) => Buffer.from(messageToBinary(requestType, r)),
    requestDeserialize: (b: Buffer) => messageFromBinary<Req>(requestType, b),
    responseSerialize: (b: Buffer) => b,
    responseDeserialize: (b: Buffer) => b,
  };
}

export class ScriptedControlPlane {
  readonly streams: ScriptedStream[] = [];
  private readonly newStreams = new AsyncQueue<ScriptedStream>();

  /** Where it listens (set once bound). */
  port = 0;

  private constructor(private readonly server: grpc.Server) {}

  static async start(port = 0): Promise<ScriptedControlPlane> {
    const server = new grpc.Server();
    const plane = new ScriptedControlPlane(server);
    for (const [service, streamName, deltaName] of SERVICES) {
      const definition: grpc.ServiceDefinition = {
        [streamName]: method(`/${service}/${streamName}`, `${PKG}DiscoveryRequest`),
        [deltaName]: method(`/${service}/${deltaName}`, `${PKG}DeltaDiscoveryRequest`),
      };
      const handler = (path: string) => (call: grpc.ServerDuplexStream<Req, Buffer>) => plane.accept(path, call);
      server.addService(definition, {
        [streamName]: handler(`/${service}/${streamName}`),
        [deltaName]: handler(`/${service}/${deltaName}`),
      });
    }
    plane.port = await new Promise<number>((resolve, reject) =>
      server.bindAsync(`127.0.0.1:${port}`, grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
    );
    return plane;
  }

  private accept(path: string, call: grpc.ServerDuplexStream<Req, Buffer>): void {
    const stream = new ScriptedStream(path, call);
    this.streams.push(stream);
    this.newStreams.push(stream);
  }

  /** The next stream a client opens. */
  nextStream(timeoutMs = 5000): Promise<ScriptedStream> {
    return this.newStreams.next(timeoutMs, 'a new xDS stream');
  }

  /** Goes away at once, dropping every stream (the client sees UNAVAILABLE/CANCELLED). */
  stop(): void {
    this.server.forceShutdown();
  }
}
